from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "repaircenter.documents"
    label = "documents"

    def ready(self):
        from repaircenter.core.files import register_area
        from repaircenter.core.worker import register_round

        from .issuing import render_pending
        from .models import Document

        # The PDFs of documents issued since the last round.
        register_round("pdfs", lambda stop: render_pending(stop=stop), position=50)

        # The stored PDFs (core/files.py: the orphan sweep asks which names rows hold).
        register_area("documents", lambda folder, names: set(
            Document.objects.filter(file__in=names).values_list("file", flat=True)))
