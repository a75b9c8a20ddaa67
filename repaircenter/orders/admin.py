from django.contrib import admin

from .models import EquipmentKind


@admin.register(EquipmentKind)
class EquipmentKindAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "position"]
    list_editable = ["active", "position"]
