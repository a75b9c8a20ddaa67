"""The staff's login (with the center of the day) and their own profile (the language of
their pages)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .backends import user_changed
from .forms import StaffLoginForm, remember_center
from .models import User
from .permissions import role_required
from .roles import STAFF_ROLES


class StaffLoginView(auth_views.LoginView):
    """Log in, and start the day in the center chosen on the form (or one's usual center)."""

    template_name = "accounts/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True
    extra_context = {"failure_limit": settings.AXES_FAILURE_LIMIT}

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in: the session is the user's from here
        chosen = form.cleaned_data.get("center") or ""
        if chosen and form.chain:
            remember_center(self.request, response, chosen)
        return response


class StaffLogoutView(auth_views.LogoutView):
    """Log out everywhere: a copy of the session cookie (on another desk, or taken) stops
    working too (User.session_epoch)."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            User.objects.filter(pk=request.user.pk).update(session_epoch=F("session_epoch") + 1)
            user_changed(request.user.pk)  # no signal for an update(): forgotten here now
        return super().post(request, *args, **kwargs)


class ProfileForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of your pages"),
        choices=[("", gettext_lazy("As my browser asks")), *settings.LANGUAGES],
        required=False,
    )


@require_http_methods(["GET", "POST"])
@role_required(*STAFF_ROLES)
def profile(request):
    user = request.user
    if request.method == "GET":
        form = ProfileForm(initial={"language": user.language})
        return render(request, "accounts/profile.html", {"form": form})
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    user.language = form.cleaned_data["language"]
    user.save(update_fields=["language"])
    # Said in the language just chosen (or the browser's, when that was chosen).
    translation.activate(user.language or translation.get_language_from_request(request))
    messages.success(request, _("Your profile is saved."))
    return redirect("profile")
