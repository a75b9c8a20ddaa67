from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from repaircenter.accounts.roles import Role
from repaircenter.centers.models import Center

from .models import ApiToken
from .tokens import create_token, revoke_tokens


class ApiTokenForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple,
        help_text=_("The token may do what staff with these roles may do."),
    )
    centers = forms.ModelMultipleChoiceField(
        label=_("centers"), queryset=Center.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text=_("The centers whose orders it sees and where it takes equipment in (the "
                    "first). A manager's token sees every center; in a chain of one center "
                    "every token works there."),
    )

    class Meta:
        model = ApiToken
        fields = ["name", "roles"]


def _is_manager(request) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or user.has_role(Role.MANAGER))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """The manager creates tokens for other systems (the token is shown once, after saving)
    and revokes them; a token's name and roles are changed by revoking it and making another."""

    form = ApiTokenForm
    list_display = ["name", "hint", "role_list", "created_by", "created_at", "last_used_at",
                    "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["hint", "role_list", "created_by", "created_at", "last_used_at",
                       "revoked_at"]
    actions = ["revoke"]

    @admin.display(description=_("roles"))
    def role_list(self, token):
        labels = dict(Role.choices)
        return ", ".join(str(labels.get(role, role)) for role in token.roles)

    def get_fields(self, request, obj=None):
        return ["name", "roles", "centers"] if obj is None else [
            "name", *self.readonly_fields, "center_list"]

    @admin.display(description=_("centers"))
    def center_list(self, token):
        return ", ".join(c.name for c in token.user.centers.all()) or "—"

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["name", *self.readonly_fields, "center_list"]

    def has_module_permission(self, request):
        return _is_manager(request)

    def has_view_permission(self, request, obj=None):
        return _is_manager(request)

    def has_add_permission(self, request):
        return _is_manager(request)

    def has_change_permission(self, request, obj=None):
        # Opening a token shows it; nothing on it changes (revoke is the action).
        return _is_manager(request) and obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, text = create_token(name=form.cleaned_data["name"],
                                   roles=form.cleaned_data["roles"], created_by=request.user,
                                   centers=form.cleaned_data["centers"])
        obj.pk = token.pk
        messages.warning(
            request,
            _("The token for “%(name)s” is %(token)s. Copy it now: it is shown only this once "
              "and cannot be read again.") % {"name": token.name, "token": text},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        if not _is_manager(request):
            return
        count = revoke_tokens(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )
