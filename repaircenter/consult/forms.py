from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from .models import ANSWER_MAX

TEXT_ERRORS = {
    "required": gettext_lazy("Write a message first."),
    "max_length": gettext_lazy("A message may have at most %(limit_value)d characters; this one "
                               "has %(show_value)d."),
}


class ChatMessageForm(forms.Form):
    """A message in a chat. `key` is new for each message the page composes, so that the same
    message posted twice is kept once; `after` is the last message the page shows."""

    body = forms.CharField(
        label=gettext_lazy("Your message"), max_length=settings.CHAT_MESSAGE_MAX, strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": settings.CHAT_MESSAGE_MAX}),
        error_messages=TEXT_ERRORS,
    )
    key = forms.UUIDField(required=False, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ReplyForm(ChatMessageForm):
    """A consultant's answer may be longer than a visitor's message."""

    body = forms.CharField(
        label=gettext_lazy("Your answer"), max_length=ANSWER_MAX, strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ANSWER_MAX}),
        error_messages=TEXT_ERRORS,
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Your answer"), max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": ANSWER_MAX}),
        error_messages=TEXT_ERRORS,
    )


def after_id(request) -> int:
    """The last message the page shows (?after= or the posted field): new ones come after it."""
    try:
        return max(int(request.GET.get("after") or request.POST.get("after") or 0), 0)
    except ValueError:
        return 0
