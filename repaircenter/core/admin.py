from django.contrib import admin

from .models import CenterSettings


@admin.register(CenterSettings)
class CenterSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not CenterSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
