from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "repaircenter.notifications"
    label = "notifications"
