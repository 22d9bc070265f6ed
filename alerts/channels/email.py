"""E-mail through Django's mail (so an Anymail backend works as well as SMTP): text and HTML,
a Message-ID derived from the delivery's idempotency key (the same on a resend), and all the
messages about one alert threaded together."""

from __future__ import annotations

import contextlib
import smtplib
from email.utils import parseaddr

from anymail.exceptions import AnymailAPIError, AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone

from .. import messages
from ..links import ack_url
from ..models import Channel, Delivery, Message
from ..selectors import AlertFacts
from .base import Transport, TransportError, http_status_is_permanent


def mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "coldchain.localhost"


def message_id(idempotency_key: str) -> str:
    return f"<{idempotency_key}@{mail_domain()}>"


def thread_id(alert_id: int) -> str:
    return f"<alert-{alert_id}@{mail_domain()}>"


def _describe(refused: dict) -> str:
    return "; ".join(f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
                     for rcpt, (code, msg) in refused.items())


_kept: dict = {"key": None, "connection": None}


def _settings_key() -> tuple:
    return tuple(getattr(settings, name, None) for name in (
        "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_USE_TLS", "EMAIL_USE_SSL"))


def _mail_connection(*, fresh: bool = False):
    """This process's mail connection, opened once and kept (for as long as the mail settings stay
    the same): an SMTP session costs several round trips (connect, EHLO, QUIT) that an alert at
    3 a.m. should not wait for every time. Django's SMTP backend leaves open a connection it did
    not open itself."""
    key = _settings_key()
    if (fresh or _kept["key"] != key) and _kept["connection"] is not None:
        with contextlib.suppress(Exception):  # a dead connection may fail to close; dropped anyway
            _kept["connection"].close()
        _kept["connection"] = None
    if _kept["connection"] is None:
        connection = get_connection(fail_silently=False)
        connection.open()
        _kept.update(key=key, connection=connection)
    return _kept["connection"]


def _drop_connection() -> None:
    if _kept["connection"] is not None:
        with contextlib.suppress(Exception):
            _kept["connection"].close()
    _kept.update(key=None, connection=None)


def _send(mail: EmailMultiAlternatives) -> None:
    """Send on the kept connection; a connection the server dropped while idle is replaced once.
    After any failure the connection is dropped: the next message starts a clean session."""
    try:
        try:
            mail.connection = _mail_connection()
            mail.send(fail_silently=False)
        except smtplib.SMTPServerDisconnected:
            mail.connection = _mail_connection(fresh=True)
            mail.send(fail_silently=False)
    except Exception:
        _drop_connection()
        raise


class EmailTransport(Transport):
    channel = Channel.EMAIL

    def send(self, delivery: Delivery, facts: AlertFacts) -> str:
        alert = facts.alert
        wants_ack = alert.acknowledged_at is None and delivery.message != Message.WITHDRAWN
        link = ack_url(alert_id=alert.pk, contact_id=delivery.contact_id, delivery_id=delivery.pk) if wants_ack else None
        rendered = messages.email(facts, delivery.message, level=delivery.level, round=delivery.round,
                                  now=timezone.now(), ack_url=link)
        mid = message_id(delivery.idempotency_key)
        mail = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            to=[delivery.address],
            headers={
                "Message-ID": mid,
                "References": thread_id(alert.pk),
                "X-Coldchain-Alert": str(alert.pk),
                "X-Coldchain-Message": delivery.message,
                "Auto-Submitted": "auto-generated",
            },
        )
        mail.attach_alternative(rendered.html, "text/html")
        try:
            _send(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            # 5xx for good; 4xx (greylisting, mailbox busy) may pass later.
            codes = [code for code, _ in exc.recipients.values()]
            raise TransportError(f"Recipient refused: {_describe(exc.recipients)}",
                                 permanent=all(500 <= code < 600 for code in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise TransportError(f"SMTP {exc.smtp_code}: {detail}", permanent=500 <= exc.smtp_code < 600) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP: {exc!r}") from exc
        except AnymailRecipientsRefused as exc:
            raise TransportError(f"Recipient refused: {exc}", permanent=True) from exc
        except AnymailAPIError as exc:
            status = getattr(exc, "status_code", None)
            raise TransportError(f"Mail provider: {exc}", permanent=bool(status and http_status_is_permanent(status))) from exc
        except AnymailError as exc:
            raise TransportError(f"Mail provider: {exc}") from exc
        status = getattr(mail, "anymail_status", None)
        return getattr(status, "message_id", None) or mid
