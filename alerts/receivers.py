"""alerts subscribes to what shipments announces."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import receiver

from shipments.signals import excursions_changed

from . import services
from .tasks import alerts_reconcile

log = logging.getLogger(__name__)


@receiver(excursions_changed, dispatch_uid="alerts.excursions_changed")
def on_excursions_changed(sender, *, shipment_id: int, changes: list[tuple[str, int]], **kwargs) -> None:
    """The signal comes after the evaluation committed. The shipment's alerts are brought in line
    at once, in their own transaction (database writes only: the deliveries it decides are queued
    on the ``alerts`` queue when it commits, and sent there), which spares a queue hop on the way
    to a 3 a.m. phone. Should that fail, or should a transaction still be open, the same work is
    queued instead; and should the process die first, the minute sweep finds what it missed. It
    works from the database's state, not from ``changes``, so doing it twice is harmless."""
    if not changes:
        return
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: alerts_reconcile.delay(shipment_id))
        return
    try:
        services.alerts_reconcile(shipment_id=shipment_id)
    except Exception:
        log.exception("Alerts of shipment %s could not be brought in line at once; queued.", shipment_id)
        alerts_reconcile.delay(shipment_id)
