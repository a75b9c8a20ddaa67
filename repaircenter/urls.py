from django.contrib import admin
from django.urls import include, path

from repaircenter.core import views as core_views
from repaircenter.notifications import views as notification_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("livez", core_views.livez, name="livez"),
    # Browsers ask for /favicon.ico where a page names no icon (a PDF, a JSON answer).
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/", include("repaircenter.accounts.urls")),
    path("staff/", include("repaircenter.staff.urls")),
    path("staff/messages/", include("repaircenter.notifications.urls")),
    path("staff/reports/", include("repaircenter.reports.urls")),
    path("staff/consult/", include("repaircenter.consult.urls")),
    path("hooks/sms/report/", notification_views.sms_report, name="sms_report"),
    path("admin/", admin.site.urls),
    path("api/", include("repaircenter.api.urls")),
    # The public site: home, order look-up, advice, chat, and the customer's order pages.
    path("", include("repaircenter.portal.urls")),
]

handler404 = "repaircenter.portal.views.not_found"
handler500 = "repaircenter.core.views.server_error"
