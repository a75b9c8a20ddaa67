"""Turning a template and an order into the text of a message.

Templates use Django's syntax, but see only plain strings chosen here: never a model object, so
a template cannot reach a method, a related row or a secret.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import linebreaks, urlize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from repaircenter.core.models import CenterSettings
from repaircenter.core.templatetags.money import money
from repaircenter.customers.channels import CHANNELS
from repaircenter.orders.credentials import portal_url
from repaircenter.orders.dues import amount_due
from repaircenter.orders.models import EstimateStatus, Order

from .default_templates import builtin
from .models import MessageTemplate

# No loaders: {% include %} and {% extends %} find nothing. Text is not HTML: no escaping.
TEXT_ENGINE = Engine(autoescape=False, loaders=[])
# Checking a template: an unknown name renders as this marker, so the check can name it.
UNKNOWN = "\x00{}\x00"
CHECK_ENGINE = Engine(autoescape=False, loaders=[], string_if_invalid=UNKNOWN.format("%s"))

SUBJECT_MAX = 200
# The names under "order" a template may use (order_context gives each one).
ORDER_NAMES = ("number", "equipment", "link", "status", "received", "diagnosis_due",
               "decision_due", "storage_due", "estimate_total", "balance_due")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _date(value, center) -> str:
    """A date as the customer reads it: a moment is first put in the center's time zone (a
    deadline at 00:30 in London is that day, not the day before in UTC)."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value, center.zone)
    return date_format(value, "DATE_FORMAT")


def _estimate_total(order: Order):
    """The estimate the customer is deciding on, or else the last one agreed."""
    estimates = sorted(order.estimates.all(), key=lambda e: e.number, reverse=True)
    for wanted in (EstimateStatus.SENT, EstimateStatus.APPROVED):
        for estimate in estimates:
            if estimate.status == wanted:
                return estimate.total
    return None


def customer_link(order: Order) -> str:
    """The order's link; for a link made before tokens were derived, which the server can no
    longer write, the public look-up page, where the customer can ask for it by text."""
    token = order.link_token
    if token:
        return portal_url(token)
    return f"{settings.SITE_URL}{reverse('portal:lookup')}"


def order_context(order: Order, *, estimate_total=None, advice=None) -> dict:
    """Everything a template may show: the order's center's contacts and the order's safe
    fields."""
    center = order.center
    if estimate_total is None:
        estimate_total = _estimate_total(order)
    return {
        "center": _center(center),
        "customer": {"name": order.customer.name},
        "order": {
            "number": order.display_number,
            "equipment": str(order.equipment).strip(),
            "link": customer_link(order),
            "status": order.get_status_display(),
            "received": _date(order.received_at, center),
            "diagnosis_due": _date(order.diagnosis_due, center),
            "decision_due": _date(order.decision_due, center),
            "storage_due": _date(order.storage_due, center),
            "estimate_total": money(estimate_total) if estimate_total is not None else "",
            "balance_due": money(amount_due(order)),
        },
        "advice": advice or {"question": "", "answer": ""},
    }


def _center(center) -> dict:
    """A center's contacts (an order's Center, or the chain's CenterSettings)."""
    return {"name": center.name, "phone": center.phone, "email": center.email,
            "address": center.address, "hours": center.hours}


def advice_context(advice) -> dict:
    """What an answer to a question may show: the center, the asker's name, the question and
    the answer; the order's fields too when it was asked in an order's chat, else blanks."""
    question = {"question": advice.question, "answer": advice.answer}
    if advice.order_id:
        context = order_context(advice.order, advice=question)
    else:
        context = {"center": _center(CenterSettings.load()),
                   "order": dict.fromkeys(ORDER_NAMES, ""), "advice": question}
    context["customer"] = {"name": advice.name}
    return context


