"""Sponsor webhooks for their QMS: signed JSON.

The signature is HMAC-SHA256, keyed with the webhook's secret, over ``<timestamp>.<body>``;
headers ``X-Coldchain-Timestamp`` (Unix seconds) and ``X-Coldchain-Signature: sha256=<hex>``.
A receiver recomputes it, refuses stale timestamps, and deduplicates on ``Idempotency-Key``
(also the payload's ``id``), which a resend reuses."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests
from django.conf import settings

from .. import messages
from ..models import Channel, Delivery
from ..selectors import AlertFacts
from .base import Transport, TransportError, http_status_is_permanent

TIMESTAMP_HEADER = "X-Coldchain-Timestamp"
SIGNATURE_HEADER = "X-Coldchain-Signature"


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_signature_valid(secret: str, timestamp: str, body: bytes, signature: str, *,
                            tolerance_s: int = 300, now: float | None = None) -> bool:
    """What a receiver checks (kept here as the reference implementation)."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= tolerance_s and hmac.compare_digest(webhook_signature(secret, timestamp, body), signature or "")


class WebhookTransport(Transport):
    channel = Channel.WEBHOOK

    def send(self, delivery: Delivery, facts: AlertFacts) -> str:
        webhook = delivery.webhook
        if webhook is None:
            raise TransportError("Webhook delivery without a webhook.", permanent=True)
        payload = messages.webhook_payload(facts, delivery.message, idempotency_key=delivery.idempotency_key)
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "coldchain-alerts/1",
            "Idempotency-Key": delivery.idempotency_key,
            "X-Coldchain-Event": payload["event"],
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(webhook.secret, timestamp, body),
        }
        try:
            response = requests.post(delivery.address, data=body, headers=headers,
                                     timeout=settings.WEBHOOK_TIMEOUT_S, allow_redirects=False)
        except requests.RequestException as exc:
            raise TransportError(f"{delivery.address}: {exc!r}") from exc
        if 200 <= response.status_code < 300:
            return response.headers.get("X-Request-Id") or delivery.idempotency_key
        raise TransportError(f"{delivery.address} answered {response.status_code}: {response.text[:200]}",
                             permanent=http_status_is_permanent(response.status_code))
