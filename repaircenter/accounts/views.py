from django.conf import settings
from django.contrib.auth import views as auth_views

from .forms import StaffLoginForm, remember_center


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
