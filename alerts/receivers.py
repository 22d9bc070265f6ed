"""alerts subscribes to what shipments announces."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from shipments.signals import excursions_changed

from .tasks import alerts_reconcile


@receiver(excursions_changed, dispatch_uid="alerts.excursions_changed")
def on_excursions_changed(sender, *, shipment_id: int, changes: list[tuple[str, int]], **kwargs) -> None:
    """The signal comes after the evaluation committed; queue the alerts' side on commit of
    whatever transaction is current (at once when there is none). The task works from the
    database's state, not from ``changes``, so a lost or repeated task is harmless: the minute
    sweep finds what a lost one missed."""
    if changes:
        transaction.on_commit(lambda: alerts_reconcile.delay(shipment_id))
