"""The order's transitions as API operations, made from the registry (orders/transitions.py).

Each distinct `api` path of the manual transitions is one operation, a POST to
/api/v1/orders/<number>/<path>/. Its roles are its transitions' staff roles; its request is the
serializer of their form; it calls the workflow function the registry names, with the
arguments the form gives, and answers the order. urls.py and the schema take the operations
from `OPERATION_VIEWS`: a transition with an `api` path needs nothing written here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from repaircenter.orders import workflow
from repaircenter.orders.models import Estimate, Order
from repaircenter.orders.transitions import (
    DECISION,
    DISPOSAL,
    ESTIMATE,
    ISSUE,
    NOTE,
    TEST,
    TRANSITIONS,
    Transition,
)

from . import serializers as s
from .errors import ApiError
from .permissions import actor
from .views import ORDER_NUMBER, order_detail, order_or_404

# --- what each form of transition reads, and gives the workflow ---------------------------------
# Each adapter takes the order, the valid request and the path's own parameters, and returns the
# workflow function's arguments besides order, actor, note and expected_version.


def _nothing_more(order: Order, data: serializers.Serializer, path: dict) -> dict:
    return {}


def _estimate(order: Order, data: serializers.Serializer, path: dict) -> dict:
    number = path["estimate_number"]
    estimate = Estimate.objects.filter(order=order, number=min(number, 32767)).first()
    if estimate is None:
        raise ApiError(404, "not_found", _("Order %(number)s has no estimate %(n)d.")
                       % {"number": order.display_number, "n": number})
    return {"estimate": estimate}


def _decision(order: Order, data: serializers.Serializer, path: dict) -> dict:
    values = data.validated_data
    estimate_id = None
    if values["estimate"] is not None:
        estimate_id = (
            Estimate.objects.filter(order=order, number=values["estimate"])
            .values_list("pk", flat=True).first()
        ) or -1  # no such estimate: refused as not the one awaiting a decision
    return {"channel": values["channel"], "evidence": data.evidence(),
            "estimate_id": estimate_id}


def _test(order: Order, data: serializers.Serializer, path: dict) -> dict:
    values = data.validated_data
    run = workflow.TestRun(
        procedure=values["procedure"] or values["note"], name=values["name"],
        duration_minutes=values["duration_minutes"], measurements=values["measurements"],
    )
    return {"passed": values["passed"], "run": run}


def _issue(order: Order, data: serializers.Serializer, path: dict) -> dict:
    values = data.validated_data
    lost = values["lost_original"]
    return {"pickup_code": values["pickup_code"],
            "lost_original": workflow.LostOriginal(**lost) if lost else None}


def _disposal(order: Order, data: serializers.Serializer, path: dict) -> dict:
    return {"method": data.validated_data["method"]}


@dataclass(frozen=True)
class Form:
    """How a request makes the transitions of one form (Transition.form)."""

    serializer: type[serializers.Serializer]
    arguments: Callable[[Order, serializers.Serializer, dict], dict]
    # Which workflow function, when the operation's transitions name more than one.
    choose: Callable[[dict], str] | None = None
    status: int = 200
    parameters: tuple[OpenApiParameter, ...] = ()
    examples: tuple[OpenApiExample, ...] = ()


ESTIMATE_NUMBER = OpenApiParameter("estimate_number", OpenApiTypes.INT, OpenApiParameter.PATH,
                                   description="The estimate's number within the order (1, 2…).")

FORMS = {
    NOTE: Form(s.ChangeSerializer, _nothing_more),
    ESTIMATE: Form(s.ChangeSerializer, _estimate, parameters=(ESTIMATE_NUMBER,)),
    DECISION: Form(s.DecisionSerializer, _decision, choose=lambda values: values["decision"],
                   examples=(OpenApiExample(
                       "Approved on the telephone", request_only=True,
                       value={"decision": "approve", "channel": "phone",
                              "said": "Yes, go ahead with the repair."}),)),
    # A stress test run is recorded: 201.
    TEST: Form(s.StressTestInSerializer, _test, status=201),
    ISSUE: Form(s.IssueSerializer, _issue),
    DISPOSAL: Form(s.DisposalSerializer, _disposal, examples=(OpenApiExample(
        "Taken by the recycler", request_only=True,
        value={"method": "recycled", "note": "Collected by GreenCycle, receipt 4411."}),)),
}

# The schema's summaries of the first operations, as they were written; any other operation's
# summary is its transitions' labels.
SUMMARIES = {
    "start-diagnosis": "Take the order for diagnostics",
    "not-repairable": "Found not repairable: back to the customer unrepaired",
    "estimates/<int:estimate_number>/send": "Send the draft estimate to the customer",
    "decisions": "Record the customer's decision on the estimate awaiting it",
    "start-repair": "Start the approved repair",
    "finish-works": "The works are done: to the stress test",
    "tests": "Record a stress test: passed makes the order ready, failed goes back to repair",
    "issue": "Hand the equipment over (fully paid, with the pickup code)",
}


# --- the operations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """The manual transitions that share one `api` path."""

    path: str  # under /api/v1/orders/<number>/, e.g. "estimates/<int:estimate_number>/send"
    transitions: tuple[Transition, ...]

    @property
    def name(self) -> str:
        """The URL's name: "start_diagnosis", "estimates_send"."""
        return re.sub(r"<[^>]+>/", "", self.path).replace("-", "_").replace("/", "_")

    @property
    def form(self) -> Form:
        (kind,) = {t.form for t in self.transitions}  # one form per path
        return FORMS[kind]

    @property
    def serializer(self) -> type[serializers.Serializer]:
        if self.form is FORMS[NOTE] and any("note" in t.needs for t in self.transitions):
            return s.NotRepairableSerializer  # the note is required
        return self.form.serializer

    @property
    def roles(self) -> frozenset[str]:
        return frozenset().union(*(t.staff_roles for t in self.transitions))

    @property
    def functions(self) -> frozenset[str]:
        return frozenset(t.function for t in self.transitions)

    @property
    def summary(self) -> str | Promise:
        if self.path in SUMMARIES:
            return SUMMARIES[self.path]
        return format_lazy(" / ".join(["{}"] * len(self.transitions)),
                           *(t.label for t in self.transitions))

    @property
    def description(self) -> str:
        """For the schema: the roles, and each transition as the registry declares it."""
        moves = [f"- `{t.name}`: {', '.join(sorted(t.sources))} → {t.target}"
                 for t in self.transitions]
        return "\n".join([
            "A change of the order's state through the workflow; answers the order.",
            f"Roles: {', '.join(sorted(self.roles))}. Transitions:", "", *moves,
        ])


