from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}


@register(Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs):
    """The customer's link is printed on paper and sent by SMS: it must be the public address."""
    url = urlsplit(settings.SITE_URL)
    problems = []
    if url.hostname in LOOPBACK or not url.hostname:
        problems.append(Warning(
            "REPAIRCENTER_SITE_URL points at this machine; customers cannot open the links "
            "printed on their intake orders.",
            hint="Set REPAIRCENTER_SITE_URL to the public address, e.g. https://repair.example.com",
            id="repaircenter.W001",
        ))
    elif settings.HTTPS and url.scheme != "https":
        problems.append(Warning(
            "REPAIRCENTER_SITE_URL is not https while the site runs behind HTTPS.",
            hint="Use the https:// address in REPAIRCENTER_SITE_URL.",
            id="repaircenter.W002",
        ))
    return problems
