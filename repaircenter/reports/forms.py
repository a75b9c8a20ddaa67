import datetime

from django import forms
from django.utils.translation import gettext_lazy

MAX_DAYS = 3 * 366


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month before last, the last month and this one so far."""
    month = today.month - 2
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return datetime.date(year, month, 1), today


class PeriodForm(forms.Form):
    first = forms.DateField(label=gettext_lazy("From"),
                            widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label=gettext_lazy("To (included)"),
                           widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                raise forms.ValidationError(gettext_lazy("The period ends before it starts."))
            if (last - first).days > MAX_DAYS:
                raise forms.ValidationError(gettext_lazy("Choose a period of three years at most."))
        return data
