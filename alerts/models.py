"""Who is told, what they were told, and who answered (RULES.md §6)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from shipments.choices import Severity
from shipments.models import Excursion, Facility, Logger, Region, Shipment, Sponsor

e164_validator = RegexValidator(r"^\+[1-9]\d{6,14}$", "Use E.164, e.g. +41791234567.")


def normalise_phone(value: str) -> str:
    """E.164 as typed by people: drop spaces, dashes, dots and brackets; 00 -> +."""
    digits = "".join(ch for ch in value.strip() if ch.isdigit() or ch == "+")
    return "+" + digits[2:] if digits.startswith("00") else digits


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class Message(models.TextChoices):
    OPENED = "opened", "Opened"
    ESCALATED = "escalated", "Escalated"
    SEVERITY_RAISED = "severity_raised", "Severity raised"
    REMINDER = "reminder", "Reminder"
    ENDED = "ended", "Ended"
    # Beyond RULES.md §6's five: an alert whose excursions were all withdrawn by re-evaluation
    # tells those told; a sponsor's QMS also hears of the acknowledgement.
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


# Messages that tell a person something needs them (a permanent failure on all of a contact's
# channels passes the alert to the next level at once).
CALL_TO_ACTION = (Message.OPENED, Message.ESCALATED, Message.SEVERITY_RAISED)


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


class Resolution(models.TextChoices):
    NONE = "", "—"
    ACKNOWLEDGED = "acknowledged", "Acknowledged and ended"
    WITHDRAWN = "withdrawn", "Withdrawn (its excursions were superseded)"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending (claimed)"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed permanently"
    CANCELLED = "cancelled", "Cancelled (acknowledged before it went out)"


OUTSTANDING = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def new_ack_code() -> str:
    # Short enough to type in an SMS reply, unambiguous letters only.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(6))


class Contact(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=16, blank=True, validators=[e164_validator])
    facility = models.ForeignKey(Facility, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(3)])
    channels = models.JSONField(default=list, help_text='Subset of ["email", "sms"].')
    on_call = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(facility__isnull=False, region__isnull=True) | Q(facility__isnull=True, region__isnull=False)),
                name="contact_facility_xor_region",
            ),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=3), name="contact_level_1_to_3"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (L{self.level})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (self.facility_id is None) == (self.region_id is None):
            raise ValidationError({"facility": "Give exactly one of facility or region."})
        unknown = set(self.channels or []) - {Channel.EMAIL, Channel.SMS}
        if unknown or not self.channels:
            raise ValidationError({"channels": "Choose e-mail, SMS or both."})
        if self.phone:
            self.phone = normalise_phone(self.phone)
        for channel, field in ((Channel.EMAIL, "email"), (Channel.SMS, "phone")):
            if channel in self.channels and not getattr(self, field):
                raise ValidationError({field: f"The {channel} channel needs a {field}."})

    @property
    def person_keys(self) -> set[str]:
        """Normalised identities of the person behind this contact: two contacts sharing an
        e-mail address or a phone number are one person (recipients are deduplicated by it)."""
        keys = set()
        if self.email:
            keys.add("email:" + self.email.strip().lower())
        if self.phone:
            keys.add("phone:" + normalise_phone(self.phone))
        return keys

    def address_for(self, channel: str) -> str:
        return {Channel.EMAIL: self.email, Channel.SMS: self.phone}.get(channel, "")


class SponsorWebhook(models.Model):
    sponsor = models.ForeignKey(Sponsor, on_delete=models.PROTECT, related_name="webhooks")
    url = models.URLField()
    secret = models.CharField(max_length=128, help_text="HMAC-SHA256 key; the receiver verifies with it.")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.sponsor} → {self.url}"


class Alert(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="alerts")
    logger = models.ForeignKey(Logger, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True)
    ongoing = models.BooleanField(default=True)
    excursions = models.ManyToManyField(Excursion, related_name="alerts")
    code = models.CharField(max_length=8, unique=True, default=new_ack_code, help_text="For SMS replies: ACK <code>.")
    opened_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0, help_text="Highest escalation level told so far.")
    last_notified_at = models.DateTimeField(null=True, blank=True, help_text="When a level was last told or reminded.")
    escalate_at = models.DateTimeField(
        null=True, blank=True, help_text="When the next level is told (or everyone reminded) if still unacknowledged."
    )
    reminders = models.PositiveIntegerField(default=0)
    resolution = models.CharField(max_length=14, choices=Resolution.choices, blank=True, default="")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    acknowledged_by_name = models.CharField(max_length=200, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_via = models.CharField(max_length=16, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["status", "escalate_at"], name="alert_escalation_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "logger"],
                condition=~Q(status="closed"),
                name="one_open_alert_per_shipment_logger",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert on {self.shipment} ({self.get_status_display()})"


class Delivery(models.Model):
    """One message to one contact on one channel. Written before anything is sent, claimed by a
    conditional update, sent, then marked (RULES.md §6)."""

    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="deliveries")
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    webhook = models.ForeignKey(SponsorWebhook, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    message = models.CharField(max_length=16, choices=Message.choices)
    round = models.PositiveIntegerField(default=0, help_text="Reminder number; the n-th end of an alert that resumed.")
    level = models.PositiveSmallIntegerField(default=1)
    address = models.CharField(max_length=300, help_text="E-mail, phone or URL as it was when written.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["alert", "created_at", "id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["status", "claimed_at"], name="delivery_claims")]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "contact", "webhook", "channel", "message", "round"],
                name="delivery_once",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message} to {self.address}"
