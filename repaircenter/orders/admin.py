from django.contrib import admin

from .models import EquipmentKind, PriceListEntry


@admin.register(EquipmentKind)
class EquipmentKindAdmin(admin.ModelAdmin):
    list_display = ["name", "diagnostics_fee", "active", "position"]
    list_editable = ["diagnostics_fee", "active", "position"]


@admin.register(PriceListEntry)
class PriceListEntryAdmin(admin.ModelAdmin):
    list_display = ["description", "line_kind", "equipment_kind", "unit_price", "active"]
    list_editable = ["unit_price", "active"]
    list_filter = ["equipment_kind", "line_kind", "active"]
    search_fields = ["description"]
