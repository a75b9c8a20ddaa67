from django.contrib import admin

from .models import Movement, Part, PurchaseOrder, StockLevel, Supplier


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "purchase_cost", "selling_price", "minimum", "serial_tracked",
                    "active"]
    list_filter = ["active", "serial_tracked"]
    search_fields = ["sku", "name", "fits"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone"]
    search_fields = ["name"]


class ReadOnly(admin.ModelAdmin):
    """Changed only through the stock services (the ledger must match): looked up here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockLevel)
class StockLevelAdmin(ReadOnly):
    list_display = ["part", "center", "on_hand", "reserved"]
    list_select_related = ["part", "center"]
    list_filter = ["center"]


@admin.register(Movement)
class MovementAdmin(ReadOnly):
    list_display = ["at", "part", "center", "kind", "on_hand_change", "reserved_change",
                    "order_ref", "reason"]
    list_select_related = ["part", "center"]
    list_filter = ["kind", "center"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ReadOnly):
    list_display = ["display_number", "supplier", "center", "status", "expected_on"]
    list_select_related = ["supplier", "center"]
