from django.urls import path

from . import estimate_views, views

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
]
