from django.urls import path

from . import views

app_name = "consult"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("list/", views.inbox_list, name="inbox_list"),
    path("away/", views.away, name="away"),
    path("chats/<int:pk>/", views.thread, name="thread"),
    path("chats/<int:pk>/messages/", views.thread_poll, name="thread_poll"),
    path("chats/<int:pk>/reply/", views.thread_reply, name="thread_reply"),
    path("advice/<int:pk>/", views.advice, name="advice"),
    path("advice/<int:pk>/answer/", views.advice_answer, name="advice_answer"),
    path("advice/<int:pk>/dismiss/", views.advice_dismiss, name="advice_dismiss"),
    path("advice/<int:pk>/photo/", views.advice_photo, name="advice_photo"),
]
