"""The intake form's part that settles disputes: the condition checklist of the kind chosen,
the customer's signature on the pad (or on paper), the device's passcode. The checks are the
workflow's (orders/workflow/records.py); this reads the form and says what to correct."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from repaircenter.orders import workflow
from repaircenter.orders.intake_records import CHECK_NOTE_MAX, ChecklistItem, ConditionResult
from repaircenter.orders.models import EquipmentKind, PasscodeKind
from repaircenter.orders.passcodes import PASSCODE_MAX, clean_passcode
from repaircenter.orders.photos import clean_photos
from repaircenter.orders.signatures import check_signature

# Sent back on a form with errors, so a receptionist never sees the passcode again on screen.
PASSCODE_FIELDS = ("passcode",)


class IntakeRecordsForm(forms.Form):
    signature_data = forms.CharField(required=False, max_length=800_000,
                                     widget=forms.HiddenInput)
    passcode_kind = forms.ChoiceField(
        label=gettext_lazy("Device passcode"), required=False,
        choices=[("", gettext_lazy("None given")), *PasscodeKind.choices])
    # Never drawn back into the page: a form with errors asks for it again.
    passcode = forms.CharField(
        label=gettext_lazy("Passcode, or the pattern's points 1–9 in the order drawn"),
        required=False, max_length=PASSCODE_MAX,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))

    def clean_signature_data(self):
        data = self.cleaned_data["signature_data"]
        if data:
            check_signature(data)  # a drawing, not an empty canvas; saved by the workflow
        return data

    def clean(self):
        data = super().clean()
        text, kind = data.get("passcode", ""), data.get("passcode_kind", "")
        if text and not kind:
            self.add_error("passcode_kind", _("Say whether it is a PIN, a password or a "
                                              "pattern."))
        elif kind and not text:
            self.add_error("passcode", _("Type the passcode, or choose “None given”."))
        elif kind:
            try:
                clean_passcode(kind, text)
            except ValidationError as error:
                self.add_error("passcode", error)
        return data

    def passcode_given(self) -> workflow.Passcode | None:
        kind = self.cleaned_data.get("passcode_kind")
        return workflow.Passcode(kind, self.cleaned_data["passcode"]) if kind else None


def condition_answers(data, files, kind: EquipmentKind | None
                      ) -> tuple[list[workflow.ConditionAnswer], list[str]]:
    """The answers to `kind`'s checklist sent with the form, and what is wrong with them."""
    if kind is None:
        return [], []
    answers, problems = [], []
    for item in workflow.checklist(kind.pk):
        prefix = f"check_{item.pk}"
        result = data.get(prefix, "")
        photos = files.getlist(f"{prefix}_photos") if files else []
        try:
            photos = clean_photos(photos) if photos else []
        except ValidationError as error:
            problems += [f"{item.label}: {m}" for m in error.messages]
            photos = []
        if result or data.get(f"{prefix}_note") or photos:
            answers.append(workflow.ConditionAnswer(
                item_id=item.pk, result=result or ConditionResult.NOT_CHECKED,
                note=data.get(f"{prefix}_note", "")[:CHECK_NOTE_MAX + 1],
                photos=tuple(photos)))
    if not problems:
        try:
            workflow.check_condition(kind.pk, answers)
        except ValidationError as error:
            problems = error.messages
    return answers, problems


def checklists(data=None) -> list[dict]:
    """Every offered kind's checklist for the page (the script shows the chosen kind's), with
    what was answered on a form sent back with errors."""
    items = ChecklistItem.objects.filter(active=True, kind__active=True).select_related("kind")
    kinds: dict[int, dict] = {}
    for item in items:
        prefix = f"check_{item.pk}"
        kinds.setdefault(item.kind_id, {"kind": item.kind, "items": []})["items"].append({
            "item": item, "name": prefix,
            "result": (data or {}).get(prefix, ""),
            "note": (data or {}).get(f"{prefix}_note", ""),
        })
    return list(kinds.values())


RESULTS = ConditionResult.choices
PATTERN_POINTS = [[row * 3 + col + 1 for col in range(3)] for row in range(3)]
