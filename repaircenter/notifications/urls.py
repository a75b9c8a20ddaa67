from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/", views.record_call, name="record_call"),
    path("attention/", views.attention, name="attention"),
    path("<int:pk>/requeue/", views.requeue, name="requeue"),
    path("<int:pk>/handled/", views.handled, name="handled"),
    path("orders/<int:number>/call/", views.call_customer, name="call_customer"),
]
