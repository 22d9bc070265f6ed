"""Celery tasks of the alerts app (queue ``alerts``). Thin: load ids, call a service, retry."""

from __future__ import annotations

from celery import shared_task
from django.db import IntegrityError, OperationalError

from . import services


@shared_task(acks_late=True, autoretry_for=(OperationalError, IntegrityError), retry_backoff=True, max_retries=5)
def alerts_reconcile(shipment_id: int) -> int:
    """A shipment's alerts, and who to tell, when the receiver could not do it at once (an
    acknowledgement code drawn twice, a lost connection): retried with back-off."""
    return len(services.alerts_reconcile(shipment_id=shipment_id))


@shared_task(bind=True, acks_late=True)
def delivery_send(self, delivery_id: int) -> str:
    """Claim, send and mark one delivery; on a transient error, retry with exponential back-off.
    Duplicated or late copies of this task are harmless: only one claim wins."""
    attempt = services.delivery_attempt(delivery_id=delivery_id)
    if attempt.retry_in is not None and not self.request.is_eager:
        # Without a broker the minute sweep picks the delivery up again when it is due.
        raise self.retry(countdown=attempt.retry_in, max_retries=None)
    return attempt.outcome


@shared_task(acks_late=True)
def alerts_sweep() -> dict:
    """Every minute (beat): stale claims, lost deliveries, missed excursions, escalation."""
    return services.alerts_sweep()


@shared_task(ignore_result=False)
def ping() -> str:
    """A no-op on the alerts queue: the bare round trip the latency benchmark compares with."""
    return "pong"
