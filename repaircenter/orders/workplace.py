"""Where a person works: the center they chose and the centers whose orders they may see.

Staff belong to centers (Center.staff). Their lists (queues, search, counts, shelves) show the
center they chose in the header; an order of a center they do not belong to is not found, on a
page or through the API. A manager sees every center and may choose "all centers". In a chain of
one center everyone works there, whatever the membership says."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from repaircenter.accounts.roles import Role
from repaircenter.centers.models import ALL_CENTERS, Center
from repaircenter.core.kept_per_process import KeptPerProcess


@dataclass(frozen=True)
class Workplace:
    # The center chosen; None: all centers (a manager's choice).
    center: Center | None
    # The centers whose orders may be seen; None: every center.
    allowed: frozenset[int] | None
    # What the header offers, in order; `may_choose_all` adds "all centers".
    choices: tuple[Center, ...]
    may_choose_all: bool
    # Every active center of the chain (where equipment may be sent).
    chain: tuple[Center, ...] = ()

    @property
    def chosen(self) -> str:
        return str(self.center.pk) if self.center else ALL_CENTERS

    def visible(self, orders: QuerySet) -> QuerySet:
        """The orders of the centers this person may see (pages by number, the API)."""
        return orders if self.allowed is None else orders.filter(center_id__in=self.allowed)

    def listed(self, orders: QuerySet) -> QuerySet:
        """The orders of the center chosen (queues, search, counts, shelves); of every center
        this person may see when none is chosen."""
        return self.visible(orders) if self.center is None else orders.filter(center=self.center)

    def listed_center_ids(self) -> frozenset[int] | None:
        """The ids of the centers whose orders `listed` keeps; None: every center's."""
        return self.allowed if self.center is None else frozenset({self.center.pk})

    def may_see(self, center_id: int) -> bool:
        return self.allowed is None or center_id in self.allowed


# Every staff page needs the chain's centers and which of them the person works in (the header,
# the scope of every list), and they change a few times a year: each app server keeps them a
# minute (core/kept_per_process.py), and the one where they change forgets them at once
# (forget_centers, connected in orders/apps.py to a center saved or deleted and to staff joining
# or leaving one). So a person taken off a center loses it on that server at once, on the others
# within the minute.
CENTERS_KEPT_SECONDS = 60


def _read_centers(user_pk: int) -> tuple[Center, ...]:
    # A tuple: a manager's workplace offers this very one (`choices`), whose options the
    # header keeps for as long as it is kept (core/staff_header.py).
    return tuple(
        Center.objects.filter(active=True)
        .annotate(member=Exists(Center.staff.through.objects.filter(
            center=OuterRef("pk"), user=user_pk)))
        .order_by("name")
    )


_CENTERS = KeptPerProcess(_read_centers, CENTERS_KEPT_SECONDS)


def centers_of(user_pk: int) -> tuple[Center, ...]:
    """The active centers by name, each marked `member` when the user works there."""
    return _CENTERS.get(user_pk)


def forget_centers(**kwargs) -> None:
    """What centers_of kept is stale: a center or who works in it changed."""
    _CENTERS.forget()


class NotYourCenter(Exception):
    """A center was chosen that this person does not work in."""


def workplace(user, chosen: str | None = None, *, roles: frozenset[str] | None = None
              ) -> Workplace:
    """`user`'s workplace with `chosen` (a center's id, ALL_CENTERS, or None: the first of
    theirs), for `roles` (an API token's; by default the user's). One query: the centers, each
    marked whether `user` belongs to it."""
    centers = centers_of(user.pk)
    manager = Role.MANAGER in (user.roles if roles is None else roles)
    mine = [c for c in centers if c.member]
    if manager or len(centers) == 1:
        allowed, choices = None, centers
    else:
        allowed, choices = frozenset(c.pk for c in mine), mine
    may_choose_all = manager and len(centers) > 1
    if chosen == ALL_CENTERS:
        if not may_choose_all:
            raise NotYourCenter
        return Workplace(None, allowed, tuple(choices), may_choose_all, tuple(centers))
    if chosen:
        center = next((c for c in choices if str(c.pk) == str(chosen)), None)
        if center is None:
            raise NotYourCenter
    else:
        center = next(iter(mine or choices), None)
        if center is None and not may_choose_all:
            # Someone in no center sees nothing rather than everything.
            return Workplace(None, frozenset(), (), False, tuple(centers))
    return Workplace(center, allowed, tuple(choices), may_choose_all, tuple(centers))
