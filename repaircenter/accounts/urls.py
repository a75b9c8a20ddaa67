from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("profile/", views.profile, name="profile"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
]
