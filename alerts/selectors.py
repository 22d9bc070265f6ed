"""Reads of the alerts app: who is told (routing), and the facts a message states."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from shipments.access import shipments_visible_to
from shipments.choices import SEVERITY_RANK, ExcursionStatus, LoggerRole
from shipments.models import Excursion, Reading, Region, Shipment

from .models import Alert, Contact, Delivery, DeliveryStatus, Message

TOP_LEVEL = 3


# --- Routing (RULES.md §6 "Who is told") -----------------------------------------------------


def shipment_region_now(shipment: Shipment) -> Region:
    """The region the shipment is in now: its nearest facility's (kept by the core as positions
    arrive); before any position, the origin's."""
    return shipment.current_region if shipment.current_region_id else shipment.origin.region


def escalation_region(shipment: Shipment) -> Region:
    """Whose ``escalate_after_min`` paces an alert: the destination's region. The destination's
    people are told at every level and it does not change while the alert runs, so the pace an
    alert started with is the pace it keeps as the shipment crosses regions."""
    return shipment.destination.region


@dataclass
class Recipient:
    """One person to tell: the contact rows that are this person (deduplicated by normalised
    e-mail or phone) and, per channel, the contact whose address is used."""

    contact: Contact
    by_channel: dict[str, Contact] = field(default_factory=dict)

    @property
    def channels(self) -> list[str]:
        return sorted(self.by_channel)


def contacts_at(shipment: Shipment, levels: tuple[int, ...]) -> QuerySet[Contact]:
    """Contacts of these levels for a shipment: the destination facility's ∪ the on-call ones of
    the region it is in now (attached to the region itself or to one of its facilities)."""
    region = shipment_region_now(shipment)
    return (
        Contact.objects.filter(active=True, level__in=levels)
        .filter(
            Q(facility_id=shipment.destination_id)
            | Q(on_call=True, region_id=region.pk)
            | Q(on_call=True, facility__region_id=region.pk)
        )
        .order_by("level", "id")
    )


def recipients(contacts: list[Contact], *, exclude_keys: set[str] = frozenset()) -> list[Recipient]:
    """Group contacts into people: two contacts sharing a normalised e-mail or phone are one
    person. Contacts come ordered by preference; a person's first contact is its contact, and each
    channel goes to the first of its contacts offering that channel. People matching
    ``exclude_keys`` (already told) are left out."""
    people: list[tuple[set[str], Recipient]] = []
    for contact in contacts:
        keys = contact.person_keys
        matches = [entry for entry in people if entry[0] & keys]
        if matches:
            keys_so_far, recipient = matches[0]
            keys_so_far |= keys
            for other_keys, other in matches[1:]:  # this contact shows two people are one
                keys_so_far |= other_keys
                for channel, owner in other.by_channel.items():
                    recipient.by_channel.setdefault(channel, owner)
            people = [entry for entry in people if not any(entry is m for m in matches[1:])]
        else:
            recipient = Recipient(contact=contact)
            people.append((set(keys), recipient))
        for channel in contact.channels:
            if contact.address_for(channel):
                recipient.by_channel.setdefault(channel, contact)
    return [r for keys, r in people if r.by_channel and not (keys & exclude_keys)]


def _preference(shipment: Shipment):
    return lambda c: (c.level, c.facility_id != shipment.destination_id, c.id)


def recipients_at(shipment: Shipment, levels: tuple[int, ...], *,
                  exclude_keys: set[str] = frozenset()) -> list[Recipient]:
    contacts = sorted(contacts_at(shipment, levels), key=_preference(shipment))
    return recipients(contacts, exclude_keys=exclude_keys)


def told_keys(alert: Alert) -> set[str]:
    """Person keys of everyone already told about this alert (any message, any channel)."""
    contacts = Contact.objects.filter(deliveries__alert=alert).distinct()
    return set().union(*(c.person_keys for c in contacts)) if contacts else set()


def told_pairs(alert: Alert) -> list[tuple[Contact, str]]:
    """(contact, channel) pairs that were told about this alert and did not fail for good:
    "everyone who was told" for the ended and withdrawn messages."""
    rows = (
        Delivery.objects.filter(alert=alert, contact__isnull=False)
        .exclude(message__in=(Message.ENDED, Message.WITHDRAWN))
        .exclude(status__in=(DeliveryStatus.FAILED, DeliveryStatus.CANCELLED))
        .select_related("contact")
        .order_by("contact_id", "channel")
    )
    seen: dict[tuple[int, str], tuple[Contact, str]] = {}
    for delivery in rows:
        seen.setdefault((delivery.contact_id, delivery.channel), (delivery.contact, delivery.channel))
    return list(seen.values())


# --- What a message says -----------------------------------------------------------------------


@dataclass(frozen=True)
class LatestReading:
    temperature_c: float
    recorded_at: datetime


@dataclass
class AlertFacts:
    """Everything a message about one alert states, read once per send."""

    alert: Alert
    shipment: Shipment
    excursions: list[Excursion]
    headline: Excursion | None
    latest: LatestReading | None
    region: Region
    min_c: float | None
    max_c: float | None


def headline_excursion(excursions: list[Excursion]) -> Excursion | None:
    """The excursion a message leads with: the most severe, open before ended, latest first."""
    live = [e for e in excursions if e.status != ExcursionStatus.SUPERSEDED] or excursions
    if not live:
        return None
    return max(live, key=lambda e: (SEVERITY_RANK.get(e.severity, 0), e.status == ExcursionStatus.OPEN,
                                    e.started_at))


def latest_reading(shipment: Shipment, logger_id: int | None) -> LatestReading | None:
    if logger_id is not None:
        qs = Reading.objects.filter(logger_id=logger_id)
    else:
        loggers = shipment.assignments.filter(role=LoggerRole.PRODUCT).values("logger_id")
        qs = Reading.objects.filter(logger_id__in=loggers)
    row = qs.order_by("-recorded_at").values_list("temperature_c", "recorded_at").first()
    return LatestReading(*row) if row else None


# What ``alert_facts`` reads through an alert; load it with the alert to spare the queries.
FACTS_RELATED = ("logger", "shipment__destination__region", "shipment__origin__region", "shipment__current_region",
                 "shipment__sponsor", "shipment__profile_version")


def alert_facts(alert: Alert) -> AlertFacts:
    if Alert._meta.get_field("shipment").is_cached(alert):
        shipment = alert.shipment
    else:
        shipment = Shipment.objects.select_related(*(r.split("__", 1)[1] for r in FACTS_RELATED[1:])).get(
            pk=alert.shipment_id)
    excursions = list(alert.excursions.order_by("started_at", "id"))
    definition = shipment.profile_version.definition or {}
    return AlertFacts(
        alert=alert,
        shipment=shipment,
        excursions=excursions,
        headline=headline_excursion(excursions),
        latest=latest_reading(shipment, alert.logger_id),
        region=shipment_region_now(shipment),
        min_c=definition.get("min_c"),
        max_c=definition.get("max_c"),
    )


# --- Lists for the API and admin ---------------------------------------------------------------


def alerts_visible_to(user) -> QuerySet[Alert]:
    return Alert.objects.filter(shipment__in=shipments_visible_to(user))


def alerts_list(*, user, status: str | None = None) -> QuerySet[Alert]:
    qs = alerts_visible_to(user).select_related("shipment", "logger", "acknowledged_by")
    if status:
        qs = qs.filter(status=status)
    return qs.prefetch_related("excursions", "deliveries__contact").order_by("-opened_at", "-id")

