from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """Pages by a cursor on the id: an order (or customer) added while a client pages through
    lands before the first page, so no row is seen twice and none is missed."""

    ordering = "-id"
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
