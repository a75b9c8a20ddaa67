from django.apps import AppConfig


class ConsultConfig(AppConfig):
    name = "repaircenter.consult"
    label = "consult"

    def ready(self):
        from repaircenter.core.files import register_area

        from .models import AdviceRequest

        # The photos sent with advice requests, for the orphan sweep (core/files.py).
        register_area("advice", lambda folder, names: set(
            AdviceRequest.objects.filter(photo__in=names).values_list("photo", flat=True)))
