"""The staff member's own profile: the language of their pages."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .permissions import role_required
from .roles import STAFF_ROLES


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
