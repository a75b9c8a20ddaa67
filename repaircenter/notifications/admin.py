from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from repaircenter.customers.channels import CHANNELS
from repaircenter.orders.models import Order

from . import rendering
from .default_templates import builtin
from .models import MessageTemplate
from .sms_segments import count_segments


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 12, "cols": 90})}

    def clean(self):
        data = super().clean()
        if "body" in data:
            rendering.validate(data.get("subject", ""), data["body"], rendering.sample_context())
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["event", "channel", "language", "subject", "sms_segments", "updated_at"]
    list_filter = ["language", "channel", "event"]
    readonly_fields = ["event", "channel", "language"]
    def get_fields(self, request, obj=None):
        if obj is not None and not CHANNELS[obj.channel].has_subject:
            return ["event", "channel", "language", "body"]  # only email has a subject
        return ["event", "channel", "language", "subject", "body"]
    actions = ["restore_defaults", "write_missing_languages"]
    change_form_template = "admin/notifications/messagetemplate/change_form.html"

    def has_add_permission(self, request):
        return False  # one template per event and channel exists from the start

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        template = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if template is not None:
            # Dates, amounts and status shown in the text's language.
            with translation.override(template.language):
                extra.update(self.preview(template, request.GET.get("order", "")))
            extra["languages"] = self.languages(template)
        return super().change_view(request, object_id, form_url, extra)

    @staticmethod
    def languages(template: MessageTemplate) -> list[dict]:
        """Each language and this text's row in it; a language without one falls back to the
        default language's text, and the page says so."""
        rows = {t.language: t for t in MessageTemplate.objects.filter(
            event=template.event, channel=template.channel)}
        default = rows.get(settings.LANGUAGE_CODE)
        built_in = default is None or rendering.unchanged(default)
        return [{"code": code, "name": name, "row": rows.get(code),
                 "current": code == template.language,
                 "default": code == settings.LANGUAGE_CODE, "built_in": built_in}
                for code, name in settings.LANGUAGES]

    @staticmethod
    def preview(template: MessageTemplate, number_text: str) -> dict:
        """The template rendered on a real order (the one asked for, else the newest)."""
        orders = Order.objects.select_related("customer", "equipment", "equipment__kind")
        number = "".join(ch for ch in number_text if ch.isdigit())
        order = orders.filter(number=int(number)).first() if number else None
        if order is None:
            order = orders.order_by("-number").first()
        context = rendering.order_context(order) if order else rendering.sample_context()
        context["advice"] = rendering.sample_context()["advice"]
        try:
            text = rendering.render(template.subject, template.body, context, template.channel)
        except Exception as error:  # a template saved before a check existed
            return {"preview_error": str(error)}
        return {
            "preview": text,
            "preview_order": order,
            "empty_names": rendering.empty_names(template.subject, template.body, context),
            "segments": (count_segments(text.body) if CHANNELS[template.channel].counts_segments
                         else None),
            "names": rendering.sample_context(),
        }

    @admin.display(description=_("SMS segments"))
    def sms_segments(self, template: MessageTemplate) -> str:
        """On made-up values of usual length; the preview shows them on a real order."""
        if not CHANNELS[template.channel].counts_segments:
            return "—"
        try:
            text = rendering.render(
                "", template.body, rendering.sample_context(), template.channel
            )
        except Exception:  # a broken template shows as such on its page
            return "?"
        return str(count_segments(text.body))

    @admin.action(description=_("Restore the built-in text"))
    def restore_defaults(self, request, queryset):
        for template in queryset:
            template.subject, template.body = builtin(template.event, template.channel,
                                                      template.language)
            template.save()
        messages.success(request, _("Built-in text restored."))

    @admin.action(description=_("Write the missing languages (from the built-in text)"))
    def write_missing_languages(self, request, queryset):
        """For each chosen text, a row in every language it lacks, with the built-in text in
        that language, for the manager to edit; until then those customers get the default
        language's text."""
        made = 0
        for event, channel in {(t.event, t.channel) for t in queryset}:
            have = set(MessageTemplate.objects.filter(event=event, channel=channel)
                       .values_list("language", flat=True))
            for code, _name in settings.LANGUAGES:
                if code not in have:
                    subject, body = builtin(event, channel, code)
                    MessageTemplate.objects.create(event=event, channel=channel, language=code,
                                                   subject=subject, body=body)
                    made += 1
        messages.success(request, ngettext("%(count)d text written.",
                                           "%(count)d texts written.", made) % {"count": made})
