"""Signed, expiring acknowledge links for e-mails (django.core.signing).

The token names the alert, the contact it was sent to and the delivery that carried it; it is
valid for ``ALERT_ACK_LINK_MAX_AGE_H`` hours from when the e-mail was sent."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "alerts.acknowledge-link"


@dataclass(frozen=True)
class AckLink:
    alert_id: int
    contact_id: int | None
    delivery_id: int | None


def ack_token(*, alert_id: int, contact_id: int | None, delivery_id: int | None) -> str:
    return signing.dumps({"a": alert_id, "c": contact_id, "d": delivery_id}, salt=SALT, compress=True)


def ack_url(*, alert_id: int, contact_id: int | None, delivery_id: int | None) -> str:
    token = ack_token(alert_id=alert_id, contact_id=contact_id, delivery_id=delivery_id)
    return settings.PUBLIC_BASE_URL + reverse("alerts:acknowledge-link", args=[token])


def ack_link_read(token: str) -> AckLink:
    """The link's content. Raises ``signing.SignatureExpired`` when older than the allowed age,
    ``signing.BadSignature`` when altered or made up."""
    payload = signing.loads(token, salt=SALT, max_age=settings.ALERT_ACK_LINK_MAX_AGE_H * 3600)
    try:
        return AckLink(alert_id=int(payload["a"]), contact_id=payload.get("c"), delivery_id=payload.get("d"))
    except (KeyError, TypeError, ValueError) as exc:
        raise signing.BadSignature("Malformed acknowledge link.") from exc
