from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "repaircenter.documents"
    label = "documents"
