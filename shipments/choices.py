"""Enumerations of the logistics domain (API.md and RULES.md spell the values)."""

from django.db import models


class FacilityKind(models.TextChoices):
    MICRO_FACTORY = "micro_factory", "Micro-factory"
    TREATMENT_CENTRE = "treatment_centre", "Treatment centre"
    APHERESIS_CENTRE = "apheresis_centre", "Apheresis centre"
    DEPOT = "depot", "Depot"


class RuleKind(models.TextChoices):
    SINGLE = "single", "Single event"
    CUMULATIVE = "cumulative", "Cumulative"


class Direction(models.TextChoices):
    ABOVE = "above", "Above"
    BELOW = "below", "Below"


class Severity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.WARNING: 1, Severity.CRITICAL: 2}


class LoggerRole(models.TextChoices):
    PRODUCT = "product", "Product"
    AMBIENT = "ambient", "Ambient"


class ShipmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    PACKED = "packed", "Packed"
    IN_TRANSIT = "in_transit", "In transit"
    CUSTOMS_HOLD = "customs_hold", "Customs hold"
    ARRIVED = "arrived", "Arrived"
    DELIVERED = "delivered", "Delivered"
    RECEIVED = "received", "Received"
    RELEASED = "released", "Released"
    QUARANTINED = "quarantined", "Quarantined"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Before delivery the clock rules (expiry, hold time, silence) still apply.
ACTIVE_STATUSES = (
    ShipmentStatus.PLANNED,
    ShipmentStatus.PACKED,
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.CUSTOMS_HOLD,
    ShipmentStatus.ARRIVED,
)
MOVING_STATUSES = (ShipmentStatus.IN_TRANSIT, ShipmentStatus.CUSTOMS_HOLD)


class CustodyEventType(models.TextChoices):
    PACKED = "packed", "Packed"
    PICKED_UP = "picked_up", "Picked up"
    DEPARTED = "departed", "Departed"
    CUSTOMS_HOLD = "customs_hold", "Customs hold"
    CUSTOMS_CLEARED = "customs_cleared", "Customs cleared"
    ARRIVED = "arrived", "Arrived"
    DELIVERED = "delivered", "Delivered"
    RECEIVED = "received", "Received"
    NOTE = "note", "Note"


# The status each custody event moves a shipment to (API.md "Status").
EVENT_STATUS = {
    CustodyEventType.PACKED: ShipmentStatus.PACKED,
    CustodyEventType.PICKED_UP: ShipmentStatus.IN_TRANSIT,
    CustodyEventType.DEPARTED: ShipmentStatus.IN_TRANSIT,
    CustodyEventType.CUSTOMS_HOLD: ShipmentStatus.CUSTOMS_HOLD,
    CustodyEventType.CUSTOMS_CLEARED: ShipmentStatus.IN_TRANSIT,
    CustodyEventType.ARRIVED: ShipmentStatus.ARRIVED,
    CustodyEventType.DELIVERED: ShipmentStatus.DELIVERED,
    CustodyEventType.RECEIVED: ShipmentStatus.RECEIVED,
}


class ExcursionKind(models.TextChoices):
    SINGLE = "single", "Single"
    CUMULATIVE = "cumulative", "Cumulative"
    MKT = "mkt", "Mean kinetic temperature"
    GAP = "gap", "Data gap"
    SILENT = "silent", "Silent logger"
    BATTERY = "battery", "Battery low"
    TILT = "tilt", "Tilt"
    EXPIRED = "expired", "Shelf life expired"
    SHELF_LIFE_AT_RISK = "shelf_life_at_risk", "Shelf life at risk"
    HOLD_TIME_AT_RISK = "hold_time_at_risk", "LN2 hold time at risk"
    HOLD_TIME_EXHAUSTED = "hold_time_exhausted", "LN2 hold time exhausted"


# Kinds that make an alert "ongoing" while one of them is open (RULES.md §6).
ONGOING_KINDS = (ExcursionKind.SINGLE, ExcursionKind.TILT, ExcursionKind.SILENT)


class ExcursionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    SUPERSEDED = "superseded", "Superseded"


class Decision(models.TextChoices):
    NO_IMPACT = "no_impact", "No impact"
    QUARANTINE = "quarantine", "Quarantine"
    REJECT = "reject", "Reject"


class UploadStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    QA = "qa", "QA"
    COURIER = "courier", "Courier"
    INTEGRATION = "integration", "Integration"
    SPONSOR = "sponsor", "Sponsor"
