from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("warranty/", views.warranty, name="warranty"),
    path("<slug:slug>.csv", views.csv_download, name="csv"),
]
