"""The audit trail: append-only, hash-chained, so that a rewritten entry shows."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry


def audit_record(*, actor=None, action: str, obj=None, object_type: str = "", object_id: str = "",
                 shipment=None, data: dict | None = None, at=None) -> AuditEntry:
    """Append one entry, chained to the last one. Runs inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    with transaction.atomic():
        _lock_chain()
        last = AuditEntry.objects.order_by("-id").only("hash").first()
        entry = AuditEntry(
            at=at or timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=(actor.get_full_name() or actor.get_username()) if getattr(actor, "pk", None) else "system",
            action=action,
            object_type=object_type,
            object_id=object_id,
            shipment=shipment,
            # Normalised to plain JSON first, so the hash is over exactly what is stored.
            data=json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder)),
            prev_hash=last.hash if last else "",
        )
        entry.hash = entry.compute_hash()
        entry.save()
    return entry


_CHAIN_LOCK = 7_311_001


def _lock_chain() -> None:
    """Serialise appends so two writers never chain to the same predecessor. A row lock on the
    last entry would not do: a waiter re-reads that row, not the one just appended."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    # SQLite: write transactions are already serialised (BEGIN IMMEDIATE).


def verify_chain() -> list[int]:
    """Ids of entries whose hash or link does not hold (empty when the trail is intact)."""
    broken: list[int] = []
    prev = ""
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.prev_hash != prev or entry.compute_hash() != entry.hash:
            broken.append(entry.id)
        prev = entry.hash
    return broken
