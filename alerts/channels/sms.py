"""SMS through Twilio's official SDK, or printed to the console in development
(``SMS_BACKEND=console|twilio``). Texts are at most 160 GSM-7 characters (``messages.sms``).

``TWILIO_API_BASE`` points the SDK at another base URL (a local stand-in in tests, a private
gateway); the delivery's idempotency key rides along as ``Idempotency-Key`` (the header the SDK
uses where Twilio supports it), the same on a resend."""

from __future__ import annotations

import logging
import sys

import requests
from django.conf import settings
from django.utils import timezone
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .. import messages
from ..models import Channel, Delivery
from ..selectors import AlertFacts
from .base import Transport, TransportError, http_status_is_permanent

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"


class _HttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending to ``api_base`` and carrying the idempotency key."""

    def __init__(self, *, api_base: str, idempotency_key: str, timeout: float):
        super().__init__(timeout=timeout)
        self.api_base = api_base.rstrip("/")
        self.idempotency_key = idempotency_key

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False):
        if self.api_base and url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        headers = {**(headers or {}), "Idempotency-Key": self.idempotency_key}
        return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                               timeout=timeout, allow_redirects=allow_redirects)


def twilio_client(*, idempotency_key: str = "") -> Client:
    http_client = _HttpClient(api_base=settings.TWILIO_API_BASE, idempotency_key=idempotency_key,
                              timeout=settings.WEBHOOK_TIMEOUT_S)
    return Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)


class SmsTransport(Transport):
    channel = Channel.SMS

    def send(self, delivery: Delivery, facts: AlertFacts) -> str:
        text = messages.sms(facts, delivery.message, level=delivery.level, round=delivery.round, now=timezone.now())
        backend = settings.SMS_BACKEND
        if backend == "console":
            sys.stdout.write(f"SMS to {delivery.address} [{delivery.idempotency_key}]: {text}\n")
            sys.stdout.flush()
            return f"console:{delivery.idempotency_key}"
        if backend == "twilio":
            return self._twilio(delivery, text)
        raise TransportError(f"Unknown SMS_BACKEND {backend!r} (use console or twilio).", permanent=True)

    def _twilio(self, delivery: Delivery, text: str) -> str:
        if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER):
            raise TransportError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "
                                 "TWILIO_FROM_NUMBER).", permanent=True)
        client = twilio_client(idempotency_key=delivery.idempotency_key)
        try:
            message = client.messages.create(to=delivery.address, from_=settings.TWILIO_FROM_NUMBER, body=text)
        except TwilioRestException as exc:
            code = f" (Twilio error {exc.code})" if exc.code else ""
            raise TransportError(f"Twilio {exc.status}{code}: {exc.msg}",
                                 permanent=http_status_is_permanent(exc.status)) from exc
        except requests.RequestException as exc:
            raise TransportError(f"Twilio unreachable: {exc!r}") from exc
        except TwilioException as exc:
            raise TransportError(f"Twilio: {exc}") from exc
        return message.sid
