"""One class per channel behind one interface (``base.Transport``); ``transport_for`` picks it."""

from __future__ import annotations

from .base import Transport, TransportError


def transport_for(channel: str) -> Transport:
    from .email import EmailTransport
    from .sms import SmsTransport
    from .webhook import WebhookTransport

    transports: dict[str, type[Transport]] = {
        EmailTransport.channel: EmailTransport,
        SmsTransport.channel: SmsTransport,
        WebhookTransport.channel: WebhookTransport,
    }
    try:
        return transports[channel]()
    except KeyError:
        raise TransportError(f"No transport for channel {channel!r}.", permanent=True) from None


__all__ = ["Transport", "TransportError", "transport_for"]
