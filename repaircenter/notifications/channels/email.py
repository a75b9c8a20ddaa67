"""Email over SMTP through Django's email backend, with a plain text and an HTML part. The SMTP
server accepting the message counts as delivered."""

import smtplib
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from repaircenter.core.models import CenterSettings

from ..rendering import email_html
from . import DeliveryError, Receipt


class EmailChannel:
    def send(self, message) -> Receipt:
        # The order's center answers its customers' replies; the chain answers the others.
        center = message.order.center if message.order_id else CenterSettings.load()
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            reply_to=[center.email] if center.email else None,
            # The same Message-ID on every attempt lets mail systems drop a repeat.
            headers={"Message-ID": f"<{message.key}@{domain}>"},
        )
        email.attach_alternative(email_html(
            message.body, center_name=center.name,
            language=message.customer.language if message.customer_id else ""), "text/html")
        try:
            with get_connection(fail_silently=False) as connection:
                connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            answers = "; ".join(
                f"{code} {text.decode(errors='replace')}"
                for code, text in error.recipients.values()
            )
            # 5xx: this address will never take mail; 4xx (greylisting, a full mailbox): later.
            raise DeliveryError(
                f"address refused: {answers}", permanent=all(500 <= c < 600 for c in codes)
            ) from error
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"SMTP login failed: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            text = error.smtp_error.decode(errors="replace") if isinstance(
                error.smtp_error, bytes) else str(error.smtp_error)
            # 5xx: the server will not take this message, however often it is offered.
            raise DeliveryError(
                f"{error.smtp_code} {text}", permanent=500 <= error.smtp_code < 600
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryError(f"SMTP server unreachable: {error}") from error
        return Receipt(delivered=True, answer="accepted by the SMTP server")
