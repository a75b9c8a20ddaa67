from django.urls import path

from repaircenter.billing import views as billing_views
from repaircenter.documents import views as document_views

from . import estimate_views, repair_views, views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("intake/", views.intake, name="intake"),
    path("intake/customer/", views.customer_lookup, name="customer_lookup"),
    path("search/", views.search, name="search"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("orders/<int:number>/", views.order_detail, name="order"),
    path("orders/<int:number>/intake-order/", views.intake_order, name="intake_order"),
    path("orders/<int:number>/label/", views.label, name="label"),
    path("orders/<int:number>/photos/<int:pk>/", views.photo, name="photo"),
    path("orders/<int:number>/events/<int:event_id>/signature/", views.signature,
         name="signature"),
    path("orders/<int:number>/do/<slug:action>/", views.order_action, name="order_action"),
    path("orders/<int:number>/link/", views.replace_link, name="replace_link"),
    path("orders/<int:number>/findings/", estimate_views.findings, name="findings"),
    path("orders/<int:number>/decision-slip/", estimate_views.decision_slip,
         name="decision_slip"),
    path("orders/<int:number>/estimate/", estimate_views.estimate, name="estimate"),
    path("orders/<int:number>/estimate/start/", estimate_views.estimate_start,
         name="estimate_start"),
    path("orders/<int:number>/estimate/<int:estimate_id>/details/",
         estimate_views.estimate_details, name="estimate_details"),
    path("orders/<int:number>/estimate/<int:estimate_id>/lines/",
         estimate_views.estimate_add_line, name="estimate_add_line"),
    path("orders/<int:number>/estimate/<int:estimate_id>/price-list/<int:entry_id>/",
         estimate_views.estimate_add_from_price_list, name="estimate_add_from_price_list"),
    path("orders/<int:number>/estimate/<int:estimate_id>/lines/<int:line_id>/",
         estimate_views.estimate_update_line, name="estimate_update_line"),
    path("orders/<int:number>/estimate/<int:estimate_id>/lines/<int:line_id>/remove/",
         estimate_views.estimate_remove_line, name="estimate_remove_line"),
    path("orders/<int:number>/estimate/<int:estimate_id>/discard/",
         estimate_views.estimate_discard, name="estimate_discard"),
    path("orders/<int:number>/estimate/<int:estimate_id>/send/", estimate_views.estimate_send,
         name="estimate_send"),
    path("orders/<int:number>/lines/<int:line_id>/done/", repair_views.line_done,
         name="line_done"),
    path("orders/<int:number>/lines/<int:line_id>/undo/", repair_views.line_undo,
         name="line_undo"),
    path("orders/<int:number>/stress-test/", repair_views.stress_test, name="stress_test"),
    path("orders/<int:number>/unlock-issuance/", repair_views.unlock_issuance,
         name="unlock_issuance"),
    path("orders/<int:number>/payments/", billing_views.take_payment, name="take_payment"),
    path("orders/<int:number>/documents/<int:pk>/", document_views.document_page,
         name="document_page"),
    path("orders/<int:number>/documents/<int:pk>/pdf/", document_views.document_pdf,
         name="document_pdf"),
]
