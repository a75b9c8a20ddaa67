from django.urls import path

from . import views

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
    path("orders/<int:number>/do/<slug:action>/", views.order_action, name="order_action"),
    path("orders/<int:number>/link/", views.replace_link, name="replace_link"),
]
