from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import CenterSettings, CenterText, Holiday


class CenterTextInline(admin.StackedInline):
    model = CenterText
    extra = 0
    verbose_name = _("text in another language")
    verbose_name_plural = _("The welcome and the terms in other languages (a language without "
                            "its text here shows the default language's, above)")


@admin.register(CenterSettings)
class CenterSettingsAdmin(admin.ModelAdmin):
    inlines = [CenterTextInline]
    readonly_fields = ["languages_written"]

    @admin.display(description=_("languages written"))
    def languages_written(self, obj) -> str:
        """Which languages the welcome and the terms have; the others fall back to the
        default language's."""
        if obj is None or obj.pk is None:
            return ""
        names = dict(settings.LANGUAGES)
        written = {(t.kind, t.language) for t in obj.texts.all() if t.text.strip()}
        lines = []
        for kind, label in CenterText.Kind.choices:
            parts = [f"{names[settings.LANGUAGE_CODE]} ✓"]
            for code, name in settings.LANGUAGES:
                if code != settings.LANGUAGE_CODE:
                    parts.append(f"{name} ✓" if (kind, code) in written
                                 else _("%(name)s: the default language's text is shown")
                                 % {"name": name})
            lines.append(f"{label}: " + "; ".join(str(p) for p in parts))
        return " | ".join(lines)

    def has_add_permission(self, request):
        return not CenterSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]
    date_hierarchy = "date"
