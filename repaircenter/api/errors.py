"""One shape for every error the API gives:

    {"error": {"code": "wrong_state", "message": "Order R-000012 is issued; …", "fields": {}}}

`fields` names each field that was not valid (nested ones as `customer.phone`,
`lines.0.quantity`) with what is wrong with it. The schema declares this answer for every error
status an operation can give (ApiAutoSchema below).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from repaircenter.accounts.permissions import refusal
from repaircenter.core import outage
from repaircenter.orders import workflow

from .serializers import decimal_pattern


class ApiError(exceptions.APIException):
    """An error with its own code, e.g. `ApiError(409, "idempotency_key_reused", "…")`."""

    def __init__(self, status_code: int, code: str, message: str):
        self.status_code = status_code
        super().__init__(detail=message, code=code)


# Most specific first: EstimateReplaced is a Refused, and so on.
WORKFLOW_ERRORS = [
    (workflow.NotAllowed, status.HTTP_403_FORBIDDEN, "not_allowed"),
    (workflow.EstimateReplaced, status.HTTP_409_CONFLICT, "estimate_replaced"),
    (workflow.DecisionPeriodOver, status.HTTP_409_CONFLICT, "decision_period_over"),
    (workflow.WrongState, status.HTTP_409_CONFLICT, "wrong_state"),
    (workflow.Conflict, status.HTTP_409_CONFLICT, "conflict"),
    (workflow.Refused, status.HTTP_409_CONFLICT, "refused"),
    (workflow.WorkflowError, status.HTTP_409_CONFLICT, "refused"),
]


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "fields": fields or {}}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error details as {"a.b.0.c": ["message", …]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            # A nested serializer's own error (e.g. too few lines) names the field itself.
            name = prefix if key == "non_field_errors" and prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            flat.update(_flatten(value, name))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            if item:
                flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _log_refusal(context, response) -> None:
    """A token's role refusal: one INFO line instead of Django's WARNING for every 403."""
    request = context["request"]
    token = getattr(request, "auth", None)
    view = context.get("view")
    method = "GET" if request.method == "HEAD" else request.method
    roles = getattr(view, "roles", {}).get(method, ())
    refusal(request, roles, f"API: {getattr(token, 'name', '?')}")
    response._has_been_logged = True


def exception_handler(exc, context):
    if isinstance(exc, workflow.MissingInput):  # input the change needs: a 400 naming it
        set_rollback()
        return Response(error_body("invalid", exc.message, {exc.field: [exc.message]}),
                        status=status.HTTP_400_BAD_REQUEST)
    if outage.is_outage(exc):
        set_rollback()
        response = Response(error_body("unavailable", outage.MESSAGE), status=503)
        return outage.answered(context["request"], response, exc)
    for kind, status_code, code in WORKFLOW_ERRORS:
        if isinstance(exc, kind):
            set_rollback()
            response = Response(error_body(code, exc.message), status=status_code)
            if status_code == status.HTTP_403_FORBIDDEN:
                _log_refusal(context, response)
            return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500, logged
    if isinstance(exc, exceptions.PermissionDenied):
        _log_refusal(context, response)
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.get("non_field_errors")
        message = " ".join(general) if general else _(
            "Some of the data sent is not valid; “fields” says what to correct."
        )
        response.data = error_body("invalid", message, fields)
    else:
        response.data = error_body(_code(exc), exc.detail)
    return response


# --- the schema ---------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "What went wrong, for programs: invalid, not_authenticated, authentication_failed, "
        "permission_denied, not_allowed, not_found, wrong_state, conflict, refused, "
        "estimate_replaced, decision_period_over, idempotency_key_reused, throttled, "
        "unavailable…"))
    message = serializers.CharField(help_text=gettext_lazy("What went wrong, for people."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=gettext_lazy("For each field that was not valid, what is wrong with it."),
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": gettext_lazy("The request is not valid: “fields” says what to correct."),
    "401": gettext_lazy("No token, or a token that is not valid or was revoked."),
    "403": gettext_lazy("The token's roles do not allow this."),
    "404": gettext_lazy("No such order, customer, document or page."),
    "406": gettext_lazy("The answer cannot be given in the media type asked for."),
    "409": gettext_lazy(
        "The order's state does not allow this now, someone changed it first, or a rule of "
        "the change is not met; the message says which."),
    "415": gettext_lazy("The body is not in a media type this operation reads (use JSON)."),
    "429": gettext_lazy("Too many requests with this token; wait for Retry-After seconds."),
    "503": gettext_lazy("The service cannot reach its database just now; nothing was changed. "
                        "Try again after Retry-After seconds."),
}
ALL_METHODS = ("400", "401", "403", "404", "406", "429", "503")
CHANGES = ("409", "415")


TEXT_PATTERN = r"^[^\x00]+$"
NON_BLANK_PATTERN = r"^[^\x00]*[^\x00\s][^\x00]*$"


class ApiAutoSchema(AutoSchema):
    """Every operation declares the error answers it can give, in the one error shape; the
    schema states the limits the serializers enforce."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer):
            if field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        if getattr(field, "unique_items", False):
            schema["uniqueItems"] = True
        if direction != "request":
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(field)
        if (isinstance(field, serializers.CharField) and not field.read_only
                and "pattern" not in schema and schema.get("type") == "string"):
            # DRF refuses NUL characters, and a required text that is only spaces (it trims).
            # A text that may be blank is given as oneOf: this branch or "" (so not "" here).
            schema["pattern"] = TEXT_PATTERN if field.allow_blank else NON_BLANK_PATTERN
            if schema.get("default") == "":
                del schema["default"]  # not valid in this branch; left out it is blank anyway
        if isinstance(field, serializers.EmailField) and schema.get("default") == "":
            del schema["default"]  # "" is no email address: optional, and may be sent empty
        return schema

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = list(ALL_METHODS)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += CHANGES
        if getattr(self.view, "public", False):
            codes = ["400", "404", "406", "429", "503"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code, ["application/json"], direction,
                )
        return responses
