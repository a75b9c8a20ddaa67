"""The staff login, with the center one works in today when the chain has several."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from repaircenter.centers.models import ALL_CENTERS, Center

from .roles import Role

# The session's key of the center chosen (a center's id, or "all" for a manager); the cookie
# that remembers it on this desk for the next login (a center's id is no secret).
CHOSEN_CENTER = "center"
CENTER_COOKIE = "staff_center"
# A year: the desk keeps its center across logins and logouts.
CENTER_COOKIE_AGE = 365 * 24 * 3600


def remember_center(request, response, chosen: str) -> None:
    """The choice, for this session and for the next login at this desk."""
    request.session[CHOSEN_CENTER] = chosen
    response.set_cookie(CENTER_COOKIE, chosen, max_age=CENTER_COOKIE_AGE,
                        secure=request.is_secure(), httponly=True, samesite="Lax")


class StaffLoginForm(AuthenticationForm):
    center = forms.ChoiceField(label=_("Working at"), required=False)

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.centers = list(Center.objects.filter(active=True).order_by("name"))
        self.fields["center"].choices = [
            ("", _("My usual center")),
            *((str(c.pk), c.name) for c in self.centers),
            (ALL_CENTERS, _("All centers (managers)")),
        ]
        if request is not None and not self.is_bound:
            self.initial["center"] = request.COOKIES.get(CENTER_COOKIE, "")

    @property
    def chain(self) -> bool:
        """Whether there is a center to choose (a chain of one has nothing to ask)."""
        return len(self.centers) > 1

    @property
    def center_refused(self) -> bool:
        """The password was right but the center chosen is not this person's."""
        return any(e.code == "not_your_center" for e in self.non_field_errors().as_data())

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        chosen = cleaned.get("center") or ""
        if user is None or not chosen or not self.chain:
            return cleaned
        manager = Role.MANAGER in user.roles
        if chosen == ALL_CENTERS:
            if not manager:
                raise forms.ValidationError(
                    _("Only a manager works at all centers at once: choose yours."),
                    code="not_your_center")
        elif not manager and not user.centers.filter(pk=chosen).exists():
            name = next((c.name for c in self.centers if str(c.pk) == chosen), "")
            raise forms.ValidationError(
                _("You do not work at %(center)s: choose one of your centers, or ask a "
                  "manager to add you to it."), params={"center": name},
                code="not_your_center")
        return cleaned
