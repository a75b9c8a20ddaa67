"""The customer's page's sentences whose words follow a number ("1 day left", "3 days left").
The page is a Jinja template (portal/jinja2/portal/order.html), whose plurals `makemessages`
cannot read, so they are written here, with the msgids the Django template had."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.defaultfilters import date
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import ngettext


def _filled(text: str, **values) -> SafeString:
    """A translated sentence with its blanks filled (localized, escaped) as Django's
    blocktranslate fills them; the sentence's own markup is the catalogue's."""
    escaped = {name: conditional_escape(localize(value)) for name, value in values.items()}
    return mark_safe(text % escaped)  # noqa: S308 - the catalogue is ours


@dataclass(frozen=True)
class Wording:
    decide_by: str = ""
    storage_days_left: str = ""
    repair_days: str = ""


def wording(page) -> Wording:
    """The plural sentences of the customer's page (a `selectors.CustomerPage`) in the active
    language; a sentence the page does not show is blank."""
    order, estimate = page.order, page.estimate
    decide_by = storage = repair = ""
    if page.decision_days_left is not None and order.decision_due:
        days = page.decision_days_left
        decide_by = _filled(
            ngettext("Please decide by <strong>%(date)s</strong> (%(days)s day left).",
                     "Please decide by <strong>%(date)s</strong> (%(days)s days left).", days),
            date=date(template_localtime(order.decision_due), "DATE_FORMAT"), days=days)
    if page.storage_days_left is not None:
        days = page.storage_days_left
        storage = _filled(ngettext("%(days)s day left", "%(days)s days left", days), days=days)
    if estimate is not None and estimate.repair_days is not None:
        days = estimate.repair_days
        repair = _filled(ngettext("about %(days)s working day once approved",
                                  "about %(days)s working days once approved", days), days=days)
    return Wording(decide_by=decide_by, storage_days_left=storage, repair_days=repair)
