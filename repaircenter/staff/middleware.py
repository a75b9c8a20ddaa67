from django.http import Http404
from django.utils.functional import SimpleLazyObject

from repaircenter.accounts.forms import CHOSEN_CENTER
from repaircenter.orders.models import Order
from repaircenter.orders.workplace import NotYourCenter, workplace

# The namespaces of the staff's pages that take an order's number.
ORDER_PAGES = frozenset({"staff", "notifications"})


def staff_workplace(request):
    """The signed-in person's workplace with the center they chose; a choice that no longer
    holds (they left that center) falls back to their first."""
    chosen = request.session.get(CHOSEN_CENTER)
    try:
        return workplace(request.user, chosen)
    except NotYourCenter:
        request.session.pop(CHOSEN_CENTER, None)
        return workplace(request.user)


class WorkplaceMiddleware:
    """`request.workplace` (orders/workplace.py), read only by the views that use it; an order
    page of a center the person does not belong to is not found."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.workplace = SimpleLazyObject(lambda: staff_workplace(request))
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        number = kwargs.get("number")
        match = request.resolver_match
        if number is None or match is None or match.namespace not in ORDER_PAGES:
            return None
        if not request.user.is_authenticated:
            return None  # the view sends them to the login
        place = request.workplace
        if place.allowed is not None and not place.visible(
                Order.objects.filter(number=number)).exists():
            raise Http404
        return None
