"""The queries behind the consultants' pages: a fixed number per page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from repaircenter.orders.models import Estimate, EstimateStatus, Order

from .models import AdviceRequest, AdviceStatus, ChatMessage, ChatThread

INBOX_WAITING = 100  # the oldest waiting; more than this means something else is wrong
INBOX_RECENT = 30
THREAD_HISTORY = 200


@dataclass(frozen=True)
class InboxItem:
    """One line of the inbox: a chat, or a question from the advice form."""

    kind: str  # "chat" or "advice"
    url: str
    who: str
    about: str
    preview: str
    at: datetime.datetime  # waiting since, or the last activity
    waiting: bool
    order: Order | None = None
    passed_on: bool = False
    status_label: str = ""

    @property
    def just_now(self) -> bool:
        return timezone.now() - self.at < datetime.timedelta(minutes=1)


def _threads() -> QuerySet[ChatThread]:
    last = ChatMessage.objects.filter(thread=OuterRef("pk")).order_by("-pk")
    advice = AdviceRequest.objects.filter(thread=OuterRef("pk")).order_by("-pk")
    return ChatThread.objects.select_related(
        "order", "order__customer", "order__equipment", "order__equipment__kind"
    ).annotate(
        last_body=Subquery(last.values("body")[:1]),
        last_author=Subquery(last.values("author")[:1]),
        asker=Subquery(advice.values("name")[:1]),
        open_advice=Subquery(advice.filter(status=AdviceStatus.OPEN).values("pk")[:1]),
    )


def _thread_item(thread: ChatThread) -> InboxItem:
    order = thread.order
    if order is not None:
        who, about = order.customer.name, f"{order.display_number} · {order.equipment}"
    else:
        who, about = thread.asker or "", ""
    return InboxItem(
        kind="chat", url=reverse("consult:thread", args=[thread.pk]), who=who, about=about,
        preview=thread.last_body or "", at=thread.waiting_since or thread.last_message_at,
        waiting=thread.waiting_since is not None, order=order,
        passed_on=thread.open_advice is not None,
    )


def _advice_item(advice: AdviceRequest) -> InboxItem:
    return InboxItem(
        kind="advice", url=reverse("consult:advice", args=[advice.pk]), who=advice.name,
        about=advice.equipment, preview=advice.question,
        at=advice.created_at if advice.is_open else (advice.answered_at or advice.created_at),
        waiting=advice.is_open, status_label=advice.get_status_display(),
    )


def inbox() -> tuple[list[InboxItem], list[InboxItem]]:
    """Waiting chats and questions, longest waiting first; then the latest dealt with."""
    waiting = [
        *(_thread_item(t) for t in _threads().filter(waiting_since__isnull=False)
          .order_by("waiting_since", "pk")[:INBOX_WAITING]),
        *(_advice_item(a) for a in AdviceRequest.objects.filter(
            status=AdviceStatus.OPEN, thread__isnull=True).order_by("created_at", "pk")
          [:INBOX_WAITING]),
    ]
    recent = [
        *(_thread_item(t) for t in _threads().filter(waiting_since__isnull=True)
          .order_by("-last_message_at", "-pk")[:INBOX_RECENT]),
        *(_advice_item(a) for a in AdviceRequest.objects.filter(thread__isnull=True)
          .exclude(status=AdviceStatus.OPEN).order_by("-answered_at", "-pk")[:INBOX_RECENT]),
    ]
    waiting.sort(key=lambda item: item.at)
    recent.sort(key=lambda item: item.at, reverse=True)
    return waiting, recent[:INBOX_RECENT]


def waiting_count() -> int:
    """For the staff home page: chats and questions waiting for an answer."""
    return (
        ChatThread.objects.filter(waiting_since__isnull=False).count()
        + AdviceRequest.objects.filter(status=AdviceStatus.OPEN, thread__isnull=True).count()
    )


def thread_page(pk: int) -> ChatThread:
    """The thread with its order (and the order's estimates and lines) beside it."""
    return get_object_or_404(
        ChatThread.objects.select_related(
            "order", "order__customer", "order__equipment", "order__equipment__kind"
        ).prefetch_related(
            Prefetch("order__estimates",
                     queryset=Estimate.objects.exclude(status=EstimateStatus.DRAFT)
                     .prefetch_related("lines")),
        ),
        pk=pk,
    )


def open_advice(thread: ChatThread) -> AdviceRequest | None:
    return AdviceRequest.objects.filter(thread=thread, status=AdviceStatus.OPEN).first()


def advice_page(pk: int) -> AdviceRequest:
    return get_object_or_404(
        AdviceRequest.objects.select_related("answered_by", "order", "thread"), pk=pk
    )
