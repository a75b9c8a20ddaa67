from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "repaircenter.billing"
    label = "billing"

    def ready(self):
        from repaircenter.orders.selectors import include_in_order_detail

        from .models import Payment

        # The order with everything about it shows its payments and their receipts (most
        # orders have none until they are issued).
        include_in_order_detail(
            "payments", Payment.objects.select_related("taken_by", "receipt")
            .defer("receipt__html"), seldom=True)
