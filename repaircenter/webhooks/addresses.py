"""Which URLs the center may post to. An endpoint is a URL a manager types; without a check the
worker would post to whatever it names, the center's own database port or a cloud metadata
address included. So outside development (REPAIRCENTER_WEBHOOKS_ALLOW_PRIVATE) a URL whose host
is, or resolves to, a loopback, private, link-local or otherwise non-public address is refused,
when the endpoint is saved and again before every attempt (a name may resolve elsewhere later).
Each attempt then connects to the address it checked (`pinned`): the name is not looked up a
second time, so a name that answers a public address to the check and a private one a moment
later (DNS rebinding) still reaches only the address that was checked.
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


def check_url(url: str, *, allow_private: bool | None = None) -> list[str]:
    """ValidationError saying what is wrong with `url` as a webhook endpoint, if anything; else
    the addresses its host resolved to and that were checked, in the resolver's order (none
    when private addresses are allowed: then nothing was looked up)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValidationError(_("Give an http:// or https:// address."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(
            _("Leave the user name and password out of the address; the secret signs every "
              "delivery."), code="credentials")
    if settings.WEBHOOKS_ALLOW_PRIVATE if allow_private is None else allow_private:
        return []
    try:
        found = resolve(url)
    except (OSError, ValueError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s cannot be found.") % {"host": parts.hostname}, code="dns"
        ) from None
    if not all(_public(address) for address in found):
        raise ValidationError(
            _("%(host)s is a local or private address; webhooks go only to public addresses.")
            % {"host": parts.hostname}, code="private",
        )
    return found


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve(url: str) -> list[str]:
    """The addresses of `url`'s host, in the resolver's order, each once."""
    infos = socket.getaddrinfo(urlsplit(url).hostname, _port(url), type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in infos))


def pinned(url: str) -> tuple[str, str]:
    """Check `url` and look its host up once: the URL with the host replaced by the checked
    address to connect to, and the Host header naming the host as the URL had it (HTTPS checks
    the certificate against that name, webhooks.delivery.PinnedAdapter)."""
    found = check_url(url)
    parts = urlsplit(url)
    if not found:  # private addresses allowed: no check, but still one look-up
        try:
            found = resolve(url)
        except (OSError, ValueError, UnicodeError):
            raise ValidationError(
                _("The host %(host)s cannot be found.") % {"host": parts.hostname}, code="dns"
            ) from None
    address = found[0]
    host = f"[{address}]" if ":" in address else address
    return parts._replace(netloc=f"{host}:{_port(url)}").geturl(), parts.netloc
