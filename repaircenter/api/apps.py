from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "repaircenter.api"
    label = "api"
    verbose_name = _("HTTP API")

    def ready(self):
        # Registers how the schema describes the bearer token.
        from . import authentication  # noqa: F401
