from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "repaircenter.core"
    label = "core"
