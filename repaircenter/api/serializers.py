"""What the API reads and answers. Money is a decimal string ("45.00"), never a float."""

import re
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.settings import api_settings

from repaircenter.billing.models import Payment, PaymentMethod
from repaircenter.billing.services import MAX_AMOUNT
from repaircenter.customers.channels import CHANNELS
from repaircenter.customers.devices import imei_is_valid
from repaircenter.customers.lookup import normalize_phone
from repaircenter.customers.models import Channel, Customer
from repaircenter.documents.models import Document
from repaircenter.notifications.models import Message
from repaircenter.orders.dues import amount_due, paid_total
from repaircenter.orders.models import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    ChecklistItem,
    ConditionCheck,
    ConditionResult,
    DisposalMethod,
    Equipment,
    EquipmentKind,
    Estimate,
    EstimateLine,
    LineKind,
    Order,
    OrderEvent,
    PasscodeKind,
    StressTest,
)
from repaircenter.orders.transitions import DECISIONS, TRANSITIONS
from repaircenter.orders.workflow import STAFF_DECISION_CHANNELS
from repaircenter.stock.models import Part

MONEY = {"max_digits": 12, "decimal_places": 2}
MAX_VERSION = 2**31 - 1


def money_field(**kwargs):
    return serializers.DecimalField(**MONEY, read_only=True, **kwargs)


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The decimal strings a DecimalField of a request takes (StrictDecimalField), as the schema
    states them (errors.ApiAutoSchema): at least one digit, a dot only with decimals after it,
    no sign unless the value may be negative."""
    whole = field.max_digits - field.decimal_places if field.max_digits else None
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    digits = rf"\d{{1,{whole}}}" if whole else r"\d+"
    return rf"^{sign}{digits}(?:\.\d{{1,{field.decimal_places}}})?$"


class StrictDecimalField(serializers.DecimalField):
    """A decimal string ("45.00") exactly as the schema's pattern says; a JSON number is
    refused, as a float may already have lost a cent on its way."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            raise serializers.ValidationError(
                _('Send it as a string with a dot, e.g. "45.00", not as a number.'))
        if not re.fullmatch(decimal_pattern(self), data):
            raise serializers.ValidationError(
                _('Write it as digits with at most %(places)d after a dot, e.g. "45.00".')
                % {"places": self.decimal_places})
        return super().to_internal_value(data)


class MoneyField(StrictDecimalField):
    """An amount as a decimal string ("45.00")."""

    def __init__(self, **kwargs):
        super().__init__(**MONEY, **kwargs)


class PhoneField(serializers.CharField):
    """A phone number as people type it; stored and answered as E.164."""

    def __init__(self, **kwargs):
        super().__init__(max_length=40, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        e164 = normalize_phone(text)
        if e164 is None:
            raise serializers.ValidationError(
                _("This is not a phone number we can reach: give it with its area code, or "
                  "with + and the country code.")
            )
        return e164

    def to_representation(self, value):
        return str(value)


class ChannelsField(serializers.ListField):
    unique_items = True  # the schema says so (errors.ApiAutoSchema)

    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=Channel.choices),
                         max_length=len(CHANNELS), **kwargs)

    def to_internal_value(self, data):
        channels = super().to_internal_value(data)
        if len(channels) != len(set(channels)):
            raise serializers.ValidationError(_("Each channel can be named once."))
        return channels


def _check_channel_addresses(data, instance=None):
    """Each chosen channel needs its address (the email; the phone is required anyway)."""
    channels = data.get("preferred_channels", instance.preferred_channels if instance else [])
    for channel in (CHANNELS[key] for key in channels):
        field = channel.address_field
        if not data.get(field, getattr(instance, field) if instance else ""):
            raise serializers.ValidationError({field: [
                _("%(channel)s is a chosen channel: give the address.")
                % {"channel": channel.label}]})


# --- customers ----------------------------------------------------------------------------------


