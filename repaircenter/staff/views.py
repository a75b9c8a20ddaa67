import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from repaircenter.accounts.forms import remember_center
from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import STAFF_ROLES, Role
from repaircenter.core.jinja_env import JINJA
from repaircenter.core.models import CenterSettings
from repaircenter.customers.lookup import find_customer_by_phone, normalize_phone
from repaircenter.documents.codes import barcode_svg, qr_svg
from repaircenter.orders import documents as paperwork
from repaircenter.orders import workflow
from repaircenter.orders.credentials import format_pickup_code, portal_url, portal_url_hint
from repaircenter.orders.models import (
    ConditionPhoto,
    EquipmentPhoto,
    EventChannel,
    IntakeSignature,
    Order,
    OrderEvent,
    PasscodeKind,
)
from repaircenter.orders.passcodes import pattern_rows
from repaircenter.orders.selectors import (
    QUEUE_PAGE_SIZE,
    order_page,
    queue_order_ids,
    queue_page,
    search_orders,
)
from repaircenter.orders.signatures import save_signature
from repaircenter.orders.states import QUEUES
from repaircenter.orders.transitions import (
    DECISION,
    DISPOSAL,
    ESTIMATE,
    ISSUE,
    TEST,
    TRANSITIONS,
    Transition,
)
from repaircenter.orders.workflow import Actor, WorkflowError
from repaircenter.orders.workplace import NotYourCenter, workplace

from . import intake_photos
from .forms import PHONE_NOT_REACHABLE, CustomerCopyForm, IntakeForm, SearchForm, TransitionForm
from .intake_records import (
    PATTERN_POINTS,
    RESULTS,
    IntakeRecordsForm,
    checklists,
    condition_answers,
)
from .selectors import home_page, staff_order_page
from .warranty_views import claim_for_intake

ANY_STAFF = tuple(STAFF_ROLES)
INTAKE = (Role.RECEPTIONIST, Role.MANAGER)


@require_GET
@role_required(*ANY_STAFF)
def home(request):
    return render(request, "staff/home.html",
                  {**vars(home_page(request.user, request.workplace)), "search_form": SearchForm()})


@require_POST
@role_required(*ANY_STAFF)
def choose_center(request):
    """The header's choice of the center one works in (a manager's "all centers" too)."""
    chosen = request.POST.get("center", "")
    try:
        workplace(request.user, chosen)
    except NotYourCenter:
        raise PermissionDenied from None
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("staff:home")
    response = redirect(back)
    remember_center(request, response, chosen)
    return response


# --- intake -----------------------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("passcode")
@require_http_methods(["GET", "POST"])
@role_required(*INTAKE)
def intake(request):
    center = request.workplace.center
    if center is None or center.workshop_only:
        # Equipment is taken in at a counter: the one the receptionist stands at.
        messages.error(request, _("Choose the center taking the equipment in, at the top of "
                                  "the page; a workshop takes nothing in."))
        return redirect("staff:home")
    if request.method == "GET":
        claim, initial = claim_for_intake(request)
        form = IntakeForm(initial={"language": center.language, **initial,
                                   "intake_key": uuid.uuid4()})
        return render(request, "staff/intake.html",
                      {"form": form, "claim": claim,
                       **_records_context(IntakeRecordsForm(), None, [])})
    form = IntakeForm(request.POST, request.FILES)
    records = IntakeRecordsForm(request.POST)
    key = _intake_key(request.POST.get("intake_key", ""))
    kept = intake_photos.kept(key, request.POST.getlist("kept_photos"))
    valid = form.is_valid()
    answers, condition_errors = condition_answers(
        request.POST, request.FILES, form.cleaned_data.get("kind"))
    valid = records.is_valid() and valid and not condition_errors
    if valid and len(kept) + len(form.cleaned_data["photos"]) > settings.PHOTO_MAX_COUNT:
        form.add_error("photos", _("At most %(count)d photos per order, with those kept.")
                       % {"count": settings.PHOTO_MAX_COUNT})
        valid = False
    if not valid:
        # The photos read without fault are kept for the next submission.
        if key is not None and "photos" not in form.errors:
            kept += intake_photos.stage(key, form.cleaned_data.get("photos", []))
        return render(request, "staff/intake.html",
                      {"form": form, "kept_photos": kept,
                       **_records_context(records, request.POST, condition_errors)},
                      status=400)
    data = {**form.cleaned_data,
            "photos": [*intake_photos.load(key, kept), *form.cleaned_data["photos"]],
            "condition_checks": answers, "signature": records.cleaned_data["signature_data"],
            "passcode": records.passcode_given()}
    try:
        result = _take_in(request, data)
    except workflow.SeveralDevicesMatch as several:
        form.add_error(None, several.message)
        if key is not None:
            kept += intake_photos.stage(key, form.cleaned_data.get("photos", []))
        return render(request, "staff/intake.html",
                      {"form": form, "kept_photos": kept,
                       **_records_context(records, request.POST, [])}, status=400)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:intake")
    except ValidationError as error:  # the workflow's own check of the records
        return render(request, "staff/intake.html",
                      {"form": form, "kept_photos": kept,
                       **_records_context(records, request.POST, error.messages)}, status=400)
    intake_photos.discard(key, kept)
    # The response carries the only readable copy of the pickup code; it is not kept.
    return _render_intake_order(request, result.order, result.pickup_code, repeated=result.repeated)