def _operations() -> list[Operation]:
    paths: dict[str, list[Transition]] = {}
    for transition in TRANSITIONS.values():
        if transition.manual and transition.api:
            paths.setdefault(transition.api, []).append(transition)
    operations = [Operation(path, tuple(transitions)) for path, transitions in paths.items()]
    for operation in operations:
        if len(operation.functions) > 1 and operation.form.choose is None:
            raise ValueError(f"{operation.path}: its form cannot choose among "
                             f"{sorted(operation.functions)}")
    return operations


class TransitionOperation(APIView):
    """A POST that makes one of `operation`'s transitions through the workflow, and answers
    the order. One subclass per operation (`OPERATION_VIEWS`)."""

    operation: Operation

    def post(self, request, number: int, **path):
        operation = self.operation
        form = operation.form
        data = operation.serializer(data=request.data)
        data.is_valid(raise_exception=True)
        if form.choose is None:
            (function,) = operation.functions
        else:
            function = form.choose(data.validated_data)
        order = order_or_404(number)
        getattr(workflow, function)(
            order=order, actor=actor(request), note=data.validated_data["note"],
            expected_version=data.validated_data.get("expected_version"),
            **form.arguments(order, data, path),
        )
        return Response(order_detail(number), status=form.status)


def _view(operation: Operation) -> type[TransitionOperation]:
    """The operation's view class, with its roles and its schema."""
    title = "".join(part.title() for part in operation.name.split("_"))
    view = type(f"{title}Operation", (TransitionOperation,),
                {"operation": operation, "roles": {"POST": operation.roles}})
    form = operation.form
    return extend_schema_view(post=extend_schema(
        tags=["orders"], operation_id=f"orders_{operation.name}_create",
        summary=operation.summary, description=operation.description,
        request=operation.serializer,
        parameters=[ORDER_NUMBER, *form.parameters], examples=list(form.examples),
        responses={form.status: s.OrderDetailSerializer},
    ))(view)


# Each operation's view, by its path under /api/v1/orders/<number>/ (`view.operation`).
OPERATION_VIEWS = {operation.path: _view(operation) for operation in _operations()}
