from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff's pages for orders: home, intake, search, queues, the order page and its
    actions, the estimate editor, the repair, storage and disposal."""

    name = "repaircenter.staff"
    label = "staff"
