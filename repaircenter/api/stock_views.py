"""The parts catalogue, stock levels, the ledger of movements and purchase orders, for other
systems. Purchase orders are made, sent and cancelled by the same functions as on the staff
pages (stock/purchasing.py, by the same role); receiving a delivery goes through the workflow
(it serves the waiting orders)."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.centers.models import Center
from repaircenter.orders import workflow
from repaircenter.orders.workflow.parts import BUYERS, STOREKEEPERS
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import (
    BELOW_MINIMUM,
    Movement,
    Part,
    PurchaseLine,
    PurchaseOrder,
    StockLevel,
    Supplier,
    part_matching,
)
from repaircenter.stock.services import StockError

from . import idempotency
from .errors import ApiError
from .pagination import NewestFirst
from .permissions import MAX_NUMBER, actor, token_workplace
from .serializers import MoneyField, QueryText, query_parameters

ANY_STAFF = frozenset(STAFF_ROLES)


class PartSerializer(serializers.ModelSerializer):
    purchase_cost = MoneyField(read_only=True)
    selling_price = MoneyField(read_only=True)

    class Meta:
        model = Part
        fields = ["id", "sku", "name", "fits", "purchase_cost", "selling_price", "minimum",
                  "serial_tracked", "active"]


class LevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="part.sku")
    available = serializers.IntegerField(read_only=True)
    minimum = serializers.IntegerField(source="part.minimum")

    class Meta:
        model = StockLevel
        fields = ["id", "center", "part", "sku", "on_hand", "reserved", "available", "minimum"]


class MovementSerializer(serializers.ModelSerializer):
    unit_cost = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Movement
        fields = ["id", "at", "center", "part", "kind", "on_hand_change", "reserved_change",
                  "reason", "order_ref", "purchase_order", "unit_cost", "serials"]


class PurchaseLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="part.sku")
    unit_cost = MoneyField(read_only=True)

    class Meta:
        model = PurchaseLine
        fields = ["id", "part", "sku", "quantity", "received", "unit_cost"]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="display_number")
    supplier = serializers.CharField(source="supplier.name")
    lines = PurchaseLineSerializer(many=True)

    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "center", "supplier", "status", "expected_on", "sent_at",
                  "note", "lines"]


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": stock.MAX_UNITS})
class UnitsField(serializers.Field):
    """Whole units, by the stock's own rule (stock.services.whole_units)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):  # a JSON integer, as stated
            raise serializers.ValidationError(_("The quantity must be a whole number of units."))
        try:
            return stock.whole_units(data)
        except StockError as error:
            raise serializers.ValidationError(error.message) from None

    def to_representation(self, value):
        return value


class PurchaseLineInSerializer(serializers.Serializer):
    part = serializers.SlugRelatedField(
        slug_field="sku", queryset=Part.objects.filter(active=True),
        help_text=gettext_lazy("A part of the catalogue, by its code."))
    quantity = UnitsField(help_text=gettext_lazy("Whole units to order."))
    unit_cost = MoneyField(
        min_value=Decimal("0"), required=False, allow_null=True, default=None,
        help_text=gettext_lazy("What one unit costs; left out, the part's purchase cost."))


class PurchaseOrderInSerializer(serializers.Serializer):
    supplier = serializers.SlugRelatedField(
        slug_field="name", queryset=Supplier.objects.all(),
        help_text=gettext_lazy("The supplier, by its name (as purchase orders answer it)."))
    center = serializers.PrimaryKeyRelatedField(
        queryset=Center.objects.filter(active=True), required=False, allow_null=True,
        default=None, help_text=gettext_lazy(
            "The center the parts are for, one the token works in; left out, the token's "
            "first center."))
    expected_on = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text=gettext_lazy("When the supplier is expected to deliver (needed to send)."))
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False,
                                 default="")
    lines = PurchaseLineInSerializer(many=True, min_length=1, max_length=100)


