from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

login_view = auth_views.LoginView.as_view(
    template_name="accounts/login.html",
    redirect_authenticated_user=True,
    extra_context={"failure_limit": settings.AXES_FAILURE_LIMIT},
)

urlpatterns = [
    path("login/", login_view, name="login"),
    path("profile/", views.profile, name="profile"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
