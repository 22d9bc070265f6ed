"""The logistics domain: network, organisations, equipment, profiles, shipments, readings,
custody, excursions, uploads and the audit trail.

No patient-identifying data is stored: a shipment carries a pseudonymous chain-of-identity id.
Master data is never deleted (it is evidence): foreign keys PROTECT.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from .choices import (
    CustodyEventType,
    Decision,
    Direction,
    ExcursionKind,
    ExcursionStatus,
    FacilityKind,
    LoggerRole,
    Role,
    RuleKind,
    Severity,
    ShipmentStatus,
    UploadStatus,
)

code_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", "Use letters, digits, '.', '_' or '-'.")
PROTECT = models.PROTECT


def validate_timezone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.core.exceptions import ValidationError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone name.") from exc


latitude_validators = [MinValueValidator(-90), MaxValueValidator(90)]
longitude_validators = [MinValueValidator(-180), MaxValueValidator(180)]


# --- Network and organisations ---------------------------------------------------------------


class Region(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    escalate_after_min = models.PositiveIntegerField(
        default=15, help_text="Minutes an alert may stay unacknowledged before the next level is told."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Facility(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=FacilityKind.choices)
    region = models.ForeignKey(Region, on_delete=PROTECT, related_name="facilities")
    latitude = models.FloatField(validators=latitude_validators)
    longitude = models.FloatField(validators=longitude_validators)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    geofence_radius_km = models.FloatField(default=1.0, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"
        constraints = [
            models.CheckConstraint(condition=Q(latitude__gte=-90, latitude__lte=90), name="facility_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__gte=-180, longitude__lte=180), name="facility_longitude_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class Sponsor(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Courier(models.Model):
    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    planning_speed_kmh = models.FloatField(null=True, blank=True, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """What organisation a user acts for. The role itself is the user's Django group."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=PROTECT, related_name="members")
    sponsors = models.ManyToManyField(Sponsor, blank=True, related_name="members")
    all_sponsors = models.BooleanField(default=False, help_text="Granted every sponsor (coordinators, QA).")

    def __str__(self) -> str:
        return f"{self.user} membership"


# --- Profiles ---------------------------------------------------------------------------------


class Profile(models.Model):
    """The current, editable definition. Shipments refer to an immutable ProfileVersion."""

    code = models.CharField(max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(max_length=200)
    min_c = models.FloatField(help_text="Lower end of the labelled range, °C.")
    max_c = models.FloatField(help_text="Upper end of the labelled range, °C.")
    activation_energy_kj_mol = models.FloatField(default=83.144, validators=[MinValueValidator(1)])
    mkt_max_c = models.FloatField(null=True, blank=True)
    max_gap_min = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    max_tilt_deg = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    tilt_after_min = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    min_battery_pct = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)])
    shelf_life_margin_h = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    hold_time_margin_h = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    handling_time_h = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    planning_speed_kmh = models.FloatField(null=True, blank=True, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(min_c__lte=models.F("max_c")), name="profile_range_ordered")]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def current_version(self) -> ProfileVersion | None:
        return self.versions.order_by("-number").first()


class AlarmRule(models.Model):
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=12, choices=RuleKind.choices)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    threshold_c = models.FloatField()
    after_min = models.FloatField(default=0, validators=[MinValueValidator(0)])
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)

    class Meta:
        ordering = ["profile", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.direction} {self.threshold_c} °C after {self.after_min:g} min ({self.severity})"


