from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "repaircenter.orders"
    label = "orders"
