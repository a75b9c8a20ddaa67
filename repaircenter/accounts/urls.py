from django.contrib.auth import views as auth_views
from django.urls import path

login_view = auth_views.LoginView.as_view(
    template_name="accounts/login.html", redirect_authenticated_user=True
)

urlpatterns = [
    path("login/", login_view, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