class ProfileVersion(models.Model):
    """An immutable snapshot of a profile's settings and rules. Editing a profile makes a new
    version; a shipment keeps the version it was created with."""

    profile = models.ForeignKey(Profile, on_delete=PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField(help_text="Settings and rules as evaluated (frozen).")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")

    class Meta:
        ordering = ["profile", "-number"]
        constraints = [models.UniqueConstraint(fields=["profile", "number"], name="profile_version_unique")]

    def __str__(self) -> str:
        return f"{self.profile.code} v{self.number}"


# --- Equipment --------------------------------------------------------------------------------


class Dewar(models.Model):
    serial = models.CharField(max_length=64, unique=True, validators=[code_validator])
    model = models.CharField(max_length=100)
    hold_time_h = models.FloatField(validators=[MinValueValidator(0)], help_text="Qualified LN2 dry-vapour hold time.")
    charged_at = models.DateTimeField(null=True, blank=True, help_text="When it was last charged with LN2.")
    qualified_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["serial"]

    def __str__(self) -> str:
        return self.serial


class Logger(models.Model):
    serial = models.CharField(max_length=64, unique=True, validators=[code_validator])
    model = models.CharField(max_length=100, blank=True)
    calibration_due = models.DateField(null=True, blank=True)
    interval_s = models.PositiveIntegerField(default=60)
    timezone = models.CharField(
        max_length=64, blank=True, validators=[validate_timezone], help_text="For files whose times carry no zone."
    )

    class Meta:
        ordering = ["serial"]

    def __str__(self) -> str:
        return self.serial


# --- Shipments --------------------------------------------------------------------------------


class Shipment(models.Model):
    tracking_number = models.CharField(max_length=64, unique=True, validators=[code_validator])
    coi = models.CharField(
        "chain of identity",
        max_length=64,
        validators=[code_validator],
        help_text="Pseudonymous chain-of-identity id. Never a patient name.",
    )
    sponsor = models.ForeignKey(Sponsor, on_delete=PROTECT, related_name="shipments")
    profile_version = models.ForeignKey(ProfileVersion, on_delete=PROTECT, related_name="shipments")
    origin = models.ForeignKey(Facility, on_delete=PROTECT, related_name="shipments_out")
    destination = models.ForeignKey(Facility, on_delete=PROTECT, related_name="shipments_in")
    courier = models.ForeignKey(Courier, on_delete=PROTECT, related_name="shipments")
    dewar = models.ForeignKey(Dewar, null=True, blank=True, on_delete=PROTECT, related_name="shipments")
    # The dewar as charged for this trip (RULES.md §5): copied at creation, kept as evidence.
    dewar_charged_at = models.DateTimeField(null=True, blank=True)
    dewar_hold_time_h = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ShipmentStatus.choices, default=ShipmentStatus.PLANNED, db_index=True)
    planned_departure = models.DateTimeField(null=True, blank=True)
    planned_arrival = models.DateTimeField(null=True, blank=True)
    product_expires_at = models.DateTimeField(null=True, blank=True)
    last_latitude = models.FloatField(null=True, blank=True)
    last_longitude = models.FloatField(null=True, blank=True)
    last_position_at = models.DateTimeField(null=True, blank=True)
    current_region = models.ForeignKey(Region, null=True, blank=True, on_delete=PROTECT, related_name="+")
    eta = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(origin=models.F("destination")), name="shipment_origin_not_destination"),
        ]

    def __str__(self) -> str:
        return self.tracking_number

    @property
    def dry_out_at(self):
        if self.dewar_charged_at is None or self.dewar_hold_time_h is None:
            return None
        return self.dewar_charged_at + timedelta(hours=self.dewar_hold_time_h)


class LoggerAssignment(models.Model):
    """A logger inside a shipment for ``[assigned_at, released_at)``. One logger's windows never
    overlap (checked by the service; on PostgreSQL also by an exclusion constraint)."""

    shipment = models.ForeignKey(Shipment, on_delete=PROTECT, related_name="assignments")
    logger = models.ForeignKey(Logger, on_delete=PROTECT, related_name="assignments")
    role = models.CharField(max_length=8, choices=LoggerRole.choices, default=LoggerRole.PRODUCT)
    assigned_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["shipment", "assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["shipment", "logger"], name="assignment_once_per_shipment"),
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_at__gt=models.F("assigned_at")),
                name="assignment_window_ordered",
            ),
        ]
        indexes = [models.Index(fields=["logger", "assigned_at"])]

    def __str__(self) -> str:
        return f"{self.logger} in {self.shipment} ({self.role})"

    def covers(self, instant) -> bool:
        return self.assigned_at <= instant and (self.released_at is None or instant < self.released_at)


