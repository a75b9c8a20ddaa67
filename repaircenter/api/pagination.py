from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """Pages by a cursor on the id: an order (or customer) added while a client pages through
    lands before the first page, so no row is seen twice and none is missed. A cursor that is
    not one of ours is bad input (400), as is a page size that is not a number from 1 to 100."""

    ordering = "-id"
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [_(
                "This is not a cursor this API gave: follow the “next” link of a page.")]},
            ) from None

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is not None and not (
            text.isascii() and text.isdigit() and 1 <= int(text) <= self.max_page_size
        ):
            raise ValidationError({self.page_size_query_param: [
                _("Give a number from 1 to %(most)d.") % {"most": self.max_page_size}]})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1,
                                       "maximum": self.max_page_size}
        return parameters
