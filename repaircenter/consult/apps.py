from django.apps import AppConfig


class ConsultConfig(AppConfig):
    name = "repaircenter.consult"
    label = "consult"
