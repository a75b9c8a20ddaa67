"""The HTTP API: thin views that parse with a serializer, call the workflow or a service, and
answer. Every change of an order goes through orders/workflow.py (or the services beside it,
which call it), as the staff pages' changes do."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.billing import services as billing
from repaircenter.customers import services as customers
from repaircenter.customers.models import Customer
from repaircenter.documents.issuing import open_pdf
from repaircenter.documents.models import Document
from repaircenter.orders import estimates, repair, workflow
from repaircenter.orders.dues import stored_balance_due, stored_paid_total
from repaircenter.orders.models import EquipmentKind, Estimate, Order
from repaircenter.orders.selectors import order_page, search_conditions
from repaircenter.orders.warranty import device_panel

from . import idempotency
from . import serializers as s
from .errors import ApiError, error_body
from .pagination import NewestFirst
from .permissions import MAX_NUMBER, actor, token_workplace

ANY_STAFF = frozenset(STAFF_ROLES)
# The same role sets the workflow and the services check.
INTAKE = workflow.INTAKE_ROLES
WRITERS = estimates.WRITERS
REPAIRERS = repair.REPAIRERS
PAYERS = billing.PAYMENT_ROLES


def order_or_404(number: int) -> Order:
    """The order as the workflow needs it (404 if none)."""
    if number > MAX_NUMBER:
        raise ApiError(404, "not_found", _("There is no such order."))
    return get_object_or_404(Order.objects.select_related("customer", "equipment"),
                             number=number)


def order_detail(number: int) -> dict:
    """The order's full detail, read afresh after a change (the staff page's selector)."""
    return s.OrderDetailSerializer(order_page(number)).data


ORDER_NUMBER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH,
                                description="The order's `number`, its key across the "
                                "chain (its papers print `display_number`, e.g. R-000012).")


# --- equipment kinds ----------------------------------------------------------------------------


@extend_schema(tags=["reference"], summary="Kinds of equipment offered at intake")
class EquipmentKindList(generics.ListAPIView):
    roles = {"GET": ANY_STAFF}
    serializer_class = s.EquipmentKindSerializer
    pagination_class = None
    queryset = EquipmentKind.objects.filter(active=True).prefetch_related("checklist_items")


# --- customers ----------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(summary="List customers, or look one up by phone",
                      parameters=[s.CustomerLookupSerializer]),
    post=extend_schema(summary="Create a customer", examples=[OpenApiExample(
        "A new customer", request_only=True,
        value={"name": "Alice Brown", "phone": "+44 20 7946 0199", "email": "alice@example.com",
               "preferred_channels": ["sms", "email"]})]),
)
@extend_schema(tags=["customers"])
class CustomerList(generics.ListCreateAPIView):
    roles = {"GET": ANY_STAFF, "POST": INTAKE}
    serializer_class = s.CustomerSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        queryset = Customer.objects.all()
        lookup = s.query_parameters(s.CustomerLookupSerializer, self.request,
                                    self.pagination_class)
        phone = lookup.validated_data.get("phone")
        if phone is not None:
            try:
                e164 = s.PhoneField().run_validation(phone)
            except serializers.ValidationError as invalid:
                raise serializers.ValidationError({"phone": invalid.detail}) from None
            queryset = queryset.filter(phone=e164)
        return queryset

    def perform_create(self, serializer):
        try:
            serializer.instance = customers.create_customer(**serializer.validated_data)
        except customers.PhoneTaken as taken:
            raise ApiError(409, "phone_taken", _(
                "Customer %(id)d already has this phone number.") % {"id": taken.customer.pk}
            ) from None


@extend_schema_view(
    get=extend_schema(summary="A customer"),
    patch=extend_schema(summary="Change a customer's contact details"),
)
@extend_schema(tags=["customers"])
class CustomerDetail(generics.RetrieveUpdateAPIView):
    roles = {"GET": ANY_STAFF, "PATCH": INTAKE}
    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = s.CustomerSerializer
    queryset = Customer.objects.all()

    def get_object(self):
        if self.kwargs["pk"] > MAX_NUMBER:
            raise ApiError(404, "not_found", _("There is no such customer."))
        return super().get_object()

    def perform_update(self, serializer):
        try:
            customers.update_contacts(customer=serializer.instance, **serializer.validated_data)
        except customers.PhoneTaken as taken:
            raise ApiError(409, "phone_taken", _(
                "Customer %(id)d already has this phone number.") % {"id": taken.customer.pk}
            ) from None


# --- orders -------------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(summary="List orders, newest first",
                      parameters=[s.OrderFilterSerializer],
                      responses=s.OrderSummarySerializer(many=True)),
    post=extend_schema(summary="Take in equipment: a new order", request=s.IntakeSerializer,
                       responses={201: s.IntakeResultSerializer}, examples=[OpenApiExample(
        "A phone that does not charge", request_only=True,
        value={"customer": {"phone": "020 7946 0199", "name": "Alice Brown",
                            "email": "alice@example.com", "preferred_channels": ["sms"]},
               "equipment": {"kind": 1, "brand": "Samsung", "model": "Galaxy S23",
                             "serial_number": "R5CW31ABCDE", "imei": "",
                             "condition": "Scratched back", "accessories": "Case",
                             "fault": "Does not charge"}})]),
)
@extend_schema(tags=["orders"])
class OrderList(generics.ListAPIView):
    roles = {"GET": ANY_STAFF, "POST": INTAKE}
    serializer_class = s.OrderSummarySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        filters = s.query_parameters(s.OrderFilterSerializer, self.request,
                                     self.pagination_class)
        data = filters.validated_data
        queryset = token_workplace(self.request).visible(
            Order.objects.select_related("customer", "equipment", "equipment__kind"))
        if data.get("status"):
            queryset = queryset.filter(status__in=sorted(data["status"]))
        if data.get("received_from"):
            queryset = queryset.filter(received_at__gte=_day_start(data["received_from"]))
        if data.get("received_to"):
            queryset = queryset.filter(
                received_at__lt=_day_start(data["received_to"] + datetime.timedelta(days=1)))
        if data.get("search", "").strip():
            conditions = search_conditions(data["search"])
            queryset = queryset.filter(conditions) if conditions else queryset.none()
        return queryset

    def post(self, request):
        intake = s.IntakeSerializer(data=request.data)
        intake.is_valid(raise_exception=True)
        person, thing = intake.validated_data["customer"], intake.validated_data["equipment"]
        center = token_workplace(request).center
        if center is None:
            raise ApiError(403, "permission_denied",
                           _("This token works in no center: give its account a center."))
        result = workflow.take_in(
            center=center,
            actor=actor(request),
            customer=workflow.CustomerDetails(
                phone=person["phone"], name=person["name"], email=person["email"],
                preferred_channels=tuple(person["preferred_channels"]),
            ),
            equipment=workflow.EquipmentDetails(
                kind_id=thing["kind"].pk, brand=thing["brand"], model=thing["model"],
                serial_number=thing["serial_number"], imei=thing["imei"],
                condition=thing["condition"], accessories=thing["accessories"],
                fault=thing["fault"], device_id=thing.get("device"),
            ),
            warranty_of=_claimed(intake.validated_data.get("warranty_of")),
            condition=[workflow.ConditionAnswer(item_id=a["item"], result=a["result"],
                                                note=a["note"])
                       for a in intake.validated_data["condition"]],
            signature=intake.validated_data["signature"],
            passcode=(workflow.Passcode(**given)
                      if (given := intake.validated_data["passcode"]) else None),
        )
        return Response({"order": order_detail(result.order.number),
                         "pickup_code": result.pickup_code}, status=201)


def _claimed(number: int | None) -> Order | None:
    if number is None:
        return None
    original = Order.objects.filter(number=min(number, MAX_NUMBER)).first()
    if original is None:
        raise ApiError(404, "not_found", _("There is no order %(number)d to claim the warranty "
                                           "of.") % {"number": number})
    return original


# --- devices ------------------------------------------------------------------------------------


@extend_schema(tags=["orders"], summary="A device's history, by serial number or IMEI",
               parameters=[s.DeviceLookupSerializer],
               responses={200: s.DeviceSerializer(many=True)})
class DeviceList(APIView):
    """The devices a serial number or IMEI matches (several: the intake's `device` chooses),
    each with its orders, what was done, and which warranties still run."""

    roles = {"GET": ANY_STAFF}

    def get(self, request):
        lookup = s.query_parameters(s.DeviceLookupSerializer, request)
        center = token_workplace(request).center
        today = center.local_date(timezone.now()) if center else timezone.localdate()
        known = device_panel(serial_number=lookup.validated_data["serial_number"],
                             imei=lookup.validated_data["imei"], today=today)
        return Response(s.DeviceSerializer(known, many=True).data)


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the center's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@extend_schema(tags=["orders"], summary="An order with everything about it",
               parameters=[ORDER_NUMBER], responses=s.OrderDetailSerializer)
class OrderDetail(APIView):
    roles = {"GET": ANY_STAFF}

    def get(self, request, number: int):
        if number > MAX_NUMBER:
            raise ApiError(404, "not_found", _("There is no such order."))
        return Response(order_detail(number))


LINE_ID = OpenApiParameter("line_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                           description="The id of an agreed line (estimates[].lines[].id).")


# The order's transitions (start-diagnosis, decisions, tests, issue…) are operations.py's, made
# from the registry.


@extend_schema(tags=["orders"], summary="Mark an agreed line done", request=s.LineDoneSerializer,
               parameters=[ORDER_NUMBER, LINE_ID], responses={200: s.OrderDetailSerializer})
class LineDone(APIView):
    """Marks one agreed line of the repair done; answers the order."""

    roles = {"POST": REPAIRERS}

    def post(self, request, number: int, line_id: int):
        data = s.LineDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_or_404(number)
        if line_id > MAX_NUMBER:
            raise ApiError(404, "not_found", _("There is no such line."))
        repair.mark_line_done(order=order, actor=actor(request), line_id=line_id,
                              part_serials=data.validated_data["part_serials"])
        return Response(order_detail(number))


# --- estimates ----------------------------------------------------------------------------------


@extend_schema(tags=["estimates"], summary="Write an estimate (a draft, to send next)",
               parameters=[ORDER_NUMBER], request=s.EstimateInSerializer,
               responses={201: s.EstimateSerializer}, examples=[OpenApiExample(
                   "One work line", request_only=True,
                   value={"repair_days": 2, "recommendation": "Worth repairing.",
                          "lines": [{"line_kind": "work", "quantity": "1",
                                     "description": "Replace the charging port",
                                     "unit_price": "45.00"}]})])
class EstimateCreate(APIView):
    roles = {"POST": WRITERS}

    def post(self, request, number: int):
        data = s.EstimateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order, who = order_or_404(number), actor(request)
        with transaction.atomic():
            draft = estimates.start_draft(order=order, actor=who)
            # A draft holds exactly the lines sent: lines copied into a revision, or left in
            # an earlier draft, go.
            for line in list(draft.lines.all()):
                estimates.remove_line(line=line, actor=who)
            estimates.update_details(
                estimate=draft, actor=who, repair_days=values["repair_days"],
                recommendation=values["recommendation"],
                internal_notes=values["internal_notes"],
                required_to_finish=values["required_to_finish"],
            )
            for line in values["lines"]:
                estimates.add_line(estimate=draft, actor=who, **line)
        fresh = Estimate.objects.prefetch_related("lines__done").get(pk=draft.pk)
        return Response(s.EstimateSerializer(fresh).data, status=201)


# --- payments -----------------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    pattern=idempotency.KEY_PATTERN,
    description=("A key the client makes for this payment (a UUID, say). Sent again with the "
                 "same body, the first answer comes back and nothing more is recorded; with "
                 "another body, 409."),
)


@extend_schema(tags=["payments"], summary="Take a payment",
               parameters=[ORDER_NUMBER, IDEMPOTENCY_KEY], request=s.PaymentInSerializer,
               responses={201: s.PaymentResultSerializer}, examples=[OpenApiExample(
                   "Ten pounds by card", request_only=True,
                   value={"amount": "10.00", "method": "card", "note": ""})])
class PaymentCreate(APIView):
    roles = {"POST": PAYERS}

    def post(self, request, number: int):
        key = idempotency.key_from(request)
        data = s.PaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return idempotency.once(request, key, lambda: self._pay(request, number, key, data))

    def _pay(self, request, number, key, data) -> Response:
        order = order_or_404(number)
        values = data.validated_data
        result = billing.record_payment(
            order=order, actor=actor(request), amount=values["amount"], method=values["method"],
            note=values["note"], idempotency_key=idempotency.payment_key(request.auth, key),
        )
        due, paid = stored_balance_due(order), stored_paid_total(order)
        balance = {"amount_due": due + paid, "paid": paid, "balance_due": due,
                   "currency": settings.CURRENCY}
        return Response(s.PaymentResultSerializer({"payment": result.payment,
                                                   "balance": balance}).data, status=201)


# --- documents ----------------------------------------------------------------------------------


@extend_schema(
    tags=["documents"], summary="Download an issued document as PDF",
    parameters=[ORDER_NUMBER,
                OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                 description="The document's id (documents[].id).")],
    responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY,
                                                         description="The PDF as issued.")},
)
class DocumentPdf(APIView):
    roles = {"GET": ANY_STAFF}

    def perform_content_negotiation(self, request, force=False):
        """The PDF whatever the client accepts; errors in JSON, as everywhere."""
        return JSONRenderer(), JSONRenderer.media_type

    def get(self, request, number: int, pk: int):
        if number > MAX_NUMBER or pk > MAX_NUMBER:
            raise ApiError(404, "not_found", _("There is no such document."))
        document = get_object_or_404(Document, pk=pk, orders__number=number)
        try:
            handle = open_pdf(document)
        except FileNotFoundError:
            raise ApiError(404, "not_found", _("The PDF of this document is missing.")) from None
        response = FileResponse(handle, content_type="application/pdf",
                                filename=document.filename, as_attachment=True)
        response["Cache-Control"] = "private, no-store"
        return response


# --- anything else under /api/v1/ ----------------------------------------------------------------


@csrf_exempt  # no session, no cookie: nothing to forge; the 404 is the answer to any method
def not_found(request, *args, **kwargs):
    """Any other address under the API: a 404 in the API's error shape, not a web page."""
    return JsonResponse(error_body("not_found", _("There is nothing at this address.")),
                        status=404)
