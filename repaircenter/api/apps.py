from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "repaircenter.api"
    label = "api"
    verbose_name = "HTTP API"

    def ready(self):
        # Registers how the schema describes the bearer token.
        from . import authentication  # noqa: F401
