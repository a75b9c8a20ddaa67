from django.conf import settings
from django.utils.functional import SimpleLazyObject


def center(request):
    from .models import CenterSettings

    # Read only by a template that shows the center's name or contacts (the public pages, the
    # error pages); a view may pass its own `center`.
    return {"CURRENCY": settings.CURRENCY, "center": SimpleLazyObject(CenterSettings.load)}
