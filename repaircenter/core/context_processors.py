from django.conf import settings


def center(request):
    return {"CURRENCY": settings.CURRENCY}