class IngestBatch(models.Model):
    """One accepted request or upload: the unit a courier can refer to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.CharField(max_length=8, choices=[("api", "API"), ("upload", "Upload")])
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")
    logger = models.ForeignKey(Logger, null=True, blank=True, on_delete=PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "ingest batches"

    def __str__(self) -> str:
        return f"{self.source} batch {self.id}"


class Reading(models.Model):
    """One logger measurement. ``(logger, recorded_at)`` is unique: the first stored value wins."""

    id = models.BigAutoField(primary_key=True)
    logger = models.ForeignKey(Logger, on_delete=PROTECT, related_name="readings", db_index=False)
    recorded_at = models.DateTimeField()
    temperature_c = models.FloatField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    tilt_deg = models.FloatField(null=True, blank=True)
    battery_pct = models.FloatField(null=True, blank=True)
    humidity_pct = models.FloatField(null=True, blank=True)
    # Provenance, written in the same transaction as its batch, which is never deleted. No database
    # constraint: PostgreSQL would check it for every reading at commit (Django's foreign keys are
    # deferred), about as much work again as the logger's, on the table that grows.
    batch = models.ForeignKey(IngestBatch, null=True, blank=True, on_delete=PROTECT, related_name="readings",
                              db_index=False, db_constraint=False)

    class Meta:
        ordering = ["logger", "recorded_at"]
        constraints = [models.UniqueConstraint(fields=["logger", "recorded_at"], name="reading_unique_instant")]

    def __str__(self) -> str:
        return f"{self.logger_id} {self.recorded_at:%Y-%m-%d %H:%M:%S} {self.temperature_c} °C"


class ReadingConflict(models.Model):
    """A second, different value for an instant already stored: kept aside for review, never
    overwriting the first."""

    logger = models.ForeignKey(Logger, on_delete=PROTECT, related_name="conflicts")
    recorded_at = models.DateTimeField()
    temperature_c = models.FloatField()
    stored_temperature_c = models.FloatField()
    values = models.JSONField(default=dict, help_text="Every field as received.")
    batch = models.ForeignKey(IngestBatch, null=True, blank=True, on_delete=PROTECT, related_name="conflict_rows")
    received_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["logger", "recorded_at"])]

    def __str__(self) -> str:
        return f"conflict {self.logger_id} {self.recorded_at}"


class CustodyEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=PROTECT, related_name="custody_events")
    type = models.CharField(max_length=16, choices=CustodyEventType.choices)
    occurred_at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True, validators=latitude_validators)
    longitude = models.FloatField(null=True, blank=True, validators=longitude_validators)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")
    source = models.CharField(max_length=16, default="api", help_text="api, admin, geofence …")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipment", "occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.shipment} {self.type} {self.occurred_at:%Y-%m-%d %H:%M}"


class MonitorState(models.Model):
    """The engine's state for one (shipment, logger), so a new batch costs work in proportion to
    the batch. ``dirty_from`` is the earliest reading stored since the last evaluation: set in the
    same transaction as the readings, cleared by the evaluation that consumed them. The minute
    sweep re-queues any state left dirty (a lost task never loses an evaluation)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="monitor_states")
    logger = models.ForeignKey(Logger, on_delete=PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=LoggerRole.choices, default=LoggerRole.PRODUCT)
    state = models.JSONField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    dirty_from = models.DateTimeField(null=True, blank=True, db_index=True)
    dirty_since = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    last_reading_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shipment", "logger"], name="monitor_state_unique")]

    def __str__(self) -> str:
        return f"monitor {self.shipment_id}/{self.logger_id}"


