from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "repaircenter.documents"
    label = "documents"

    def ready(self):
        from repaircenter.core.worker import register_round

        from .issuing import render_pending

        # The PDFs of documents issued since the last round.
        register_round("pdfs", lambda stop: render_pending(stop=stop), position=50)
