from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "repaircenter.reports"
    label = "reports"
