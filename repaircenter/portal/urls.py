from django.urls import path
from django.views.i18n import set_language

from . import chat_views, order_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots"),
    # The public site's language switch: a cookie over the browser's Accept-Language.
    path("language/", set_language, name="set_language"),
    path("find/", views.lookup, name="lookup"),
    path("find/sent/", views.lookup_sent, name="lookup_sent"),
    path("advice/", views.advice, name="advice"),
    path("advice/sent/", views.advice_sent, name="advice_sent"),
    path("chat/", chat_views.chat, name="chat"),
    path("chat/messages/", chat_views.chat_poll, name="chat_poll"),
    path("chat/send/", chat_views.chat_send, name="chat_send"),
    path("chat/contact/", chat_views.chat_contact, name="chat_contact"),
    # The customer's link, printed on the intake order and sent in every message: /o/<token>/.
    path("o/<str:token>/", order_views.order_page, name="order"),
    path("o/<str:token>/language/", order_views.language, name="order_language"),
    path("o/<str:token>/approve/", order_views.approve, name="approve"),
    path("o/<str:token>/refuse/", order_views.refuse, name="refuse"),
    path("o/<str:token>/documents/<int:pk>/", order_views.document, name="document"),
    path("o/<str:token>/chat/messages/", chat_views.order_chat_poll, name="order_chat_poll"),
    path("o/<str:token>/chat/send/", chat_views.order_chat_send, name="order_chat_send"),
    path("o/<str:token>/chat/pass-on/", chat_views.order_chat_pass_on,
         name="order_chat_pass_on"),
]