def template_for(event: str, channel: str, language: str | None = None
                 ) -> tuple[MessageTemplate | None, str, str]:
    """The manager's template in `language` (the default language's when None). Without one:
    the built-in text in `language` while the default language's row still holds the built-in
    text, else that row (a text the manager changed but did not write in every language: the
    editor says so); the built-in text if no row exists at all."""
    language = language or settings.LANGUAGE_CODE
    rows = {t.language: t for t in MessageTemplate.objects.filter(
        event=event, channel=channel, language__in={language, settings.LANGUAGE_CODE})}
    template = rows.get(language)
    if template is None:
        template = rows.get(settings.LANGUAGE_CODE)
        if template is not None and unchanged(template):
            # Nobody wrote this text: the built-in one exists in every language.
            subject, body = builtin(event, channel, language)
            return template, subject, body
    if template is not None:
        return template, template.subject, template.body
    subject, body = builtin(event, channel, language)
    return None, subject, body


def unchanged(template: MessageTemplate) -> bool:
    """Whether the row still holds the built-in text of its language."""
    return (template.subject, template.body) == builtin(template.event, template.channel,
                                                        template.language)


def _tidy(text: str) -> str:
    """No trailing spaces, at most one empty line in a row (a blank field leaves a gap)."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def render(subject: str, body: str, context: dict, channel: str) -> Rendered:
    ctx = Context(context, autoescape=False)
    text = _tidy(Template(body, engine=TEXT_ENGINE).render(ctx))
    title = ""
    if CHANNELS[channel].has_subject:
        title = " ".join(Template(subject, engine=TEXT_ENGINE).render(ctx).split())
        title = title[:SUBJECT_MAX]
    return Rendered(title, text)


def check(subject: str, body: str, context: dict) -> list[str]:
    """What is wrong with a template, in words for the manager: syntax, or unknown names."""
    problems = []
    unknown: set[str] = set()
    for label, text in ((_("Subject"), subject), (_("Text"), body)):
        try:
            output = Template(text, engine=CHECK_ENGINE).render(Context(context))
        except (TemplateSyntaxError, Exception) as error:  # syntax, or {% include %} failing
            problems.append(f"{label}: {error}")
            continue
        unknown.update(re.findall("\x00(.*?)\x00", output))
    if unknown:
        problems.append(
            _("Unknown names: %(names)s. See the list of names below the text.")
            % {"names": ", ".join(sorted(unknown))}
        )
    return problems


def empty_names(subject: str, body: str, context: dict) -> list[str]:
    """The names a template uses whose value is empty in `context` (a center field left blank
    makes "Call  today." of a text); the editor warns about them."""
    marked = {
        group: {name: value or f"\x00{group}.{name}\x00" for name, value in values.items()}
        for group, values in context.items()
    }
    found: set[str] = set()
    for text in (subject, body):
        try:
            output = Template(text, engine=TEXT_ENGINE).render(Context(marked))
        except Exception:  # noqa: S112 — check() reports broken templates
            continue
        found.update(re.findall("\x00(.*?)\x00", output))
    return sorted(found)


def validate(subject: str, body: str, context: dict) -> None:
    problems = check(subject, body, context)
    if problems:
        raise ValidationError(problems)


def email_html(message_body: str, *, center_name: str, language: str = "") -> str:
    """The HTML part of an email: the same text, paragraphs kept, the link clickable."""
    # urlize escapes the text around the links it makes: the result is safe HTML as it is.
    paragraphs = mark_safe(linebreaks(urlize(message_body, autoescape=True), autoescape=False))  # noqa: S308
    return render_to_string(
        "notifications/email.html", {"paragraphs": paragraphs, "center_name": center_name,
                                     "language": language or settings.LANGUAGE_CODE}
    )


def sample_context() -> dict:
    """Made-up values with every name a template may use: for checking a template when no
    order is at hand, and for previewing the advice texts."""
    center = CenterSettings.load()
    return {
        "center": {
            "name": center.name, "phone": center.phone, "email": center.email,
            "address": center.address, "hours": center.hours,
        },
        "customer": {"name": "Alex Morgan"},
        "order": {
            "number": "R-000123", "equipment": "Laptop Lenovo ThinkPad T14",
            "link": portal_url("x" * 32), "status": "Ready for collection",
            "received": "2 March 2027", "diagnosis_due": "4 March 2027",
            "decision_due": "4 September 2027", "storage_due": "20 September 2027",
            "estimate_total": money("149.00"), "balance_due": money("149.00"),
        },
        "advice": {
            "question": "My laptop fan is loud under load. Is a cleaning worth it?",
            "answer": "Usually yes: dust and dried paste cause most of it. A clean takes a day.",
        },
    }
