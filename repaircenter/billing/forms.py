from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy

from .models import PaymentMethod


class PaymentForm(forms.Form):
    """A payment or, with `refund` set, a refund. The hidden key makes a resubmission (double
    click, retried request) record nothing new."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_value=Decimal("999999.99"),
        max_digits=12, decimal_places=2,
        error_messages={"invalid": gettext_lazy("Enter an amount, e.g. 45.00."),
                        "max_decimal_places": gettext_lazy("At most two decimals.")},
    )
    method = forms.ChoiceField(label=gettext_lazy("Method"), choices=PaymentMethod.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=200)
    reason = forms.CharField(
        label=gettext_lazy("Reason for the refund (required)"), required=False, max_length=2000
    )
    refund = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("refund") and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext_lazy("Give the reason for the refund."))
        return data
