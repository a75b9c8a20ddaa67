from django.contrib import admin

from .models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments and refunds, to look up; they are taken on the order page, never edited."""

    list_display = ["receipt", "order", "amount", "method", "taken_by", "taken_at"]
    list_filter = ["method"]
    list_select_related = ["receipt", "order", "taken_by"]
    readonly_fields = ["order", "amount", "method", "reason", "note", "taken_by", "taken_at",
                       "receipt"]
    exclude = ["idempotency_key"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
