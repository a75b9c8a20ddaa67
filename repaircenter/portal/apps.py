from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "repaircenter.portal"
    label = "portal"