class SendSerializer(serializers.Serializer):
    expected_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=gettext_lazy(
            "When the supplier is expected to deliver; left out, the date the purchase order "
            "has."))


class ReceiveSerializer(serializers.Serializer):
    quantities = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=1_000_000),
        help_text="Units delivered per part code (sku).")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PartSearch(serializers.Serializer):
    search = QueryText(required=False, max_length=100,
                       help_text="Part of the code, the name or a model it fits.")


class LevelFilter(serializers.Serializer):
    low = serializers.BooleanField(required=False, default=False,
                                   help_text="Only the parts below their minimum.")


class NoFilter(serializers.Serializer):
    pass


def _centers(request, queryset, path: str = "center"):
    place = token_workplace(request)
    return queryset if place.allowed is None else queryset.filter(
        **{f"{path}__in": place.allowed})


@extend_schema(tags=["stock"], summary="The parts catalogue (search by code, name or model)",
               parameters=[PartSearch])
class PartList(generics.ListAPIView):
    roles = {"GET": ANY_STAFF}
    serializer_class = PartSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        search = query_parameters(PartSearch, self.request, self.pagination_class)
        return Part.objects.filter(part_matching(search.validated_data.get("search", "")))


@extend_schema(tags=["stock"], summary="Stock levels at the token's centers",
               parameters=[LevelFilter])
class LevelList(generics.ListAPIView):
    roles = {"GET": STOREKEEPERS}
    serializer_class = LevelSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        wanted = query_parameters(LevelFilter, self.request, self.pagination_class)
        levels = _centers(self.request, StockLevel.objects.select_related("part"))
        if wanted.validated_data["low"]:
            levels = levels.filter(BELOW_MINIMUM)
        return levels


@extend_schema(tags=["stock"], summary="The ledger of stock movements, newest first")
class MovementList(generics.ListAPIView):
    roles = {"GET": STOREKEEPERS}
    serializer_class = MovementSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        query_parameters(NoFilter, self.request, self.pagination_class)
        return _centers(self.request, Movement.objects.all())


@contextmanager
def _purchase_rules():
    """The purchase order's refusals in the API's shapes: a status that does not allow the
    change 409 `wrong_state`, input it needs 400 naming the field, any other rule 409."""
    try:
        yield
    except purchasing.WrongStatus as error:
        raise ApiError(409, "wrong_state", error.message) from None
    except StockError as error:
        if error.field:
            raise serializers.ValidationError({error.field: [error.message]}) from None
        raise ApiError(409, "refused", error.message) from None


PURCHASE_KEY = OpenApiParameter(
    idempotency.HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    pattern=idempotency.KEY_PATTERN,
    description=("A key the client makes for this purchase order (a UUID, say). Sent again "
                 "with the same body, the first answer comes back and no second purchase "
                 "order is made; with another body, 409."),
)


@extend_schema(tags=["stock"])
class PurchaseOrderList(generics.ListAPIView):
    roles = {"GET": STOREKEEPERS, "POST": BUYERS}
    serializer_class = PurchaseOrderSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        query_parameters(NoFilter, self.request, self.pagination_class)
        return _centers(self.request, PurchaseOrder.objects.select_related("supplier")
                        .prefetch_related("lines__part"))

    @extend_schema(summary="Purchase orders to suppliers")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Make a purchase order (a draft, to send next)", parameters=[PURCHASE_KEY],
        request=PurchaseOrderInSerializer, responses={201: PurchaseOrderSerializer},
        examples=[OpenApiExample("Five screens", request_only=True, value={
            "supplier": "Parts Direct Ltd", "expected_on": "2026-12-10",
            "lines": [{"part": "SCR-S23", "quantity": 5, "unit_cost": "38.50"}]})])
    def post(self, request):
        key = idempotency.key_from(request)
        data = PurchaseOrderInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return idempotency.once(request, key, lambda: self._create(request, data.validated_data))

    def _create(self, request, values: dict) -> Response:
        place = token_workplace(request)
        center = values["center"] or place.center
        if center is None:
            raise serializers.ValidationError({"center": [
                _("Say which center the purchase order is for.")]})
        if not place.may_see(center.pk):
            raise serializers.ValidationError({"center": [
                _("This token does not work at that center.")]})
        try:
            made = purchasing.create(
                center_id=center.pk, supplier=values["supplier"], by=request.user,
                expected_on=values["expected_on"], note=values["note"],
                lines=[(line["part"], line["quantity"], line["unit_cost"])
                       for line in values["lines"]])
        except StockError as error:  # the input breaks a rule of the purchase order
            raise serializers.ValidationError(
                {error.field or "lines": [error.message]}) from None
        return Response(PurchaseOrderSerializer(_purchase_order(request, made.pk)).data,
                        status=201)


