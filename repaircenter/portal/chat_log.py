"""The order chat's messages as the customer's page opens with them, drawn once for each set of
messages and then kept, as the staff's order page keeps its history (staff/history.py).

A chat message never changes once written (consult/services.py adds them, nothing edits them),
so the messages drawn for a thread stay right until one is added or removed: the page asks only
for the count and the last id of the thread's messages (one index look-up) instead of reading a
hundred rows with their consultants and drawing them again. Kept per language and time zone, in
the "fragments" cache (settings.CACHES). (A consultant's first name, changed later, shows from
the thread's next message on.)"""

from django.db.models import Count, Max
from django.utils.safestring import SafeString, mark_safe

from repaircenter.consult.models import ChatMessage, ChatThread
from repaircenter.core.fragments import kept_drawing

CHAT_HISTORY = 100  # messages shown when the page opens; older ones stay in the database
# What the customer's side shows of a message: a consultant's first name, nothing else of them.
MESSAGE_FIELDS = ("thread", "author", "user", "body", "at", "user__first_name")


def chat_history(thread: ChatThread) -> list[ChatMessage]:
    """The thread's last messages, oldest first: one query."""
    newest = list(
        ChatMessage.objects.filter(thread=thread).select_related("user").only(*MESSAGE_FIELDS)
        .order_by("-pk")[:CHAT_HISTORY]
    )
    for message in newest:
        message.thread = thread
    return newest[::-1]


def chat_log_html(thread: ChatThread | None,
                  stamp: tuple[int, int | None] | None = None) -> SafeString:
    """The chat's last messages drawn for the customer ("" with none: no query without a
    thread); `stamp`: their count and last id when the caller read them (with the order)."""
    if thread is None:
        return mark_safe("")
    if stamp is None:
        read = thread.messages.aggregate(count=Count("id"), last=Max("id"))
        stamp = (read["count"], read["last"])
    count, last = stamp
    if not count:
        return mark_safe("")
    return kept_drawing(f"portal-chat:{thread.pk}:{count}:{last}", "consult/_chat_messages.html",
                        lambda: {"chat_messages": chat_history(thread), "viewer": "visitor"})
