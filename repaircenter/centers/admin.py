from django.contrib import admin

from .models import Center, CenterHoliday


class CenterHolidayInline(admin.TabularInline):
    model = CenterHoliday
    extra = 0


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["name", "number_prefix", "time_zone", "workshop_only", "active"]
    inlines = [CenterHolidayInline]

    def has_delete_permission(self, request, obj=None):
        # Orders keep their center for ever; a center that closes is made inactive.
        return False
