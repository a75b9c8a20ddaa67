from django.contrib import admin

from .models import CenterPrice, ChecklistItem, EquipmentKind, PriceListEntry, TestProcedure


class ChecklistItemInline(admin.TabularInline):
    """The condition checklist asked at intake for this kind: its items, their order, which
    must be checked. (The device passcode has no admin: it is never shown there.)"""

    model = ChecklistItem
    extra = 1
    fields = ["position", "label", "required", "active"]


@admin.register(EquipmentKind)
class EquipmentKindAdmin(admin.ModelAdmin):
    inlines = [ChecklistItemInline]
    list_display = ["name", "diagnostics_fee", "warranty_months", "active", "position"]
    list_editable = ["diagnostics_fee", "warranty_months", "active", "position"]


@admin.register(PriceListEntry)
class PriceListEntryAdmin(admin.ModelAdmin):
    """The chain's price list; a center that charges otherwise for an entry has its own line."""

    class CenterPriceInline(admin.TabularInline):
        model = CenterPrice
        extra = 0

    inlines = [CenterPriceInline]
    list_display = ["description", "line_kind", "equipment_kind", "unit_price",
                    "warranty_months", "active"]
    list_editable = ["unit_price", "warranty_months", "active"]
    list_filter = ["equipment_kind", "line_kind", "active"]
    search_fields = ["description"]


@admin.register(TestProcedure)
class TestProcedureAdmin(admin.ModelAdmin):
    list_display = ["name", "equipment_kind", "duration_minutes", "active"]
    list_editable = ["active"]
    list_filter = ["equipment_kind", "active"]
    search_fields = ["name", "procedure"]
