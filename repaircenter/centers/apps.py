from django.apps import AppConfig


class CentersConfig(AppConfig):
    name = "repaircenter.centers"
    label = "centers"
