from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from repaircenter.core import views as core_views
from repaircenter.notifications import views as notification_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="staff:home", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("repaircenter.accounts.urls")),
    path("staff/", include("repaircenter.orders.urls")),
    path("staff/messages/", include("repaircenter.notifications.urls")),
    path("staff/reports/", include("repaircenter.reports.urls")),
    path("hooks/sms/report/", notification_views.sms_report, name="sms_report"),
    path("admin/", admin.site.urls),
]
