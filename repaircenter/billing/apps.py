from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "repaircenter.billing"
    label = "billing"
