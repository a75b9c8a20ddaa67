"""The manager's page of webhook endpoints: register one, choose its events, see its recent
deliveries and every attempt, send a test event, enable one that was disabled."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from repaircenter.accounts.roles import Role

from .addresses import check_url
from .models import Attempt, Delivery, DeliveryStatus, Endpoint, EventType
from .outbox import queue_test_event

RECENT = 50  # deliveries shown on an endpoint's page
MIN_SECRET = 16


def is_manager(request) -> bool:
    """Webhooks are the manager's: a staff account holding the manager role (or a superuser)."""
    user = request.user
    return bool(user.is_active and user.is_staff
                and (user.is_superuser or user.has_role(Role.MANAGER)))


def recent_deliveries(endpoint: Endpoint, limit: int = RECENT) -> list[Delivery]:
    """The endpoint's newest deliveries with their attempts, newest first: two queries however
    many there are."""
    return list(
        endpoint.deliveries.order_by("-created_at", "-pk")
        .prefetch_related(Prefetch("attempts", queryset=Attempt.objects.order_by("-at", "-pk")))
        [:limit]
    )


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"), max_length=500, assume_scheme="https",
        help_text=Endpoint._meta.get_field("url").help_text,
        # The admin's wide field: a receiver's address is often longer than the default box.
        widget=forms.URLInput(attrs={"class": "vLargeTextField"}),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("The events posted to this endpoint."),
    )

    class Meta:
        model = Endpoint
        fields = ["url", "description", "secret", "events"]
        widgets = {"secret": forms.TextInput(attrs={"class": "vLargeTextField"})}

    def clean_url(self):
        url = self.cleaned_data["url"]
        check_url(url)
        return url

    def clean_secret(self):
        secret = self.cleaned_data["secret"].strip()
        if len(secret) < MIN_SECRET:
            raise forms.ValidationError(
                _("Use a secret of at least %(count)d characters.") % {"count": MIN_SECRET})
        return secret


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("disabled", _("Disabled"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(active=True)
        if self.value() == "disabled":
            return queryset.filter(active=False)
        return queryset


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "description", "state", "event_list", "failing_since"]
    list_filter = [StateFilter]
    readonly_fields = ["state", "failing_since", "disabled_reason", "created_by", "created_at"]
    actions = ["send_test_event", "enable", "disable"]
    change_form_template = "admin/webhooks/endpoint/change_form.html"

    def get_fields(self, request, obj=None):
        fields = ["url", "description", "secret", "events"]
        if obj is None:
            return fields
        return [*fields, "state", "failing_since", "disabled_reason", "created_by", "created_at"]

    # Manager only, whatever model permissions an account holds.
    def has_module_permission(self, request):
        return is_manager(request)

    def has_view_permission(self, request, obj=None):
        return is_manager(request)

    def has_add_permission(self, request):
        return is_manager(request)

    def has_change_permission(self, request, obj=None):
        return is_manager(request)

    def has_delete_permission(self, request, obj=None):
        # Never deleted, only disabled: the history of its deliveries stays, and an event
        # queued at that moment never meets a missing endpoint (its transaction would fail).
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("State"))
    def state(self, endpoint: Endpoint) -> str:
        if endpoint.active:
            return _("Active")
        if endpoint.disabled_at:
            return _("Disabled on %(when)s") % {
                "when": timezone.localtime(endpoint.disabled_at).strftime("%Y-%m-%d %H:%M")}
        return _("Disabled")

    @admin.display(description=_("Events"))
    def event_list(self, endpoint: Endpoint) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(e, e)) for e in endpoint.events)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET" and is_manager(request):
            for endpoint in Endpoint.objects.filter(active=False).exclude(disabled_reason=""):
                messages.warning(request, _(
                    "Webhook endpoint %(url)s is disabled: %(reason)s"
                ) % {"url": endpoint.url, "reason": endpoint.disabled_reason})
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        endpoint = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if endpoint is not None:
            extra["deliveries"] = recent_deliveries(endpoint)
            extra["recent_limit"] = RECENT
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description=_("Send a test event"))
    def send_test_event(self, request, queryset):
        count = 0
        for endpoint in queryset.filter(active=True):
            queue_test_event(endpoint, user=request.user)
            count += 1
        if count:
            self.message_user(request, ngettext(
                "A test event is queued; the worker posts it within moments.",
                "%(count)d test events are queued; the worker posts them within moments.",
                count) % {"count": count}, messages.SUCCESS)
        if count < queryset.count():
            self.message_user(request, _("Disabled endpoints get no test event: enable them "
                                         "first."), messages.WARNING)

    @admin.action(description=_("Enable again"))
    def enable(self, request, queryset):
        with transaction.atomic():
            count = queryset.filter(active=False).update(
                active=True, disabled_at=None, disabled_reason="", failing_since=None)
        self.message_user(request, ngettext(
            "%(count)d endpoint enabled.", "%(count)d endpoints enabled.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Disable"))
    def disable(self, request, queryset):
        count = queryset.filter(active=True).update(
            active=False, disabled_at=timezone.now(), disabled_reason="")
        self.message_user(request, ngettext(
            "%(count)d endpoint disabled.", "%(count)d endpoints disabled.", count
        ) % {"count": count}, messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Every delivery, to look up (by its id, which a receiver quotes) and to send again."""

    list_display = ["created_at", "event", "endpoint", "status", "attempt_count",
                    "next_attempt_at", "last_answer"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["=id"]
    actions = ["send_again"]
    fields = ["id", "endpoint", "event", "status", "created_at", "attempt_count",
              "next_attempt_at", "first_failure_at", "delivered_at", "failed_at", "last_answer",
              "payload"]
    readonly_fields = fields

    def has_module_permission(self, request):
        return is_manager(request)

    def has_view_permission(self, request, obj=None):
        return is_manager(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # An action needs change permission by default; this one is the manager's.
        actions = super().get_actions(request)
        if not is_manager(request):
            actions.pop("send_again", None)
        return actions

    @admin.action(description=_("Send again"), permissions=["view"])
    def send_again(self, request, queryset):
        """Failed deliveries go back to the queue as they were (same id and body: a receiver
        that had taken one drops the repeat), with a new day of retries."""
        count = queryset.filter(status=DeliveryStatus.FAILED, endpoint__active=True).update(
            status=DeliveryStatus.QUEUED, next_attempt_at=timezone.now(), first_failure_at=None,
            failed_at=None, claim="", lease_until=None)
        self.message_user(request, ngettext(
            "%(count)d delivery queued again.", "%(count)d deliveries queued again.", count
        ) % {"count": count}, messages.SUCCESS)
