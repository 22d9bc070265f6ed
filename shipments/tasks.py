"""Celery tasks of the logistics core. Thin: load ids, call a service, retry."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError

log = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=5, autoretry_for=(OperationalError,), retry_backoff=True)
def evaluate_shipment(self, shipment_id: int) -> int:
    """Evaluate what is dirty on a shipment. Coalesces naturally: a second task for the same
    shipment finds nothing dirty and returns at once."""
    from .evaluation import shipment_evaluate

    return len(shipment_evaluate(shipment_id))


@shared_task(acks_late=True)
def minute_sweep() -> dict:
    """Every minute: re-queue evaluations that were stored but never run, and evaluate the rules
    that fire with time (RULES.md §5)."""
    from .sweep import sweep

    return sweep()


@shared_task(bind=True, acks_late=True, max_retries=3, autoretry_for=(OperationalError,), retry_backoff=True)
def upload_process(self, upload_id: str) -> str:
    """Process an uploaded logger file in chunks (queue ``ingest``)."""
    from .uploads import upload_process as process

    return process(upload_id).status
