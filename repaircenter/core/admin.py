from django.contrib import admin

from .models import CenterSettings, Holiday


@admin.register(CenterSettings)
class CenterSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not CenterSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