class Excursion(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=PROTECT, related_name="excursions")
    logger = models.ForeignKey(Logger, null=True, blank=True, on_delete=PROTECT, related_name="excursions")
    profile_version = models.ForeignKey(ProfileVersion, on_delete=PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=ExcursionKind.choices)
    rule_key = models.CharField(max_length=32, help_text="The rule that raised it, within its profile version.")
    status = models.CharField(max_length=12, choices=ExcursionStatus.choices, default=ExcursionStatus.OPEN, db_index=True)
    direction = models.CharField(max_length=6, choices=Direction.choices, null=True, blank=True)  # noqa: DJ001 - API: null when no direction
    threshold_c = models.FloatField(null=True, blank=True)
    after_min = models.FloatField(null=True, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    started_at = models.DateTimeField()
    alarm_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_min = models.FloatField(default=0)
    peak_c = models.FloatField(null=True, blank=True)
    peak_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(help_text="When the service first knew.")
    updated_at = models.DateTimeField(auto_now=True)
    evidence = models.JSONField(default=dict, blank=True, help_text="Rule thresholds in force and engine facts.")

    class Meta:
        ordering = ["shipment", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "logger", "rule_key", "started_at"],
                name="excursion_identity",
                nulls_distinct=False,
            ),
        ]
        indexes = [models.Index(fields=["shipment", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.shipment_id} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status == ExcursionStatus.OPEN


class Disposition(models.Model):
    """A QA decision on an excursion, signed electronically (21 CFR 11.50: printed name, date and
    time, meaning)."""

    excursion = models.ForeignKey(Excursion, on_delete=PROTECT, related_name="dispositions")
    decision = models.CharField(max_length=12, choices=Decision.choices)
    reason = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=PROTECT, related_name="+")
    signed_name = models.CharField(max_length=200, help_text="Printed name of the signer.")
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=200)

    class Meta:
        ordering = ["excursion", "-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.signed_name}"


class Upload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    file = models.FileField(upload_to="uploads/%Y/%m/")
    original_name = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=16)
    timezone = models.CharField(max_length=64, blank=True, help_text="Zone used for times that carry none, and why.")
    logger = models.ForeignKey(Logger, null=True, blank=True, on_delete=PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=UploadStatus.choices, default=UploadStatus.QUEUED, db_index=True)
    progress = models.FloatField(default=0)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    conflicts = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    device_metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failure = models.TextField(blank=True)
    checkpoint_items = models.PositiveIntegerField(default=0, help_text="Items of the file stored so far (processing resumes after them).")
    batch = models.OneToOneField(IngestBatch, null=True, blank=True, on_delete=PROTECT, related_name="upload")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name or self.id} ({self.format})"


# --- Audit trail ------------------------------------------------------------------------------


class AuditEntry(models.Model):
    """Append-only record of who did what and when. Each entry carries the hash of the one
    before, so rewriting history shows (``shipments.audit.verify_chain``)."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=PROTECT, related_name="+")
    actor_name = models.CharField(max_length=200, blank=True, help_text="'system' for the service itself.")
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=PROTECT, related_name="audit_entries")
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.object_type} {self.object_id}"

    def compute_hash(self) -> str:
        body = json.dumps(
            [self.prev_hash, self.at.isoformat(), self.actor_name, self.action, self.object_type,
             self.object_id, self.shipment_id, self.data],
            sort_keys=True, default=str, separators=(",", ":"),
        )
        return hashlib.sha256(body.encode()).hexdigest()


__all__ = [
    "AlarmRule", "AuditEntry", "Courier", "CustodyEvent", "Decision", "Dewar", "Disposition", "Excursion",
    "Facility", "IngestBatch", "Logger", "LoggerAssignment", "Membership", "MonitorState", "Profile",
    "ProfileVersion", "Reading", "ReadingConflict", "Region", "Role", "Shipment", "Sponsor", "Upload",
]
