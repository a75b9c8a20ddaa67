"""Which URLs the center may post to. An endpoint is a URL a manager types; without a check the
worker would post to whatever it names, the center's own database port or a cloud metadata
address included. So outside development (REPAIRCENTER_WEBHOOKS_ALLOW_PRIVATE) a URL whose host
is, or resolves to, a loopback, private, link-local or otherwise non-public address is refused,
when the endpoint is saved and again before every attempt (a name may resolve elsewhere later).
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SCHEMES = ("http", "https")


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool | None = None) -> None:
    """ValidationError saying what is wrong with `url` as a webhook endpoint, if anything."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(
            _("Leave the user name and password out of the address; the secret signs every "
              "delivery."), code="credentials")
    if settings.WEBHOOKS_ALLOW_PRIVATE if allow_private is None else allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port,
                                                           type=socket.SOCK_STREAM)}
    except (OSError, ValueError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s cannot be found.") % {"host": parts.hostname}, code="dns"
        ) from None
    if not all(_public(address) for address in found):
        raise ValidationError(
            _("%(host)s is a local or private address; webhooks go only to public addresses.")
            % {"host": parts.hostname}, code="private",
        )