def _purchase_order(request, pk: int) -> PurchaseOrder:
    if pk > MAX_NUMBER:
        raise ApiError(404, "not_found", _("There is no such purchase order."))
    return get_object_or_404(_centers(request, PurchaseOrder.objects.select_related(
        "supplier").prefetch_related("lines__part")), pk=pk)


@extend_schema(tags=["stock"], summary="One purchase order",
               responses={200: PurchaseOrderSerializer})
class PurchaseOrderDetail(APIView):
    roles = {"GET": STOREKEEPERS}

    def get(self, request, pk: int):
        return Response(PurchaseOrderSerializer(_purchase_order(request, pk)).data)


@extend_schema(tags=["stock"], summary="Receive a delivery: adds the stock and serves the orders "
               "waiting for it, oldest first", request=ReceiveSerializer,
               responses={200: PurchaseOrderSerializer}, examples=[OpenApiExample(
                   "Two screens arrived", request_only=True,
                   value={"quantities": {"SCR-S23": 2}, "reason": ""})])
class PurchaseOrderReceive(APIView):
    roles = {"POST": STOREKEEPERS}

    def post(self, request, pk: int):
        data = ReceiveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        po = _purchase_order(request, pk)
        by_sku = {line.part.sku: line.part_id for line in po.lines.all()}
        unknown = sorted(set(data.validated_data["quantities"]) - set(by_sku))
        if unknown:
            raise serializers.ValidationError({"quantities": [
                _("Not on this purchase order: %(skus)s.") % {"skus": ", ".join(unknown)}]})
        moved = workflow.receive_purchase_order(
            purchase_order=po, actor=actor(request), reason=data.validated_data["reason"],
            quantities={by_sku[sku]: n for sku, n in data.validated_data["quantities"].items()})
        body = PurchaseOrderSerializer(_purchase_order(request, pk)).data
        return Response({**body, "orders_ready": [o.number for o in moved]})


@extend_schema(tags=["stock"], summary="Send a draft purchase order to the supplier",
               request=SendSerializer, responses={200: PurchaseOrderSerializer},
               examples=[OpenApiExample("Expected on the 10th", request_only=True,
                                        value={"expected_on": "2026-12-10"})])
class PurchaseOrderSend(APIView):
    """draft → sent; the orders waiting for parts at its center learn when they are due."""

    roles = {"POST": BUYERS}

    def post(self, request, pk: int):
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        po = _purchase_order(request, pk)
        with _purchase_rules(), transaction.atomic():
            sent = purchasing.send(purchase_order=po,
                                   expected_on=data.validated_data["expected_on"])
            workflow.after_purchase_sent(sent)
        return Response(PurchaseOrderSerializer(_purchase_order(request, pk)).data)


@extend_schema(tags=["stock"], summary="Cancel a purchase order not yet received (a draft or "
               "sent)", request=None, responses={200: PurchaseOrderSerializer})
class PurchaseOrderCancel(APIView):
    roles = {"POST": BUYERS}

    def post(self, request, pk: int):
        po = _purchase_order(request, pk)
        with _purchase_rules():
            purchasing.cancel(purchase_order=po)
        return Response(PurchaseOrderSerializer(_purchase_order(request, pk)).data)
