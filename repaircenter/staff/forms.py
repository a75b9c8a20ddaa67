from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repaircenter.customers.channels import CHANNELS
from repaircenter.customers.devices import imei_is_valid
from repaircenter.customers.lookup import normalize_phone
from repaircenter.customers.models import Channel
from repaircenter.orders.models import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    STORAGE_LOCATION_MAX,
    DisposalMethod,
    EquipmentKind,
    LineKind,
)
from repaircenter.orders.photos import clean_photos
from repaircenter.orders.workflow import STAFF_DECISION_CHANNELS


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > settings.PHOTO_MAX_COUNT:
            raise forms.ValidationError(
                _("At most %(count)d photos per order.") % {"count": settings.PHOTO_MAX_COUNT}
            )
        return clean_photos([super(MultiplePhotoField, self).clean(f, initial) for f in files])


CHANNEL_CHOICES = [("", "—"), *Channel.choices]
# The intake form and the look-up while the phone is typed say the same of a number they refuse.
PHONE_NOT_REACHABLE = gettext_lazy(
    "This is not a phone number we can reach. Type it with its area code, or with + and the "
    "country code.")


class IntakeForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    channel_1 = forms.ChoiceField(
        label=gettext_lazy("Notify first by"), choices=Channel.choices, initial=Channel.SMS
    )
    channel_2 = forms.ChoiceField(
        label=gettext_lazy("If that fails"), choices=CHANNEL_CHOICES, required=False
    )
    channel_3 = forms.ChoiceField(
        label=gettext_lazy("Last resort"), choices=CHANNEL_CHOICES, required=False
    )

    language = forms.ChoiceField(
        label=gettext_lazy("Language of messages and papers"), choices=settings.LANGUAGES,
        required=False,
    )

    kind = forms.ModelChoiceField(
        label=gettext_lazy("Kind of equipment"),
        queryset=EquipmentKind.objects.none(),
        empty_label=gettext_lazy("Choose…"),
    )
    brand = forms.CharField(label=gettext_lazy("Brand"), max_length=100)
    model = forms.CharField(label=gettext_lazy("Model"), max_length=100, required=False)
    serial_number = forms.CharField(
        label=gettext_lazy("Serial number"), max_length=64, required=False
    )
    imei = forms.CharField(label=gettext_lazy("IMEI"), max_length=20, required=False)
    condition = forms.CharField(
        label=gettext_lazy("Visible condition and damage"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    accessories = forms.CharField(
        label=gettext_lazy("Accessories handed over"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Charger, case, SIM card, memory card… Leave empty if none."),
    )
    fault = forms.CharField(
        label=gettext_lazy("The fault, in the customer's words"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = MultiplePhotoField(label=gettext_lazy("Photos"), required=False)
    intake_key = forms.UUIDField(widget=forms.HiddenInput)
    # A warranty claim on this earlier order (its number), and the device chosen where the
    # serial number matches several (staff/_intake_device.html).
    warranty_of = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    device = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = EquipmentKind.objects.filter(active=True)

    def clean_phone(self):
        e164 = normalize_phone(self.cleaned_data["phone"])
        if e164 is None:
            raise forms.ValidationError(str(PHONE_NOT_REACHABLE))
        return e164

    def clean_serial_number(self):
        return "".join(self.cleaned_data["serial_number"].split()).upper()

    def clean_imei(self):
        text = self.cleaned_data["imei"]
        digits = "".join(ch for ch in text if not ch.isspace() and ch not in "-/")
        if digits and not imei_is_valid(digits):
            raise forms.ValidationError(
                _("An IMEI has 15 digits and the last one checks the others; this one does not. "
                  "Dial *#06# on the phone or read it off the label.")
            )
        return digits

    def clean(self):
        data = super().clean()
        channels = [data.get(f"channel_{i}") for i in (1, 2, 3)]
        channels = [c for c in channels if c]
        if len(channels) != len(set(channels)):
            raise forms.ValidationError(_("Each notification channel can be chosen once."))
        for channel in (CHANNELS[key] for key in channels):
            field = channel.address_field  # the phone is required anyway
            if not data.get(field) and field not in self.errors:
                self.add_error(field, _("%(channel)s is chosen as a channel: enter the address.")
                               % {"channel": channel.label})
        data["preferred_channels"] = channels
        return data


DECISION_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in STAFF_DECISION_CHANNELS]


class TransitionForm(forms.Form):
    """The inputs a transition on the staff order page may take; each uses what it needs."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    note = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)
    channel = forms.ChoiceField(choices=DECISION_CHANNEL_CHOICES, required=False)
    # Evidence of a decision: what was said on the phone, the email's text, the signature.
    said = forms.CharField(required=False, max_length=4000)
    call_time = forms.DateTimeField(required=False)
    email_text = forms.CharField(required=False, max_length=20000)
    signed_slip = forms.BooleanField(required=False)
    signature_data = forms.CharField(required=False, max_length=800_000)
    # The estimate the page showed; a decision on a replaced estimate is refused.
    estimate_id = forms.IntegerField(required=False, min_value=1)
    pickup_code = forms.CharField(required=False, max_length=40)
    # The original is lost: the identity document a manager saw, and the customer's statement.
    id_document_type = forms.CharField(required=False, max_length=60)
    id_document_number = forms.CharField(required=False, max_length=60)
    statement = forms.CharField(required=False, max_length=4000)
    # How the equipment is disposed of (checked by the workflow, which names what is missing).
    method = forms.CharField(required=False, max_length=20)


class EstimateDetailsForm(forms.Form):
    repair_days = forms.IntegerField(
        label=gettext_lazy("Expected repair time (working days)"), min_value=1, max_value=365,
        required=False,
    )
    recommendation = forms.CharField(
        label=gettext_lazy("Recommendation to the customer"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Is the repair worth it? Advice on further use of the equipment. "
                               "The customer reads this."),
    )
    internal_notes = forms.CharField(
        label=gettext_lazy("Internal notes"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Staff only; never shown to the customer."),
    )
    required_to_finish = forms.BooleanField(
        label=gettext_lazy("The original repair cannot be finished without these lines"),
        required=False,
    )


MONEY_MESSAGES = {"invalid": gettext_lazy("Enter an amount, e.g. 45.00.")}


class EstimateLineForm(forms.Form):
    line_kind = forms.ChoiceField(label=gettext_lazy("Work or part"), choices=LineKind.choices)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200)
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity"), min_value=Decimal("0.01"), max_value=MAX_QUANTITY,
        max_digits=8, decimal_places=2, initial=Decimal("1"),
        error_messages={"invalid": gettext_lazy("Enter a quantity, e.g. 1 or 2.5.")},
    )
    unit_price = forms.DecimalField(
        label=gettext_lazy("Unit price"), min_value=Decimal("0"), max_value=MAX_UNIT_PRICE,
        max_digits=12, decimal_places=2, error_messages=MONEY_MESSAGES,
    )


class SearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False)


class OrderNumbersField(forms.Field):
    """The numbers of the orders ticked in a list (the workflow says what is wrong with any)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": gettext_lazy("Tick the orders to dispose of."),
        "invalid": gettext_lazy("The list of orders was damaged; reload the page."),
    }

    def to_python(self, value) -> list[int]:
        values = value or []
        if not all(str(v).isdigit() and len(str(v)) <= 9 for v in values):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return sorted({int(v) for v in values})


class DisposalForm(forms.Form):
    """The manager's confirmation of a batch of disposals."""

    orders = OrderNumbersField(label=gettext_lazy("Orders"))
    method = forms.ChoiceField(
        label=gettext_lazy("How the equipment is disposed of"),
        choices=[("", "—"), *DisposalMethod.choices],
        error_messages={"required": gettext_lazy("Choose how the equipment is disposed of.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note for the act (who takes it, the collector's licence…)"),
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
    )


class StorageLocationForm(forms.Form):
    location = forms.CharField(
        label=gettext_lazy("Shelf or bin"), max_length=STORAGE_LOCATION_MAX,
        error_messages={"required": gettext_lazy("Type the shelf or bin code, e.g. A3 or B-12.")},
    )


class LineDoneForm(forms.Form):
    part_serials = forms.CharField(
        label=gettext_lazy("Serial numbers of the parts fitted"), required=False, max_length=300
    )


class StressTestForm(forms.Form):
    """One run of the stress test; the result is the button pressed."""

    template = forms.ModelChoiceField(
        label=gettext_lazy("Procedure"), queryset=None, required=False,
        empty_label=gettext_lazy("Other (describe below)"),
    )
    procedure = forms.CharField(
        label=gettext_lazy("What was run"), max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Filled in from the procedure chosen; change it for this run."),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"), min_value=1, max_value=10080
    )
    measurements = forms.CharField(
        label=gettext_lazy("Measured values"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Temperatures, voltages, cycles, errors seen…"),
    )
    note = forms.CharField(
        label=gettext_lazy("Outcome (required): how it behaved; for a failure, what failed"),
        max_length=4000, widget=forms.Textarea(attrs={"rows": 2}),
    )
    result = forms.ChoiceField(choices=[("passed", "passed"), ("failed", "failed")])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, procedures=None, **kwargs):
        super().__init__(*args, **kwargs)
        from repaircenter.orders.models import TestProcedure

        self.fields["template"].queryset = (
            TestProcedure.objects.all() if procedures is None else procedures
        )


class UnlockForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Whom you checked, and how (required)"), max_length=1000
    )


class CustomerCopyForm(forms.Form):
    """The pickup code the print page just showed, sent back for its PDF (never stored)."""

    pickup_code = forms.CharField(max_length=40)


class TransferForm(forms.Form):
    """Where the equipment goes and under which seal or waybill number."""

    to_center = forms.TypedChoiceField(
        label=gettext_lazy("Send to"), coerce=int,
        error_messages={"required": gettext_lazy("Choose the center it goes to."),
                        "invalid_choice": gettext_lazy("Choose the center it goes to.")})
    seal = forms.CharField(
        label=gettext_lazy("Seal or waybill number"), max_length=50,
        error_messages={"required": gettext_lazy(
            "Type the number of the seal or the waybill it travels under.")})

    def __init__(self, *args, centers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.centers = {c.pk: c for c in centers}
        self.fields["to_center"].choices = [(c.pk, c.name) for c in centers]

    def clean_to_center(self):
        return self.centers[self.cleaned_data["to_center"]]