def _intake_key(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _take_in(request, data) -> workflow.IntakeResult:
    return workflow.take_in(
        actor=Actor.staff(request.user),
        customer=workflow.CustomerDetails(
            phone=data["phone"],
            name=data["name"],
            email=data["email"],
            preferred_channels=tuple(data["preferred_channels"]),
            language=data["language"],
        ),
        equipment=workflow.EquipmentDetails(
            kind_id=data["kind"].pk,
            brand=data["brand"],
            model=data["model"],
            serial_number=data["serial_number"],
            imei=data["imei"],
            condition=data["condition"],
            accessories=data["accessories"],
            fault=data["fault"],
            device_id=data.get("device"),
        ),
        photos=data["photos"],
        intake_key=data["intake_key"],
        center=request.workplace.center,
        warranty_of=get_object_or_404(Order, number=data["warranty_of"])
        if data.get("warranty_of") else None,
        condition=data["condition_checks"],
        signature=data["signature"],
        passcode=data["passcode"],
    )


def _records_context(records: IntakeRecordsForm, sent, condition_errors: list[str]) -> dict:
    return {"records": records, "checklists": checklists(sent), "check_results": RESULTS,
            "condition_errors": condition_errors, "pattern_points": PATTERN_POINTS}


@require_GET
@role_required(*INTAKE)
def customer_lookup(request):
    """While the receptionist types the phone: the customer already on file, if any."""
    phone = request.GET.get("phone", "")
    # The same check as the intake form's: a number it would refuse is said so now.
    typed = len(phone) >= 6
    customer = find_customer_by_phone(phone) if typed else None
    not_reachable = typed and customer is None and normalize_phone(phone) is None
    channel_fields = []
    if customer is not None:
        # The form's three channel selects, set to the customer's stored order of preference.
        stored = [*customer.preferred_channels, "", ""]
        form = IntakeForm()
        channel_fields = [
            (f"channel_{i}", stored[i - 1], form.fields[f"channel_{i}"].choices)
            for i in (1, 2, 3)
        ] + [("language", customer.language, form.fields["language"].choices)]
    return render(
        request,
        "staff/_customer_match.html",
        {"customer": customer, "channel_fields": channel_fields, "typed": typed,
         "not_reachable": PHONE_NOT_REACHABLE if not_reachable else None},
    )


def _intake_copy_context(order: Order, with_link: bool) -> dict:
    """What both copies show; the customer's copy carries the whole link, the center's copy
    only its first characters."""
    link = portal_url(order.link_token) if with_link and order.link_token else None
    return {
        "center": order.center,
        "chain": CenterSettings.load(),
        "link": link,
        "link_qr": qr_svg(link) if link else None,
        "link_hint": portal_url_hint(order.portal_token_prefix),
    }


def _render_intake_order(request, order: Order, pickup_code: str | None, repeated: bool = False):
    order = order_page(order.number)
    context = {
        **_intake_copy_context(order, with_link=bool(pickup_code)),
        "order": order,
        "pickup_code": format_pickup_code(pickup_code) if pickup_code else None,
        "pickup_barcode": barcode_svg(pickup_code) if pickup_code else None,
        "pickup_code_raw": pickup_code,
        "repeated": repeated,
    }
    response = render(request, "staff/intake_order.html", context)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@role_required(*INTAKE)
def customer_copy_pdf(request, number: int):
    """The customer's copy with the pickup code as a PDF, made now and never stored, while the
    code just shown on the print page is fresh."""
    order = get_object_or_404(Order, number=number)
    form = CustomerCopyForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The pickup code is missing."))
    order = order_page(order.number)
    try:
        pdf = paperwork.customer_copy_pdf(
            order=order, pickup_code=form.cleaned_data["pickup_code"],
            context=_intake_copy_context(order, with_link=True))
    except paperwork.CopyNotAvailable as error:
        messages.error(request, error.message)
        return redirect("staff:order", number=number)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"{order.display_number}-intake-order-customers-copy.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@role_required(*ANY_STAFF)
def intake_order(request, number: int):
    """GET: the center's copy. POST: reprint the customer's copy with a new pickup code."""
    order = get_object_or_404(Order, number=number)
    if request.method == "GET":
        return _render_intake_order(request, order, None)
    try:
        code = workflow.reissue_pickup_code(order=order, actor=Actor.staff(request.user))
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:order", number=number)
    return _render_intake_order(request, order, code)


@require_GET
@role_required(*ANY_STAFF)
def label(request, number: int):
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    # The label on the equipment leads staff to the order's page, not to the customer's link.
    url = f"{settings.SITE_URL}{reverse('staff:order', args=[order.number])}"
    return render(request, "staff/label.html", {"order": order, "link_qr": qr_svg(url)})


def _stored_image(name: str, content_type: str) -> FileResponse:
    """A photo or signature from the file storage (the data folder or the bucket); gone: 404.
    The browser may keep it a while, for this person only."""
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@role_required(*ANY_STAFF)
def photo(request, number: int, pk: int):
    photo = get_object_or_404(EquipmentPhoto, pk=pk, order__number=number)
    return _stored_image(photo.image.name, "image/jpeg")


@require_GET
@role_required(*ANY_STAFF)
def signature(request, number: int, event_id: int):
    """The signature a customer drew on the pad, as evidence of their decision."""
    event = get_object_or_404(OrderEvent, pk=event_id, order__number=number)
    path = event.evidence.get("signature_file")
    if not path:
        raise Http404
    return _stored_image(path, "image/png")


@require_GET
@role_required(*ANY_STAFF)
def condition_photo(request, number: int, pk: int):
    """A photo of one checklist item taken at intake."""
    photo = get_object_or_404(ConditionPhoto, pk=pk, check_item__order__number=number)
    return _stored_image(photo.image.name, "image/jpeg")


@require_GET
@role_required(*ANY_STAFF)
def intake_signature(request, number: int):
    """The signature the customer drew on the pad at intake."""
    signed = get_object_or_404(IntakeSignature, order__number=number)
    return _stored_image(signed.image, "image/png")


@never_cache
@require_POST
@role_required(*workflow.PASSCODE_ROLES)
def passcode(request, number: int):
    """Show the device's passcode once, on a page the browser does not keep; the viewing is
    recorded as an event of the order."""
    order = get_object_or_404(
        request.workplace.visible(Order.objects.select_related("equipment__kind")),
        number=number)
    try:
        kind, text = workflow.show_passcode(order=order, actor=Actor.staff(request.user))
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:order", number=number)
    response = render(request, "staff/passcode.html", {
        "order": order, "kind": kind,
        "passcode": text if kind != PasscodeKind.PATTERN else "",
        "pattern": pattern_rows(text) if kind == PasscodeKind.PATTERN else None,
    })
    response["Cache-Control"] = "no-store"
    return response


# --- finding orders ---------------------------------------------------------------------------


@require_GET
@role_required(*ANY_STAFF)
def search(request):
    form = SearchForm(request.GET)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    results = search_orders(text, request.workplace)
    if len(results) == 1 and request.GET.get("go") == "1":
        return redirect("staff:order", number=results[0].number)
    found = ngettext("%(n)s order found for “%(query)s”.", "%(n)s orders found for “%(query)s”.",
                     len(results)) % {"n": len(results), "query": text}
    return render(
        request,
        "staff/search.html",
        {"search_form": form, "query": text, "results": results, "found": found,
         "today": timezone.localdate()},
        using=JINJA,
    )


@require_GET
@role_required(*ANY_STAFF)
def queue(request, slug: str):
    chosen = QUEUES.get(slug)
    if chosen is None:
        raise Http404
    ids = queue_order_ids(chosen, request.workplace)
    page = Paginator(ids, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/queue.html",
        {"queue": chosen, "page": page, "orders": queue_page(chosen, page.object_list),
         "now": timezone.now(), "today": timezone.localdate()},
        using=JINJA,
    )


# --- the order page and its actions -----------------------------------------------------------


@require_GET
@role_required(*ANY_STAFF)
def order_detail(request, number: int):
    return render(request, "staff/order.html",
                  vars(staff_order_page(number, Actor.staff(request.user), request.workplace)),
                  using=JINJA)


def _decision_evidence(order: Order, data: dict) -> dict:
    """The evidence the form gave for the channel chosen. The staff member who took the call,
    read the email or stood at the counter is the event's actor."""
    channel = data["channel"]
    if channel == EventChannel.PHONE:
        call_time = data["call_time"]
        return {"said": data["said"], "call_time": call_time.isoformat() if call_time else ""}
    if channel == EventChannel.EMAIL:
        return {"email_text": data["email_text"]}
    if channel == EventChannel.IN_PERSON:
        evidence = {"signed_slip": data["signed_slip"]}
        if data["signature_data"]:
            evidence["signature_file"] = save_signature(order.pk, data["signature_data"])
        return evidence
    return {}


def _arguments(transition: Transition, data: dict, evidence: dict) -> dict:
    """What the workflow function behind `transition` takes from the page's form, by the form
    the transition asks for (orders/transitions.py)."""
    arguments = {"note": data["note"], "expected_version": data["version"]}
    if transition.form == DECISION:
        # `as_action`: the decision the page offered must be the one the order awaits.
        arguments.update(channel=data["channel"], estimate_id=data["estimate_id"],
                         evidence=evidence, as_action=transition.name)
    elif transition.form == ISSUE:
        arguments.update(pickup_code=data["pickup_code"], lost_original=_lost_original(data))
    elif transition.form == DISPOSAL:
        arguments.update(method=data["method"])
    return arguments


def _lost_original(data: dict) -> workflow.LostOriginal | None:
    fields = (data["id_document_type"], data["id_document_number"], data["statement"])
    if not any(field.strip() for field in fields):
        return None
    return workflow.LostOriginal(*fields)


@require_POST
@role_required(*ANY_STAFF)
def order_action(request, number: int, action: str):
    transition = TRANSITIONS.get(action)
    # The estimate's own page sends it, the stress test has its form; the system's
    # transitions have no button.
    if transition is None or not transition.manual or transition.form in (ESTIMATE, TEST):
        raise Http404
    order = get_object_or_404(Order, number=number)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("The form was incomplete; reload the order and retry."))
    evidence = {}
    try:
        if transition.form == DECISION:
            evidence = _decision_evidence(order, form.cleaned_data)
        perform = getattr(workflow, transition.function)
        perform(order=order, actor=Actor.staff(request.user),
                **_arguments(transition, form.cleaned_data, evidence))
    except (WorkflowError, ValidationError) as error:  # ValidationError: an unreadable signature
        if evidence.get("signature_file"):
            default_storage.delete(evidence["signature_file"])  # nothing refers to it
        text = error.message if isinstance(error, WorkflowError) else " ".join(error.messages)
        messages.error(request, text)
    else:
        messages.success(
            request, _("%(action)s: done.") % {"action": transition.label}
        )
    return redirect("staff:order", number=number)


@require_POST
@role_required(*ANY_STAFF)
def replace_link(request, number: int):
    order = get_object_or_404(Order.objects.select_related("customer", "equipment"),
                              number=number)
    try:
        token = workflow.replace_portal_link(order=order, actor=Actor.staff(request.user))
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect("staff:order", number=number)
    # The one moment the new link is shown whole; the page is not kept by the browser.
    link = portal_url(token)
    response = render(request, "staff/link_made.html",
                      {"order": order, "link": link, "link_qr": qr_svg(link)})
    response["Cache-Control"] = "no-store"
    return response
