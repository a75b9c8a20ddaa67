from django.contrib import admin

from .models import Customer, Device


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email"]
    search_fields = ["name", "phone", "email"]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["serial_number", "imei", "brand", "model", "created_at"]
    search_fields = ["serial_number", "imei", "brand", "model"]
