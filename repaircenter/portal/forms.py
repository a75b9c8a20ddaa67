"""The forms of the public site. Each one that a stranger can post carries a honeypot: a field
people never see (hidden by the style sheet, skipped by the keyboard) that scripts fill in."""


from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repaircenter.consult.models import QUESTION_MAX
from repaircenter.customers.channels import CHANNELS, EMAIL, PHONE, advice_answer_choices
from repaircenter.customers.lookup import normalize_phone
from repaircenter.orders.photos import clean_photo
from repaircenter.orders.selectors import printed_number

# What to ask for when the chosen channel's address field is empty.
ADDRESS_MISSING = {
    PHONE: gettext_lazy("Give the mobile number the text should go to."),
    EMAIL: gettext_lazy("Give the address the email should go to."),
}
NOT_A_PHONE = gettext_lazy(
    "This is not a phone number we can send a text to. Type it with its area code, or with + "
    "and the country code."
)


class HoneypotForm(forms.Form):
    website = forms.CharField(
        required=False, label=gettext_lazy("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    @property
    def is_a_script(self) -> bool:
        return bool(self.data.get("website"))


def _phone(text: str) -> str:
    if not text:
        return ""
    e164 = normalize_phone(text)
    if e164 is None:
        raise forms.ValidationError(NOT_A_PHONE)
    return e164


class LookupForm(HoneypotForm):
    number = forms.CharField(
        label=gettext_lazy("Order number"), max_length=20,
        help_text=gettext_lazy("At the top of your paper intake order, e.g. R-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Your phone number"), max_length=40,
        help_text=gettext_lazy("The number you gave us when you left the equipment."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    def clean_number(self) -> tuple[str | None, int]:
        """The center's prefix (None if not typed) and the center's count."""
        number = printed_number(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(
                _("Type the order number as printed on your intake order, e.g. R-000123.")
            )
        return number

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])


class ContactFields(forms.Form):
    """Where an answer goes: by text to a phone, or by email."""

    name = forms.CharField(label=gettext_lazy("Your name"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    reply_channel = forms.ChoiceField(
        label=gettext_lazy("Answer me by"), choices=advice_answer_choices, initial="email",
        widget=forms.RadioSelect,
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"), max_length=40, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone", "email"):  # one of them is needed: not "optional"
            self.fields[name].optional_mark = False

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        channel = CHANNELS.get(data.get("reply_channel"))
        field = channel.address_field if channel else None
        if field and not data.get(field) and field not in self.errors:
            self.add_error(field, ADDRESS_MISSING[field])
        return data


class AdviceForm(HoneypotForm, ContactFields):
    equipment = forms.CharField(
        label=gettext_lazy("Equipment"), max_length=200, required=False,
        help_text=gettext_lazy("Kind, brand and model, e.g. laptop Lenovo ThinkPad T14."),
    )
    question = forms.CharField(
        label=gettext_lazy("Your question"), max_length=QUESTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": QUESTION_MAX}),
        help_text=gettext_lazy("What happens, since when, what you have tried."),
    )
    photo = forms.FileField(
        label=gettext_lazy("A photo"), required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    form_key = forms.UUIDField(widget=forms.HiddenInput)

    field_order = ["name", "equipment", "question", "photo", "reply_channel", "phone", "email",
                   "website"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        return clean_photo(upload) if upload else None


class DecisionForm(forms.Form):
    """What the confirmation page posts: the estimate it showed and the order's version."""

    estimate_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class RefusalForm(forms.Form):
    estimate_id = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Your reason"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        help_text=gettext_lazy("It helps us improve: too expensive, not worth it, bought a new "
                               "one…"),
    )


class DocumentUnlockForm(forms.Form):
    """The last four digits of the phone on the order: the documents behind the link show the
    customer's name, phone and serial numbers in full, so the link alone does not open them."""

    digits = forms.RegexField(
        regex=r"^\s*\d{4}\s*$", label=gettext_lazy("Last four digits of your phone number"),
        error_messages={"invalid": gettext_lazy("Type the last four digits, for example 0101."),
                        "required": gettext_lazy("Type the last four digits, for example 0101.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off",
                                      "maxlength": 4, "pattern": "[0-9]{4}"}),
    )