class CustomerSerializer(serializers.ModelSerializer):
    phone = PhoneField()
    preferred_channels = ChannelsField(
        required=False, help_text=gettext_lazy("Most preferred first: sms, email, phone."),
    )

    class Meta:
        model = Customer
        fields = ["id", "name", "phone", "email", "preferred_channels", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"phone": {"validators": []}}

    def validate(self, data):
        _check_channel_addresses(data, self.instance)
        return data


class QueryText(serializers.CharField):
    """A query parameter's text: sent empty (`?phone=`) it is refused as blank, not taken as
    left out (DRF's reading of form data)."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)


def query_parameters(serializer_class, request, pagination_class=None
                     ) -> serializers.Serializer:
    """The list's query parameters, valid, or 400: a parameter the list does not take is
    refused (a misspelt filter would otherwise silently list everything)."""
    known = {*serializer_class().fields, api_settings.URL_FORMAT_OVERRIDE}
    if pagination_class is not None:
        pagination = pagination_class()
        known |= {pagination.cursor_query_param, pagination.page_size_query_param}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        raise serializers.ValidationError({name: [_("This list takes no such parameter.")]
                                           for name in unknown})
    parameters = serializer_class(data=request.query_params)
    parameters.is_valid(raise_exception=True)
    return parameters


class CustomerLookupSerializer(serializers.Serializer):
    phone = QueryText(
        required=False, max_length=40,
        help_text=gettext_lazy("Find the customer with this phone number, however typed."),
    )


# --- orders -------------------------------------------------------------------------------------


class CustomerBriefSerializer(serializers.ModelSerializer):
    phone = serializers.CharField()

    class Meta:
        model = Customer
        fields = ["id", "name", "phone", "email"]


class EquipmentSerializer(serializers.ModelSerializer):
    kind = serializers.PrimaryKeyRelatedField(read_only=True)
    kind_name = serializers.CharField(source="kind.name", read_only=True)

    class Meta:
        model = Equipment
        fields = ["kind", "kind_name", "brand", "model", "serial_number", "imei", "condition",
                  "accessories", "fault"]


class OrderSummarySerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    customer = CustomerBriefSerializer(read_only=True)
    equipment = EquipmentSerializer(read_only=True)

    class Meta:
        model = Order
        fields = ["number", "display_number", "status", "status_label", "version",
                  "received_at", "customer", "equipment", "diagnosis_due", "decision_due",
                  "storage_due"]


class LineSerializer(serializers.ModelSerializer):
    total = money_field()
    done = serializers.SerializerMethodField()
    done_at = serializers.SerializerMethodField()

    class Meta:
        model = EstimateLine
        fields = ["id", "position", "line_kind", "description", "quantity", "unit_price",
                  "total", "done", "done_at", "warranty_months", "warranty_until", "covers"]

    @staticmethod
    def _done(line):
        try:
            return line.done
        except ObjectDoesNotExist:
            return None

    def get_done(self, line) -> bool:
        return self._done(line) is not None

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_done_at(self, line):
        done = self._done(line)
        return serializers.DateTimeField().to_representation(done.done_at) if done else None


class EstimateSerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    total = money_field()
    lines = LineSerializer(many=True, read_only=True)

    class Meta:
        model = Estimate
        fields = ["number", "display_number", "kind", "status", "repair_days", "recommendation",
                  "internal_notes", "required_to_finish", "total", "created_at", "sent_at",
                  "decision_due", "decided_at", "lines"]


class EventSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["id", "at", "action", "label", "actor_kind", "actor", "channel", "from_status",
                  "to_status", "note", "evidence"]

    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor else ""


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "event", "channel", "status", "recipient", "created_at", "sent_at",
                  "delivered_at", "failed_at", "attempt_count"]


class DocumentSerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(
        read_only=True,
        help_text="SHA-256 of the PDF; empty until the PDF is made, a moment after issuance "
                  "(downloading it makes it at once).",
    )
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = ["id", "kind", "display_number", "title", "issued_at", "sha256", "pdf"]

    def get_pdf(self, document) -> str:
        """Where the PDF is downloaded, with the same token."""
        return reverse("api:document", args=[self.context["order_number"], document.pk])


class PaymentSerializer(serializers.ModelSerializer):
    receipt = serializers.CharField(source="receipt_number", read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "amount", "method", "reason", "note", "taken_at", "receipt"]


class StressTestSerializer(serializers.ModelSerializer):
    class Meta:
        model = StressTest
        fields = ["id", "name", "procedure", "duration_minutes", "measurements", "passed",
                  "recorded_at"]


class BalanceSerializer(serializers.Serializer):
    amount_due = money_field(help_text=gettext_lazy(
        "What the order costs: the approved lines, or the diagnostics fee when returned "
        "unrepaired."))
    paid = money_field(help_text=gettext_lazy("Payments less refunds."))
    balance_due = money_field(help_text=gettext_lazy(
        "Still to pay; negative: what the center owes back."))
    currency = serializers.CharField(read_only=True)


class OrderLinkSerializer(serializers.ModelSerializer):
    display_number = serializers.CharField(read_only=True)

    class Meta:
        model = Order
        fields = ["number", "display_number"]


class DeviceLineSerializer(serializers.ModelSerializer):
    under_warranty = serializers.BooleanField(read_only=True, help_text=gettext_lazy(
        "Repaired free of charge under the warranty of an earlier order's line."))

    class Meta:
        model = EstimateLine
        fields = ["id", "line_kind", "description", "quantity", "warranty_months",
                  "warranty_until", "under_warranty"]


class PastOrderSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="order.number")
    display_number = serializers.CharField(source="order.display_number")
    status = serializers.CharField(source="order.status")
    received_at = serializers.DateTimeField(source="order.received_at")
    issued_at = serializers.DateTimeField(source="order.issued_at", allow_null=True)
    unrepaired_reason = serializers.CharField(source="order.unrepaired_reason")
    warranty_of = serializers.SerializerMethodField()
    lines = DeviceLineSerializer(many=True, help_text=gettext_lazy("What was done."))
    warranty_until = serializers.DateField(source="until", allow_null=True, help_text=(
        gettext_lazy("The last day of the longest warranty of its lines.")))
    under_warranty = serializers.SerializerMethodField(help_text=gettext_lazy(
        "A line's warranty still runs today: a claim can be taken in on this order."))

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_warranty_of(self, past):
        return past.order.warranty_of.number if past.order.warranty_of_id else None

    def get_under_warranty(self, past) -> bool:
        return past.claimable


class DeviceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="device.pk")
    serial_number = serializers.CharField(source="device.serial_number")
    imei = serializers.CharField(source="device.imei")
    brand = serializers.CharField(source="device.brand")
    model = serializers.CharField(source="device.model")
    orders = PastOrderSerializer(source="past", many=True)


class ConditionCheckSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True, allow_null=True)

    class Meta:
        model = ConditionCheck
        fields = ["item", "label", "required", "result", "note"]


class OrderDetailSerializer(OrderSummarySerializer):
    warranty_of = OrderLinkSerializer(read_only=True, allow_null=True, help_text=gettext_lazy(
        "A warranty claim: the earlier order it is linked to."))
    warranty_claims = OrderLinkSerializer(many=True, read_only=True, help_text=gettext_lazy(
        "The warranty claims taken in on this order."))
    device_history = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The device's other orders (by serial number or IMEI), newest first."))
    # The intake's record: the condition checklist answered, when the customer signed on the
    # pad (null: on paper). The device passcode is never in an answer: only whether one is kept.
    condition = ConditionCheckSerializer(source="condition_checks", many=True, read_only=True)
    intake_signed_at = serializers.SerializerMethodField()
    has_passcode = serializers.BooleanField(read_only=True, default=False)
    estimates = EstimateSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    messages = MessageSerializer(many=True, read_only=True)
    documents = serializers.SerializerMethodField()
    payments = PaymentSerializer(many=True, read_only=True)
    stress_tests = StressTestSerializer(many=True, read_only=True)
    balance = serializers.SerializerMethodField()

    class Meta(OrderSummarySerializer.Meta):
        fields = [*OrderSummarySerializer.Meta.fields, "findings", "pending_supplement",
                  "unrepaired_reason", "decided_at", "ready_at", "customer_reached_at",
                  "storage_location", "issued_at", "disposed_at", "estimates", "events",
                  "messages", "documents", "payments", "stress_tests", "balance",
                  "warranty_of", "warranty_claims", "device_history",
                  "condition", "intake_signed_at", "has_passcode"]

    @extend_schema_field(PastOrderSerializer(many=True))
    def get_device_history(self, order):
        from django.utils import timezone

        from repaircenter.orders.warranty import history

        device = order.equipment.device_id
        past = history([device] if device else [], exclude=order.pk,
                       today=order.center.local_date(timezone.now()))
        return PastOrderSerializer(past, many=True).data

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_intake_signed_at(self, order):
        try:
            return serializers.DateTimeField().to_representation(order.intake_signature.signed_at)
        except ObjectDoesNotExist:
            return None

    @extend_schema_field(DocumentSerializer(many=True))
    def get_documents(self, order):
        return DocumentSerializer(order.documents.all(), many=True,
                                  context={"order_number": order.number}).data

    @extend_schema_field(BalanceSerializer)
    def get_balance(self, order):
        from django.conf import settings

        due, paid = amount_due(order), paid_total(order)
        return BalanceSerializer({"amount_due": due, "paid": paid, "balance_due": due - paid,
                                  "currency": settings.CURRENCY}).data


# --- requests -----------------------------------------------------------------------------------

TEXT = {"allow_blank": True, "required": False, "default": ""}


class IntakeCustomerSerializer(serializers.Serializer):
    phone = PhoneField()
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(**TEXT)
    preferred_channels = ChannelsField(required=False, default=list)

    def validate(self, data):
        _check_channel_addresses(data)
        return data


class IntakeEquipmentSerializer(serializers.Serializer):
    kind = serializers.PrimaryKeyRelatedField(
        queryset=EquipmentKind.objects.filter(active=True),
        help_text=gettext_lazy("The id of a kind of equipment (GET /api/v1/equipment-kinds/)."),
    )
    brand = serializers.CharField(max_length=100)
    model = serializers.CharField(max_length=100, **TEXT)
    serial_number = serializers.CharField(max_length=64, **TEXT)
    imei = serializers.CharField(max_length=20, **TEXT)
    condition = serializers.CharField(max_length=5000)
    accessories = serializers.CharField(max_length=5000, **TEXT)
    fault = serializers.CharField(max_length=5000)
    device = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                      help_text=gettext_lazy(
        "The device's id, when its serial number or IMEI matches several (GET /api/v1/devices/)."))

    def validate_serial_number(self, value):
        return "".join(value.split()).upper()

    def validate_imei(self, value):
        digits = "".join(ch for ch in value if not ch.isspace() and ch not in "-/")
        if digits and not imei_is_valid(digits):
            raise serializers.ValidationError(
                _("An IMEI has 15 digits and the last one checks the others; this one does not.")
            )
        return digits


class ConditionAnswerSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text=gettext_lazy(
        "The id of an item of the kind's checklist (GET /api/v1/equipment-kinds/)."))
    result = serializers.ChoiceField(choices=ConditionResult.choices)
    note = serializers.CharField(max_length=500, **TEXT)


class PasscodeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PasscodeKind.choices)
    value = serializers.CharField(
        max_length=128, write_only=True, trim_whitespace=False,
        help_text=gettext_lazy("A PIN, a password, or a pattern as the points 1–9 of the 3×3 "
                               "grid in the order drawn (at least 4, none twice). Stored "
                               "encrypted; never returned."))


class IntakeSerializer(serializers.Serializer):
    customer = IntakeCustomerSerializer()
    equipment = IntakeEquipmentSerializer()
    warranty_of = serializers.IntegerField(min_value=1, required=False, allow_null=True,
                                           default=None, help_text=gettext_lazy(
        "A warranty claim: the number of the earlier order whose warranty is claimed."))
    condition = ConditionAnswerSerializer(many=True, required=False, default=list)
    signature = serializers.CharField(
        max_length=800_000, **TEXT, help_text=gettext_lazy(
            "The customer's signature drawn on a pad, as a PNG data: URL; empty when they "
            "sign the printed intake order."))
    passcode = PasscodeSerializer(required=False, allow_null=True, default=None)


class DeviceLookupSerializer(serializers.Serializer):
    """Neither given: no device."""

    serial_number = serializers.CharField(max_length=64, **TEXT)
    imei = serializers.CharField(max_length=20, **TEXT)


class IntakeResultSerializer(serializers.Serializer):
    order = OrderDetailSerializer()
    pickup_code = serializers.CharField(help_text=gettext_lazy(
        "Print it on the customer's copy: issuance needs it. It is given only this once."))


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.MultipleChoiceField(
        choices=Order._meta.get_field("status").choices, required=False,
        help_text=gettext_lazy("Only orders in these states (repeat the parameter for more)."),
    )
    received_from = serializers.DateField(
        required=False, help_text=gettext_lazy("Received on this day or later."))
    received_to = serializers.DateField(
        required=False, help_text=gettext_lazy("Received on this day or earlier."))
    search = QueryText(
        required=False, max_length=200, help_text=gettext_lazy(
            "An order number, a phone number, a serial number or IMEI, or part of the "
            "customer's name."))


class ChangeSerializer(serializers.Serializer):
    """What every change of state may carry."""

    note = serializers.CharField(max_length=5000, **TEXT)
    expected_version = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_VERSION,
        help_text=gettext_lazy("The order's version the client saw; if someone changed the "
                               "order since, the change is refused with 409."),
    )


class NotRepairableSerializer(ChangeSerializer):
    note = serializers.CharField(max_length=5000, help_text=gettext_lazy(
        "Why it cannot or should not be repaired."))


class LineInSerializer(serializers.Serializer):
    line_kind = serializers.ChoiceField(choices=LineKind.choices)
    description = serializers.CharField(max_length=200)
    quantity = StrictDecimalField(max_digits=8, decimal_places=2,
                                  min_value=Decimal("0.01"), max_value=MAX_QUANTITY)
    unit_price = MoneyField(min_value=Decimal("0"), max_value=MAX_UNIT_PRICE)
    part = serializers.SlugRelatedField(
        slug_field="sku", queryset=Part.objects.filter(active=True), required=False,
        allow_null=True, help_text=gettext_lazy(
            "A part of the catalogue, by its code (a part line, whole units): reserved at "
            "the order's center when the estimate is approved."))

    def validate(self, data):
        if data.get("part") is not None and data["line_kind"] != LineKind.PART:
            raise serializers.ValidationError(
                {"part": [_("A catalogue part goes on a part line (line_kind “part”).")]})
        return data


class EstimateInSerializer(serializers.Serializer):
    repair_days = serializers.IntegerField(min_value=1, max_value=365)
    recommendation = serializers.CharField(max_length=5000, **TEXT)
    internal_notes = serializers.CharField(max_length=5000, **TEXT)
    required_to_finish = serializers.BooleanField(required=False, default=False)
    lines = LineInSerializer(many=True, min_length=1, max_length=100)


DECISION_CHANNELS = [(channel.value, channel.label) for channel in STAFF_DECISION_CHANNELS]


# The decision names the workflow function that records it: approve or refuse.
DECISION_FUNCTIONS = sorted({TRANSITIONS[name].function for name in DECISIONS})


class DecisionSerializer(ChangeSerializer):
    decision = serializers.ChoiceField(choices=[(name, name) for name in DECISION_FUNCTIONS])
    channel = serializers.ChoiceField(choices=DECISION_CHANNELS, help_text=gettext_lazy(
        "How the customer gave the decision."))
    said = serializers.CharField(max_length=2000, **TEXT, help_text=gettext_lazy(
        "Telephone: what the customer said."))
    call_time = serializers.DateTimeField(required=False, allow_null=True, default=None)
    email_text = serializers.CharField(max_length=20000, **TEXT, help_text=gettext_lazy(
        "Email: the text of the customer's email."))
    signed_slip = serializers.BooleanField(required=False, default=False, help_text=gettext_lazy(
        "In person: the customer signed the printed decision slip."))
    estimate = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=32767,
        help_text=gettext_lazy("The number of the estimate decided on (1, 2…); if given and "
                               "no longer the one awaiting a decision, 409."),
    )

    def evidence(self) -> dict:
        data = self.validated_data
        channel = data["channel"]
        if channel == "phone":
            call_time = data["call_time"]
            return {"said": data["said"], "call_time": call_time.isoformat() if call_time else ""}
        if channel == "email":
            return {"email_text": data["email_text"]}
        return {"signed_slip": data["signed_slip"]}


class LineDoneSerializer(serializers.Serializer):
    part_serials = serializers.CharField(max_length=300, **TEXT)


class StressTestInSerializer(ChangeSerializer):
    passed = serializers.BooleanField()
    note = serializers.CharField(max_length=5000, help_text=gettext_lazy(
        "The outcome: what was measured and how the equipment behaved, or what failed."))
    procedure = serializers.CharField(max_length=5000, **TEXT, help_text=gettext_lazy(
        "What was run; empty: the note."))
    name = serializers.CharField(max_length=100, **TEXT)
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, default=None,
                                                min_value=1, max_value=10080)
    measurements = serializers.CharField(max_length=5000, **TEXT)


class PaymentInSerializer(serializers.Serializer):
    amount = MoneyField(min_value=Decimal("0.01"), max_value=MAX_AMOUNT - Decimal("0.01"))
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    note = serializers.CharField(max_length=200, **TEXT)


class PaymentResultSerializer(serializers.Serializer):
    payment = PaymentSerializer()
    balance = BalanceSerializer()


class LostOriginalSerializer(serializers.Serializer):
    document_type = serializers.CharField(max_length=100)
    document_number = serializers.CharField(max_length=100)
    statement = serializers.CharField(max_length=2000)


class IssueSerializer(ChangeSerializer):
    pickup_code = serializers.CharField(max_length=40, **TEXT, help_text=gettext_lazy(
        "The code on the customer's paper original."))
    lost_original = LostOriginalSerializer(required=False, allow_null=True, default=None,
                                           help_text=gettext_lazy(
        "Instead of the code, when the original is lost (managers only)."))


# Its choices stay inline in the schema (wrapped, so drf-spectacular's enum naming passes them
# by): a second choice set named "method" would rename the payment's enum component
# (MethodEnum), short of an ENUM_NAME_OVERRIDES entry in the settings.
@extend_schema_field({"allOf": [{"type": "string", "enum": DisposalMethod.values}]})
class DisposalMethodField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DisposalMethod.choices, **kwargs)


class DisposalSerializer(ChangeSerializer):
    """The manager confirms the disposal of the equipment: how, and what was done."""

    method = DisposalMethodField(help_text=gettext_lazy("How the equipment is disposed of."))
    note = serializers.CharField(max_length=5000, help_text=gettext_lazy(
        "What was done with it, and by whom: it goes on the disposal act."))


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "label", "position", "required"]


class EquipmentKindSerializer(serializers.ModelSerializer):
    diagnostics_fee = serializers.DecimalField(**MONEY, read_only=True)
    checklist = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The condition checklist asked at intake: answer each item in the intake's "
        "`condition`; a `required` item must be `ok` or `damaged`."))

    class Meta:
        model = EquipmentKind
        fields = ["id", "name", "active", "diagnostics_fee", "warranty_months", "checklist"]

    @extend_schema_field(ChecklistItemSerializer(many=True))
    def get_checklist(self, kind):
        items = [i for i in kind.checklist_items.all() if i.active]
        return ChecklistItemSerializer(items, many=True).data


PdfType = OpenApiTypes.BINARY
