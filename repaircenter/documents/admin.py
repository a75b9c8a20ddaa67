from django.contrib import admin

from .models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Issued documents, to look up; never added, changed or deleted here."""

    list_display = ["__str__", "kind", "title", "issued_at", "issued_by"]
    list_filter = ["kind"]
    search_fields = ["title"]
    fields = ["kind", "number", "title", "issued_at", "issued_by", "file", "sha256", "replaces",
              "correction"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
