"""The parts catalogue, stock levels, the ledger of movements and purchase orders, for other
systems; receiving a delivery goes through the workflow (it serves the waiting orders)."""

from __future__ import annotations

from django.db.models import F, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.orders import workflow
from repaircenter.orders.workflow.parts import STOREKEEPERS
from repaircenter.stock.models import Movement, Part, PurchaseLine, PurchaseOrder, StockLevel

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
                  "lines"]


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
        parts = Part.objects.all()
        for word in search.validated_data.get("search", "").split():
            parts = parts.filter(Q(sku__icontains=word) | Q(name__icontains=word)
                                 | Q(fits__icontains=word))
        return parts


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
            levels = levels.filter(part__minimum__gt=F("on_hand") - F("reserved"))
        return levels


@extend_schema(tags=["stock"], summary="The ledger of stock movements, newest first")
class MovementList(generics.ListAPIView):
    roles = {"GET": STOREKEEPERS}
    serializer_class = MovementSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        query_parameters(NoFilter, self.request, self.pagination_class)
        return _centers(self.request, Movement.objects.all())


@extend_schema(tags=["stock"], summary="Purchase orders to suppliers")
class PurchaseOrderList(generics.ListAPIView):
    roles = {"GET": STOREKEEPERS}
    serializer_class = PurchaseOrderSerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        query_parameters(NoFilter, self.request, self.pagination_class)
        return _centers(self.request, PurchaseOrder.objects.select_related("supplier")
                        .prefetch_related("lines__part"))


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
