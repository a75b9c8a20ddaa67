"""The fields of the chat box on the customer's order page and the public chat page.

An empty box is the same on every page but for its message's key (new for each page, so that a
message sent twice is kept once): Django draws a form's widgets through its own template engine,
a fifth of a millisecond a page, so the empty box is drawn once per language with a stand-in key
and kept, and each page gets it with a new key put in. A box sent back with what was wrong with
it is drawn through Django each time, with what the customer wrote."""

import uuid

from django.utils.safestring import SafeString, mark_safe

from repaircenter.consult.forms import ChatMessageForm
from repaircenter.core.fragments import drawing, kept_drawing

FIELDS_TEMPLATE = "portal/_chat_fields.html"
# No key uuid4() makes (its version digit is 4): the stand-in cannot be a real key.
_STAND_IN_KEY = uuid.UUID(int=0)


def chat_fields(form: ChatMessageForm | None = None) -> SafeString:
    """The fields of `form`, or of an empty box with a new key."""
    if form is not None:
        return drawing(FIELDS_TEMPLATE, {"chat_form": form})
    empty = kept_drawing("chat-box", FIELDS_TEMPLATE,
                         lambda: {"chat_form": ChatMessageForm(initial={"key": _STAND_IN_KEY})})
    return mark_safe(empty.replace(str(_STAND_IN_KEY), str(uuid.uuid4()), 1))  # noqa: S308
