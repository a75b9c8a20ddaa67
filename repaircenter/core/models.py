from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

# The built-in texts: the catalogue has them in every language; a center that never changed
# them shows them in the reader's language.
DEFAULT_TERMS = gettext_noop("""\
1. The center examines the equipment and tells you what is wrong and what the repair would cost \
before any repair work starts. No repair is done or charged without your approval.
2. You have six months from the day the estimate is sent to approve or refuse it. If we have no \
decision by then, the repair counts as refused and the equipment is ready for you to collect \
unrepaired.
3. Diagnostics of equipment returned unrepaired may be charged at the rate posted at the \
counter for its kind.
4. If a further fault shows up during the repair, we ask you before doing any extra work.
5. Repaired equipment is stress-tested before we tell you it is ready.
6. We keep the equipment for six months after we first reach you to say it is ready. After \
that it may be disposed of; you will be warned beforehand.
7. The equipment is handed over at the center only, on presentation of this paper original \
and once the order is paid in full. Keep it safe: it proves the equipment is yours. If you \
lose it, bring an identity document.
8. We are not responsible for data stored on the equipment. Please back it up where you can.
9. Accessories not listed on this order were not handed over.
""")

DEFAULT_INTRO = gettext_noop("""\
We repair phones, laptops, desktops, game consoles and household appliances.
Diagnostics come first, and nothing is repaired without your approval of the estimate.
""")


BUILT_IN_TEXTS = {"terms": DEFAULT_TERMS, "intro": DEFAULT_INTRO}

MAX_REMINDER_DAYS = 150  # both periods are six months; a reminder needs a deadline ahead of it


def parse_reminder_days(text: str) -> list[int]:
    """"30, 7" -> [30, 7]: distinct whole days, furthest first. ValidationError otherwise."""
    days = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= MAX_REMINDER_DAYS:
            raise ValidationError(
                _("“%(part)s” is not a number of days from 1 to %(max)s.")
                % {"part": part, "max": MAX_REMINDER_DAYS}
            )
        days.add(int(part))
    return sorted(days, reverse=True)


def validate_reminder_days(text: str) -> None:
    parse_reminder_days(text)


class CenterSettings(models.Model):
    """The center's own facts and rules, edited by the manager. One row."""

    name = models.CharField(_("center name"), max_length=200, default="Repair Center")
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    intro = models.TextField(
        _("welcome text on the public home page"), blank=True,
        default=DEFAULT_INTRO,
        help_text=_("A few sentences about the center; one paragraph per line."),
    )
    terms = models.TextField(_("terms printed on the intake order"), default=DEFAULT_TERMS)
    diagnostics_target_days = models.PositiveSmallIntegerField(
        _("diagnostics target (working days)"), default=2
    )
    charge_diagnostics = models.BooleanField(
        _("charge the diagnostics fee when equipment is returned unrepaired"),
        default=True,
        help_text=_("The fee per kind of equipment is set on each kind."),
    )
    decision_reminder_days = models.CharField(
        _("decision reminders (days before the decision is due)"), max_length=50,
        default="30, 7", blank=True, validators=[validate_reminder_days],
        help_text=_("Days before the end of the decision period, separated by commas; empty: "
                    "no reminders."),
    )
    storage_reminder_days = models.CharField(
        _("storage reminders (days before storage ends)"), max_length=50,
        default="60, 30, 7", blank=True, validators=[validate_reminder_days],
        help_text=_("Days before the end of the storage period, separated by commas; empty: "
                    "no reminders."),
    )

    class Meta:
        verbose_name = _("center settings")
        verbose_name_plural = _("center settings")

    def __str__(self) -> str:
        return self.name

    def in_language(self, kind: str, language: str | None = None) -> str:
        """The manager's `kind` text ("intro", "terms") in `language` (the active one): its
        translation if written; else the built-in text in `language` while the default
        language's text is still the built-in one; else the default language's text."""
        language = language or get_language() or settings.LANGUAGE_CODE
        if language != settings.LANGUAGE_CODE:
            translated = (self.texts.filter(kind=kind, language=language)
                          .values_list("text", flat=True).first())
            if translated:
                return translated
        text = getattr(self, kind)
        built_in = BUILT_IN_TEXTS[kind]
        if text.strip() == built_in.strip():
            with override(language):
                return gettext_now(built_in)
        return text

    def intro_paragraphs(self) -> list[str]:
        text = self.in_language("intro")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def terms_paragraphs(self) -> list[str]:
        """The terms one paragraph per line, as printed, in the active language."""
        text = self.in_language("terms")
        return [line.strip() for line in text.splitlines() if line.strip()]

    @classmethod
    def load(cls) -> "CenterSettings":
        return cls.objects.get_or_create(pk=1)[0]


class CenterText(models.Model):
    """The manager's text in a language other than the default one (whose text is on
    CenterSettings): the welcome on the public home page, or the terms on the intake order."""

    class Kind(models.TextChoices):
        INTRO = "intro", _("welcome text on the public home page")
        TERMS = "terms", _("terms printed on the intake order")

    center_settings = models.ForeignKey(CenterSettings, on_delete=models.CASCADE,
                                        related_name="texts")
    kind = models.CharField(_("text"), max_length=10, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text in this language"), blank=True,
                            help_text=_("Empty: the default language's text is shown."))

    class Meta:
        verbose_name = _("text in another language")
        verbose_name_plural = _("texts in other languages")
        ordering = ["kind", "language"]
        constraints = [models.UniqueConstraint(fields=["center_settings", "kind", "language"],
                                               name="one_center_text_per_language")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_language_display()})"


class Holiday(models.Model):
    """A day the center is closed; it does not count as a working day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class RateCount(models.Model):
    """How many requests one address made in the current window of one rate limit
    (core/ratelimit.py keeps it with one statement per request)."""

    key = models.CharField(max_length=200, primary_key=True)  # scope, window length, address
    period = models.BigIntegerField()  # which window the count is for
    hits = models.PositiveIntegerField()
    expires = models.BigIntegerField(db_index=True)  # unix time the window ends

    def __str__(self) -> str:
        return f"{self.key}: {self.hits}"
