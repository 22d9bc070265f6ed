"""Quality disposition and release (RULES.md §7): signed decisions on excursions, and release
refused while any excursion lacks one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from coldchain.api import Conflict

from .access import has_role
from .audit import audit_record
from .choices import Decision, ExcursionStatus, Role, ShipmentStatus
from .models import AuditEntry, Disposition, Excursion, Shipment

MEANINGS = {
    Decision.NO_IMPACT: "Reviewed: no impact on product quality",
    Decision.QUARANTINE: "Reviewed: product quarantined pending investigation",
    Decision.REJECT: "Reviewed: product rejected",
}
RELEASABLE = (ShipmentStatus.RECEIVED, ShipmentStatus.QUARANTINED)


def signer_name(user) -> str:
    return user.get_full_name() or user.get_username()


def excursion_dispose(*, excursion: Excursion, user, decision: str, reason: str, password: str) -> Disposition:
    """Sign a disposition (21 CFR 11.50: printed name, date and time, meaning). The signer is a
    QA user who re-enters their password and is not the person who acknowledged the excursion's
    alert. A failed signature is itself recorded (outside the refused transaction)."""
    if not has_role(user, Role.QA):
        raise PermissionDenied("Only a QA user signs a disposition.")
    if not user.check_password(password):
        audit_record(actor=user, action="disposition.signature_failed", obj=excursion, shipment=excursion.shipment,
                     data={"decision": decision})
        raise PermissionDenied("The password does not match: the signature was not applied.")
    return _dispose(excursion=excursion, user=user, decision=decision, reason=reason)


@transaction.atomic
def _dispose(*, excursion: Excursion, user, decision: str, reason: str) -> Disposition:
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the decision."})
    excursion = Excursion.objects.select_for_update().select_related("shipment").get(pk=excursion.pk)
    if excursion.status == ExcursionStatus.SUPERSEDED:
        raise Conflict("This excursion was withdrawn by re-evaluation (superseded); it needs no disposition.")
    if acknowledged_by(excursion, user):
        raise PermissionDenied("You acknowledged this excursion's alert; another QA user must sign its disposition.")
    shipment = Shipment.objects.select_for_update().get(pk=excursion.shipment_id)
    if shipment.status in (ShipmentStatus.RELEASED, ShipmentStatus.REJECTED):
        raise Conflict(f"Shipment {shipment.tracking_number} is {shipment.status}; its dispositions are final.")
    now = timezone.now()
    disposition = Disposition.objects.create(
        excursion=excursion, decision=decision, reason=reason.strip(), signed_by=user,
        signed_name=signer_name(user), signed_at=now, meaning=MEANINGS[decision],
    )
    before = shipment.status
    if decision == Decision.REJECT:
        shipment.status = ShipmentStatus.REJECTED
    elif decision == Decision.QUARANTINE:
        shipment.status = ShipmentStatus.QUARANTINED
    if shipment.status != before:
        shipment.save(update_fields=["status", "updated_at"])
    audit_record(actor=user, action="disposition.sign", obj=disposition, shipment=shipment,
                 data={"excursion": excursion.pk, "decision": decision, "reason": disposition.reason,
                       "signed_name": disposition.signed_name, "meaning": disposition.meaning,
                       "status": [before, shipment.status]})
    return disposition


def acknowledged_by(excursion: Excursion, user) -> bool:
    """Whether the user ever acknowledged an alert gathering this excursion: from the audit trail,
    since a reopened alert (its severity rose) clears its current acknowledgement. The alerts are
    read through the reverse relation; the core never imports alerts."""
    alerts = getattr(excursion, "alerts", None)
    if alerts is None:
        return False
    alert_ids = [str(pk) for pk in alerts.values_list("pk", flat=True)]
    return bool(alert_ids) and AuditEntry.objects.filter(
        actor=user, action="alert.acknowledge", object_id__in=alert_ids, object_type__endswith=".alert"
    ).exists()


def release_blockers(shipment: Shipment) -> list[str]:
    """Why the shipment cannot be released now (empty when it can)."""
    reasons = []
    if shipment.status not in RELEASABLE:
        reasons.append(f"it is {shipment.get_status_display().lower()}; release follows receipt "
                       f"(status received) or a quarantine")
    for excursion in shipment.excursions.exclude(status=ExcursionStatus.SUPERSEDED).prefetch_related("dispositions"):
        latest = next(iter(excursion.dispositions.all()), None)
        label = f"excursion {excursion.pk} ({excursion.get_kind_display()}, {excursion.started_at:%Y-%m-%d %H:%M} UTC)"
        if latest is None:
            reasons.append(f"{label} has no disposition")
        elif latest.decision != Decision.NO_IMPACT:
            reasons.append(f"{label} is dispositioned '{latest.get_decision_display()}'")
    return reasons


@transaction.atomic
def shipment_release(*, shipment: Shipment, user) -> Shipment:
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    blockers = release_blockers(shipment)
    if blockers:
        raise Conflict(f"Shipment {shipment.tracking_number} cannot be released: " + "; ".join(blockers) + ".")
    before = shipment.status
    shipment.status = ShipmentStatus.RELEASED
    shipment.save(update_fields=["status", "updated_at"])
    audit_record(actor=user, action="shipment.release", obj=shipment, shipment=shipment,
                 data={"status": [before, shipment.status]})
    return shipment


@transaction.atomic
def shipment_set_status(*, shipment: Shipment, status: str, user) -> Shipment:
    """A coordinator's direct status change: cancelling, or correcting a missed custody step.
    Quality outcomes (released, quarantined, rejected) come only from signed decisions."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if status in (ShipmentStatus.RELEASED, ShipmentStatus.QUARANTINED, ShipmentStatus.REJECTED):
        raise PermissionDenied(f"'{status}' follows from a signed QA decision, not a direct change.")
    if shipment.status in (ShipmentStatus.RELEASED, ShipmentStatus.REJECTED, ShipmentStatus.CANCELLED):
        raise Conflict(f"Shipment {shipment.tracking_number} is {shipment.status}; its status is final.")
    before = shipment.status
    shipment.status = status
    shipment.save(update_fields=["status", "updated_at"])
    audit_record(actor=user, action="shipment.status", obj=shipment, shipment=shipment, data={"status": [before, status]})
    return shipment
