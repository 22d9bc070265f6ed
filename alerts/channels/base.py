"""The one interface every channel implements (healthchecks' Transport shape).

``send(delivery, facts)`` returns the provider's id for what it accepted, or raises ``TransportError``:
``permanent=True`` when trying again cannot help (a refused address, a 4xx the provider will
repeat), else the delivery is retried with back-off. A transport never touches the delivery row:
claiming and marking are the caller's (``alerts.services``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Delivery
    from ..selectors import AlertFacts


class TransportError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message


class Transport:
    """Delivers one message over one channel."""

    channel: str = ""

    def send(self, delivery: Delivery, facts: AlertFacts) -> str:
        """Deliver ``delivery`` (its message about ``facts.alert``, to ``delivery.address``);
        return the provider's id or raise ``TransportError``."""
        raise NotImplementedError

    # healthchecks' name for the same thing.
    def notify(self, delivery: Delivery, facts: AlertFacts) -> str:
        return self.send(delivery, facts)


def http_status_is_permanent(status: int) -> bool:
    """4xx means the request itself is wrong and will be refused again, except timeouts and
    throttling; 5xx and anything else may pass later."""
    return 400 <= status < 500 and status not in (408, 409, 425, 429)
