from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "repaircenter.customers"
    label = "customers"
