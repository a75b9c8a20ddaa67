"""The public site: home, the order look-up, the free advice form, robots.txt, and the pages
for a missing page, a refused form and too many requests."""

import uuid

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from repaircenter.consult import services as consult
from repaircenter.core.models import CenterSettings
from repaircenter.core.ratelimit import client_address, hit, too_many_requests

from . import services
from .forms import AdviceForm, LookupForm
from .middleware import ORDER_PAGES, STAFF_PREFIXES

TOO_MANY = "portal/too_many.html"


def render_public(request, template: str, context: dict | None = None, status: int = 200):
    """A public page (its base shows the center's name and contacts, read once)."""
    context = context or {}
    if "center" not in context:  # the order's pages bring the order's center
        context = {"center": CenterSettings.load(), **context}
    return render(request, template, context, status=status)


def limited(request, scope: str, setting_value: int, per: int):
    """None while the address stays within the limit; else the 429 page."""
    if hit(scope, client_address(request), limit=setting_value, per=per):
        return None
    return too_many_requests(request, per, TOO_MANY)


@require_GET
def home(request):
    return render_public(request, "portal/home.html", {"online": consult.consultants_online()})


ROBOTS = """User-agent: *
Disallow: /o/
Disallow: /chat/
Disallow: /staff/
Disallow: /accounts/
Disallow: /admin/
"""


@require_GET
def robots_txt(request):
    return HttpResponse(ROBOTS, content_type="text/plain; charset=utf-8")


# --- the order look-up -----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def lookup(request):
    """Order number and phone: the link goes again, by text, to the phone on the order. The
    answer is the same whether they matched or not, and the link never shows here."""
    if request.method == "GET":
        return render_public(request, "portal/lookup.html", {"form": LookupForm()})
    refused = limited(request, "lookup", settings.LOOKUPS_PER_HOUR, 3600)
    if refused:
        return refused
    form = LookupForm(request.POST)
    if form.is_a_script:
        return redirect("portal:lookup_sent")
    if not form.is_valid():
        return render_public(request, "portal/lookup.html", {"form": form}, status=400)
    services.resend_link(number=form.cleaned_data["number"], phone=form.cleaned_data["phone"])
    return redirect("portal:lookup_sent")


@require_GET
def lookup_sent(request):
    return render_public(request, "portal/lookup_sent.html")


# --- free advice -----------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def advice(request):
    if request.method == "GET":
        form = AdviceForm(initial={"form_key": uuid.uuid4()})
        return render_public(request, "portal/advice.html", {"form": form})
    refused = limited(request, "advice", settings.ADVICE_REQUESTS_PER_HOUR, 3600)
    if refused:
        return refused
    form = AdviceForm(request.POST, request.FILES)
    if form.is_a_script:
        return redirect("portal:advice_sent")  # a script is told it worked, and nothing is kept
    if not form.is_valid():
        return render_public(request, "portal/advice.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        consult.ask(
            name=data["name"], phone=data["phone"], email=data["email"],
            reply_channel=data["reply_channel"], equipment=data["equipment"],
            question=data["question"], photo=data["photo"], form_key=data["form_key"],
        )
    except consult.BadText as error:
        form.add_error("question", error.message)
        return render_public(request, "portal/advice.html", {"form": form}, status=400)
    return redirect("portal:advice_sent")


@require_GET
def advice_sent(request):
    return render_public(request, "portal/advice_sent.html")


# --- error pages -----------------------------------------------------------------------------


def not_found(request, exception=None):
    """A public 404; under /o/ it tells the customer to call, never whether the order exists."""
    if request.path_info.startswith(STAFF_PREFIXES):
        return defaults.page_not_found(request, exception)
    template = "portal/link_not_found.html" if request.path_info.startswith(ORDER_PAGES) \
        else "portal/not_found.html"
    return render_public(request, template, status=404)


def csrf_failure(request, reason=""):
    """A form sent without its security token (an old page, cookies off): nothing was done."""
    return render_public(request, "portal/form_expired.html",
                         {"back": request.path_info, "title": _("Please try again")}, status=403)
