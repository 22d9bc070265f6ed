"""Writes of the alerts app (RULES.md §6): alerts from excursions, deliveries, escalation,
acknowledgement, and the claim-send-mark cycle of one delivery.

Every change to a shipment's alerts runs under one lock per shipment, so the receiver that follows
an evaluation, the minute sweep and an acknowledgement never decide the same thing twice. Delivery
rows are written in the same transaction as the decision to send them and queued on commit;
nothing is sent inside a transaction."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import timezone

from shipments.audit import audit_record
from shipments.choices import ONGOING_KINDS, SEVERITY_RANK, ExcursionStatus, Severity
from shipments.models import Excursion, Shipment

from .channels import TransportError, transport_for
from .models import (
    CALL_TO_ACTION,
    OUTSTANDING,
    Alert,
    AlertStatus,
    Channel,
    Contact,
    Delivery,
    DeliveryStatus,
    Message,
    Resolution,
    SponsorWebhook,
    new_ack_code,
    normalise_phone,
)
from .selectors import (
    TOP_LEVEL,
    Recipient,
    alert_facts,
    escalation_region,
    recipients_at,
    told_keys,
    told_pairs,
)

log = logging.getLogger(__name__)

# Messages a sponsor's QMS hears (people-facing escalations and reminders are not for it).
WEBHOOK_MESSAGES = (Message.OPENED, Message.SEVERITY_RAISED, Message.ENDED, Message.WITHDRAWN,
                    Message.ACKNOWLEDGED)
RETRY_BASE_S = 10
RETRY_CAP_S = 15 * 60
MAX_ATTEMPTS = 8
# A pending row whose task has not claimed it this long after it was due was lost on the way
# (a broker outage at enqueue, a worker killed holding the message): queue it again.
REQUEUE_AFTER = timedelta(seconds=60)
CRASH_ENV = "COLDCHAIN_ALERTS_CRASH_AT"

_LOCK_NAMESPACE = 7_311_100


def _lock_shipment(shipment_id: int) -> None:
    """Serialise alert decisions for one shipment (inside the caller's transaction). SQLite
    write transactions are serialised already."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_NAMESPACE * 2**32 + shipment_id])


def _send_on_commit(deliveries: Iterable[Delivery]) -> None:
    ids = [d.pk for d in deliveries]
    if not ids:
        return
    # Imported here: tasks call services, and services only hand ids to the queue.
    from .tasks import delivery_send

    transaction.on_commit(lambda: [delivery_send.delay(i) for i in ids])


def _interval(shipment: Shipment) -> timedelta:
    return timedelta(minutes=escalation_region(shipment).escalate_after_min)


def _rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


# --- Writing deliveries -------------------------------------------------------------------------


def idempotency_key(alert: Alert, message: str, round: int, channel: str, *, contact: Contact | None = None,
                    webhook: SponsorWebhook | None = None) -> str:
    target = f"c{contact.pk}" if contact is not None else f"w{webhook.pk}"
    return f"alert{alert.pk}.{message}.{round}.{channel}.{target}"


def _next_round(alert: Alert, message: str) -> int:
    last = alert.deliveries.filter(message=message).aggregate(last=Max("round"))["last"]
    return 0 if last is None else last + 1


def _write(rows: list[Delivery], *, fresh: bool = False) -> list[Delivery]:
    """Insert the rows not already there (the idempotency key names the unique tuple) and queue
    them on commit. ``fresh``: the alert was opened in this transaction, so none can be there."""
    if not fresh and rows:
        keys = [r.idempotency_key for r in rows]
        existing = set(Delivery.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
        rows = [r for r in rows if r.idempotency_key not in existing]
    Delivery.objects.bulk_create(rows)
    _send_on_commit(rows)
    return rows


def _people_rows(alert: Alert, message: str, round: int, people: list[tuple[Recipient, int]]) -> list[Delivery]:
    rows = []
    for recipient, level in people:
        for channel, contact in sorted(recipient.by_channel.items()):
            rows.append(Delivery(
                alert=alert, contact=contact, channel=channel, message=message, round=round, level=level,
                address=contact.address_for(channel),
                idempotency_key=idempotency_key(alert, message, round, channel, contact=contact),
            ))
    return rows


def _webhook_rows(alert: Alert, shipment: Shipment, message: str, round: int) -> list[Delivery]:
    if message not in WEBHOOK_MESSAGES:
        return []
    return [
        Delivery(alert=alert, webhook=webhook, channel=Channel.WEBHOOK, message=message, round=round, level=0,
                 address=webhook.url,
                 idempotency_key=idempotency_key(alert, message, round, Channel.WEBHOOK, webhook=webhook))
        for webhook in SponsorWebhook.objects.filter(sponsor_id=shipment.sponsor_id, active=True).order_by("id")
    ]


def _pick(shipment: Shipment, levels: Iterable[int], *, exclude: set[str] = frozenset()
          ) -> tuple[tuple[int, ...], list[Recipient]]:
    """The people to tell at ``levels`` (deduplicated across them). A level with nobody to tell
    is passed over to the next one at once. Returns the levels told and the people."""
    levels = tuple(levels)
    people = recipients_at(shipment, levels, exclude_keys=exclude)
    while not people and max(levels) < TOP_LEVEL:
        levels = (*levels, max(levels) + 1)
        people = recipients_at(shipment, levels, exclude_keys=exclude)
    if not people:
        log.warning("Shipment %s: nobody to tell at levels %s.", shipment, levels)
    return levels, people


def _mark_told(alert: Alert, shipment: Shipment, levels: tuple[int, ...], now: datetime) -> None:
    alert.level = max(alert.level, *levels)
    alert.last_notified_at = now
    alert.escalate_at = now + _interval(shipment)


def _tell(alert: Alert, shipment: Shipment, message: str, levels: tuple[int, ...], people: list[Recipient], *,
          now: datetime, round: int = 0, fresh: bool = False) -> list[Delivery]:
    _mark_told(alert, shipment, levels, now)
    rows = _people_rows(alert, message, round, [(p, p.contact.level) for p in people])
    return _write(rows + _webhook_rows(alert, shipment, message, round), fresh=fresh)


def _tell_those_told(alert: Alert, shipment: Shipment, message: str) -> list[Delivery]:
    round = _next_round(alert, message)
    rows = [
        Delivery(alert=alert, contact=contact, channel=channel, message=message, round=round, level=contact.level,
                 address=contact.address_for(channel),
                 idempotency_key=idempotency_key(alert, message, round, channel, contact=contact))
        for contact, channel in told_pairs(alert)
        if contact.address_for(channel)
    ]
    return _write(rows + _webhook_rows(alert, shipment, message, round))


# --- From excursions to alerts ------------------------------------------------------------------


@dataclass
class _AlertState:
    alert: Alert
    live: list[Excursion]
    created: bool = False


def alerts_reconcile(*, shipment_id: int, now: datetime | None = None) -> list[Delivery]:
    """Bring a shipment's alerts in line with its excursions and tell whoever must hear of it.

    - An excursion (not superseded) that no alert gathers joins the open alert of its (shipment,
      logger), or opens one: level 1 is told, levels 1 and 2 for a critical one.
    - An alert whose severity rises tells levels told so far (and level 2 if now critical):
      ``severity_raised``; an acknowledged one is opened again.
    - An alert that stops being ongoing tells everyone told that it ``ended``; if acknowledged, it
      closes. One whose excursions are all withdrawn is closed as withdrawn (``withdrawn``).

    Idempotent: what was decided is in the rows, so running it again changes nothing. Returns the
    deliveries written (queued on commit)."""
    now = now or timezone.now()
    written: list[Delivery] = []
    with transaction.atomic():
        _lock_shipment(shipment_id)
        shipment = Shipment.objects.select_related("destination__region", "origin__region", "current_region").get(
            pk=shipment_id)
        links = list(Alert.excursions.through.objects.filter(alert__shipment_id=shipment_id).values_list(
            "alert_id", "excursion_id", "alert__resolution"))
        gathered = {exc_id for _, exc_id, resolution in links if resolution != Resolution.WITHDRAWN}
        excursions = {e.pk: e for e in Excursion.objects.filter(shipment_id=shipment_id).order_by("started_at", "id")}
        open_alerts = {a.logger_id: a for a in
                       Alert.objects.filter(shipment_id=shipment_id).exclude(status=AlertStatus.CLOSED)}
        states = {a.pk: _AlertState(alert=a, live=[]) for a in open_alerts.values()}
        for alert_id, exc_id, _ in links:
            if alert_id in states and excursions[exc_id].status != ExcursionStatus.SUPERSEDED:
                states[alert_id].live.append(excursions[exc_id])

        for excursion in excursions.values():
            if excursion.status == ExcursionStatus.SUPERSEDED or excursion.pk in gathered:
                continue
            alert = open_alerts.get(excursion.logger_id)
            if alert is None:
                # Saved once its level and escalation time are known (in _alert_settle).
                alert = Alert(shipment=shipment, logger_id=excursion.logger_id, opened_at=now, code=new_ack_code())
                open_alerts[excursion.logger_id] = alert
                states[id(alert)] = _AlertState(alert=alert, live=[], created=True)
            elif alert.pk:
                alert.excursions.add(excursion)
            states[alert.pk or id(alert)].live.append(excursion)

        for state in states.values():
            written += _alert_settle(state, shipment, now=now)
    return written


def _alert_settle(state: _AlertState, shipment: Shipment, *, now: datetime) -> list[Delivery]:
    alert, live = state.alert, state.live
    before = _snapshot(alert)
    written: list[Delivery] = []
    if not live:
        # Every excursion it gathered was withdrawn by re-evaluation (RULES.md §2).
        alert.status, alert.resolution, alert.closed_at = AlertStatus.CLOSED, Resolution.WITHDRAWN, now
        alert.ongoing, alert.escalate_at = False, None
        alert.ended_at = alert.ended_at or now
        alert.save()
        Delivery.objects.filter(alert=alert, status__in=OUTSTANDING).exclude(message=Message.WITHDRAWN).update(
            status=DeliveryStatus.CANCELLED, error="Withdrawn before it went out.")
        audit_record(action="alert.withdrawn", obj=alert, shipment=shipment, at=now,
                     data={"excursions": list(alert.excursions.values_list("id", flat=True))})
        return _tell_those_told(alert, shipment, Message.WITHDRAWN)

    severity = max((e.severity for e in live), key=_rank)
    ongoing = any(e.kind in ONGOING_KINDS and e.status == ExcursionStatus.OPEN for e in live)
    if state.created:
        alert.severity, alert.ongoing = severity, ongoing
        levels, people = _pick(shipment, (1, 2) if severity == Severity.CRITICAL else (1,))
        _mark_told(alert, shipment, levels, now)
        alert.save()  # a clash of the random code fails the transaction; the retry draws another
        alert.excursions.add(*live)
        return _tell(alert, shipment, Message.OPENED, levels, people, now=now, fresh=True)
    if _rank(severity) > _rank(alert.severity):
        previous = alert.severity
        alert.severity = severity
        if alert.status == AlertStatus.ACKNOWLEDGED:
            audit_record(action="alert.reopen", obj=alert, shipment=shipment, at=now,
                         data={"reason": f"severity raised to {severity}", "acknowledged_by": alert.acknowledged_by_name,
                               "acknowledged_at": alert.acknowledged_at.isoformat(), "comment": alert.comment})
            alert.status = AlertStatus.OPEN
            alert.acknowledged_by, alert.acknowledged_by_name, alert.acknowledged_at = None, "", None
            alert.acknowledged_via, alert.comment = "", ""
        top = max(alert.level, 2 if severity == Severity.CRITICAL else 1)
        levels, people = _pick(shipment, range(1, top + 1))
        written += _tell(alert, shipment, Message.SEVERITY_RAISED, levels, people, now=now,
                         round=_next_round(alert, Message.SEVERITY_RAISED))
        log.info("Alert %s: severity raised from %s to %s.", alert.pk, previous, severity)
    else:
        alert.severity = severity  # a withdrawn excursion may lower it; nobody is told of that

    if alert.ongoing and not ongoing:
        alert.ongoing, alert.ended_at = False, now
        written += _tell_those_told(alert, shipment, Message.ENDED)
        if alert.status == AlertStatus.ACKNOWLEDGED:
            _close(alert, now)
    elif ongoing and not alert.ongoing:
        alert.ongoing, alert.ended_at = True, None
    if _snapshot(alert) != before:
        alert.save()
    return written


def _snapshot(alert: Alert) -> tuple:
    return (alert.severity, alert.status, alert.ongoing, alert.level, alert.escalate_at, alert.ended_at,
            alert.closed_at, alert.last_notified_at)


def _close(alert: Alert, now: datetime) -> None:
    alert.status, alert.closed_at, alert.escalate_at = AlertStatus.CLOSED, now, None
    alert.resolution = Resolution.ACKNOWLEDGED


# --- Escalation ----------------------------------------------------------------------------------


def alert_escalate(*, alert_id: int, now: datetime | None = None, pass_over: bool = False) -> list[Delivery]:
    """One escalation step of an unacknowledged alert that is due: tell the next level with
    anyone on it; past the top level, remind every level told so far. ``pass_over`` (a contact
    unreachable on every channel) tells the next level now and never reminds."""
    now = now or timezone.now()
    shipment_id = Alert.objects.filter(pk=alert_id).values_list("shipment_id", flat=True).first()
    if shipment_id is None:
        return []
    with transaction.atomic():
        _lock_shipment(shipment_id)
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if alert.status != AlertStatus.OPEN:
            return []
        if not pass_over and (alert.escalate_at is None or alert.escalate_at > now):
            return []
        shipment = Shipment.objects.select_related("destination__region", "origin__region", "current_region").get(
            pk=shipment_id)
        written: list[Delivery] = []
        if alert.level < TOP_LEVEL:
            levels, people = _pick(shipment, (alert.level + 1,), exclude=told_keys(alert))
            if people:
                written = _tell(alert, shipment, Message.ESCALATED, levels, people, now=now)
                alert.save()
                log.info("Alert %s escalated to level %s%s.", alert.pk, alert.level, " (passed over)" * pass_over)
                return written
            alert.level = TOP_LEVEL
        if not pass_over:
            alert.reminders += 1
            levels, people = _pick(shipment, range(1, alert.level + 1))
            written = _tell(alert, shipment, Message.REMINDER, levels, people, now=now, round=alert.reminders)
        alert.save()
        return written


def alerts_escalate_due(*, now: datetime | None = None) -> int:
    """Escalate every open alert whose time has come: one indexed query when none is due."""
    now = now or timezone.now()
    due = list(Alert.objects.filter(status=AlertStatus.OPEN, escalate_at__lte=now).values_list("id", flat=True))
    for alert_id in due:
        alert_escalate(alert_id=alert_id, now=now)
    return len(due)


# --- Acknowledgement -----------------------------------------------------------------------------


class AlertNotOpen(Exception):
    """The alert was acknowledged already, or closed: says by whom and when."""

    def __init__(self, alert: Alert):
        if alert.acknowledged_at:
            text = (f"Alert {alert.pk} was acknowledged already by {alert.acknowledged_by_name} at "
                    f"{alert.acknowledged_at:%Y-%m-%d %H:%M %Z} ({alert.acknowledged_via}).")
        else:
            text = f"Alert {alert.pk} is {alert.get_status_display().lower()} ({alert.get_resolution_display()})."
        super().__init__(text)
        self.alert = alert


def alert_acknowledge(*, alert: Alert, comment: str, via: str, user=None, contact: Contact | None = None,
                      now: datetime | None = None) -> Alert:
    """Acknowledge an open alert: who (a user, or the contact who answered), when, through which
    channel (admin, api, email, sms) and what they said. Stops escalation; closes the alert if
    it is no longer ongoing. Audited. Raises ``ValidationError`` without a comment and
    ``AlertNotOpen`` if it is not open."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": "Say what is being done about it: a comment is required."})
    if getattr(user, "pk", None):
        who = user.get_full_name() or user.get_username()
    elif contact is not None:
        who = contact.name
    else:
        raise ValidationError({"user": "An acknowledgement needs a user or a contact."})
    with transaction.atomic():
        _lock_shipment(alert.shipment_id)
        alert = Alert.objects.select_for_update().select_related("shipment").get(pk=alert.pk)
        if alert.status != AlertStatus.OPEN:
            raise AlertNotOpen(alert)
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by = user if getattr(user, "pk", None) else None
        alert.acknowledged_by_name, alert.acknowledged_at = who, now
        alert.acknowledged_via, alert.comment = via, comment
        alert.escalate_at = None
        if not alert.ongoing:
            _close(alert, now)
        alert.save()
        cancelled = Delivery.objects.filter(
            alert=alert, status__in=OUTSTANDING, message__in=(Message.ESCALATED, Message.REMINDER)
        ).update(status=DeliveryStatus.CANCELLED, error="Acknowledged before it went out.")
        audit_record(actor=user, action="alert.acknowledge", obj=alert, shipment=alert.shipment, at=now,
                     data={"by": who, "via": via, "comment": comment, "contact": contact.pk if contact else None,
                           "closed": alert.status == AlertStatus.CLOSED, "cancelled_deliveries": cancelled})
        _write(_webhook_rows(alert, alert.shipment, Message.ACKNOWLEDGED, _next_round(alert, Message.ACKNOWLEDGED)))
    return alert


SMS_ACK = re.compile(r"^\s*ACK\s+([A-Za-z0-9]{4,8})(?:\s+(.*\S))?\s*$", re.IGNORECASE | re.DOTALL)


def sms_reply_handle(*, from_number: str, body: str, now: datetime | None = None) -> str:
    """An SMS reply ``ACK <code> <comment>``: acknowledge, and say what happened (the answer
    goes back as an SMS)."""
    match = SMS_ACK.match(body or "")
    if match is None:
        return "To acknowledge an alert, reply ACK <code> <comment>, e.g. ACK K7P3QD courier recharging dewar."
    code, comment = match.group(1).upper(), (match.group(2) or "").strip()
    alert = Alert.objects.select_related("shipment").filter(code=code).first()
    if alert is None:
        return f"No alert has the code {code}. Check the code in the alert SMS."
    if not comment:
        return f"Please say what is being done: reply ACK {code} followed by a comment, e.g. ACK {code} courier recharging dewar."
    contact = (Contact.objects.filter(active=True, phone=normalise_phone(from_number))
               .order_by("level", "id").first())
    if contact is None:
        return "This number is not registered for alerts; acknowledge in the admin or through the e-mail link."
    try:
        alert_acknowledge(alert=alert, comment=comment, via=Channel.SMS, contact=contact, now=now)
    except AlertNotOpen as exc:
        return str(exc)
    return f"Thank you, {contact.name}: alert {code} on {alert.shipment.tracking_number} is acknowledged."


# --- Sending one delivery: claim, send, mark ---------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    outcome: str  # sent | retrying | failed | cancelled | skipped
    retry_in: float | None = None


def backoff_s(attempts: int) -> float:
    return min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))


def crash_point(name: str, delivery: Delivery) -> None:
    """Test-only hook: with ``COLDCHAIN_ALERTS_CRASH_AT=<name>`` the process dies here, on a
    delivery's first attempt, the way a worker killed at that point would."""
    if os.environ.get(CRASH_ENV) == name and delivery.attempts == 1:
        log.warning("%s=%s: exiting at %s of delivery %s.", CRASH_ENV, name, name, delivery.pk)
        os._exit(17)


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> Attempt:
    """Claim the delivery with a conditional update (only one worker wins it), send it outside any
    transaction, then mark it. A claim that is never marked is retaken by the sweep after
    ``DELIVERY_CLAIM_TIMEOUT_S``, and the resend reuses the idempotency key."""
    claimed_at = now or timezone.now()
    won = (
        Delivery.objects.filter(pk=delivery_id, status__in=OUTSTANDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=claimed_at))
        .update(status=DeliveryStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1)
    )
    if not won:
        return Attempt("skipped")
    # Two small joins, not one of twelve tables: PostgreSQL spent longer planning that than
    # running it. alert_facts loads the shipment's side.
    delivery = Delivery.objects.select_related("contact", "webhook", "alert__logger").get(pk=delivery_id)
    mine = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING, claimed_at=claimed_at)
    crash_point("after_claim", delivery)
    alert = delivery.alert
    if alert.acknowledged_at is not None and delivery.message in (Message.ESCALATED, Message.REMINDER):
        mine.update(status=DeliveryStatus.CANCELLED, error="Acknowledged before it went out.")
        return Attempt("cancelled")
    try:
        provider_id = transport_for(delivery.channel).send(delivery, alert_facts(alert))
    except TransportError as exc:
        return _delivery_failed(delivery, mine, exc)
    except Exception as exc:  # a bug of ours: keep the message, retry, and show the error
        log.exception("Delivery %s: unexpected error while sending.", delivery_id)
        return _delivery_failed(delivery, mine, TransportError(f"Internal error: {exc!r}"))
    crash_point("after_send", delivery)
    mine.update(status=DeliveryStatus.SENT, sent_at=timezone.now(), provider_id=provider_id[:200], error="",
                next_attempt_at=None)
    return Attempt("sent")


def _delivery_failed(delivery: Delivery, mine, exc: TransportError) -> Attempt:
    now = timezone.now()
    error = f"attempt {delivery.attempts}: {exc.message}"[:2000]
    if exc.permanent or delivery.attempts >= MAX_ATTEMPTS:
        if not exc.permanent:
            error += f" (gave up after {delivery.attempts} attempts)"
        log.warning("Delivery %s (%s %s to %s) failed for good: %s", delivery.pk, delivery.channel,
                    delivery.message, delivery.address, error)
        mine.update(status=DeliveryStatus.FAILED, error=error, next_attempt_at=None)
        _pass_over_if_unreachable(delivery, now=now)
        return Attempt("failed")
    delay = backoff_s(delivery.attempts)
    log.info("Delivery %s: %s; retrying in %ss.", delivery.pk, error, delay)
    mine.update(status=DeliveryStatus.RETRYING, error=error, next_attempt_at=now + timedelta(seconds=delay))
    return Attempt("retrying", retry_in=delay)


def _pass_over_if_unreachable(delivery: Delivery, *, now: datetime) -> None:
    """A contact whose every channel failed for good is passed over: the next level is told now."""
    if delivery.contact_id is None or delivery.message not in CALL_TO_ACTION:
        return
    alert = Alert.objects.filter(pk=delivery.alert_id).only("status", "level").first()
    if alert is None or alert.status != AlertStatus.OPEN or alert.level != delivery.level or alert.level >= TOP_LEVEL:
        return
    person = delivery.contact.person_keys
    same_person = [
        d for d in Delivery.objects.filter(alert_id=delivery.alert_id, message=delivery.message, round=delivery.round,
                                           contact__isnull=False).select_related("contact")
        if d.contact.person_keys & person
    ]
    if all(d.status == DeliveryStatus.FAILED for d in same_person):
        log.warning("Alert %s: %s is unreachable on every channel; telling the next level now.",
                    delivery.alert_id, delivery.contact)
        alert_escalate(alert_id=delivery.alert_id, now=now, pass_over=True)


def deliveries_resend(*, ids: list[int], user=None) -> int:
    """Send failed deliveries again (from the admin, once the address or provider is fixed), with
    the same idempotency key."""
    now = timezone.now()
    with transaction.atomic():
        failed = list(Delivery.objects.select_for_update().filter(id__in=ids, status=DeliveryStatus.FAILED)
                      .select_related("alert__shipment"))
        for delivery in failed:
            audit_record(actor=user, action="delivery.resend", obj=delivery, shipment=delivery.alert.shipment,
                         at=now, data={"error": delivery.error, "attempts": delivery.attempts})
        Delivery.objects.filter(id__in=[d.pk for d in failed]).update(
            status=DeliveryStatus.RETRYING, next_attempt_at=now, attempts=0)
        _send_on_commit(failed)
    return len(failed)


# --- The minute sweep ------------------------------------------------------------------------------


def deliveries_retake_stale(*, now: datetime) -> list[int]:
    """Claims not marked within ``DELIVERY_CLAIM_TIMEOUT_S`` (the worker died or hung): back to
    retrying, due now."""
    cutoff = now - timedelta(seconds=settings.DELIVERY_CLAIM_TIMEOUT_S)
    stale = list(Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=cutoff)
                 .values_list("id", flat=True))
    if stale:
        Delivery.objects.filter(id__in=stale, status=DeliveryStatus.SENDING, claimed_at__lt=cutoff).update(
            status=DeliveryStatus.RETRYING, next_attempt_at=now,
            error="Claim timed out (the worker died or hung); retaken by the sweep.")
    return stale


def deliveries_lost(*, now: datetime) -> list[int]:
    """Outstanding deliveries that should have been claimed by now."""
    cutoff = now - REQUEUE_AFTER
    return list(
        Delivery.objects.filter(status__in=OUTSTANDING)
        .filter(Q(next_attempt_at__isnull=True, created_at__lt=cutoff) | Q(next_attempt_at__lt=cutoff))
        .values_list("id", flat=True)
    )


def shipments_to_reconcile() -> set[int]:
    """Shipments whose alerts disagree with their excursions (the task after an evaluation was
    lost): an excursion no alert gathers, or an open alert whose ongoing flag, severity or
    withdrawal is out of date. Two queries, whatever the number of alerts."""
    through = Alert.excursions.through.objects
    ungathered = Excursion.objects.exclude(status=ExcursionStatus.SUPERSEDED).exclude(
        Exists(through.filter(excursion_id=OuterRef("pk")).exclude(alert__resolution=Resolution.WITHDRAWN))
    )
    live = through.filter(alert_id=OuterRef("pk")).exclude(excursion__status=ExcursionStatus.SUPERSEDED)
    running = live.filter(excursion__status=ExcursionStatus.OPEN, excursion__kind__in=ONGOING_KINDS)
    stale = Alert.objects.exclude(status=AlertStatus.CLOSED).filter(
        ~Exists(live)
        | Q(ongoing=True) & ~Exists(running)
        | Q(ongoing=False) & Exists(running)
        | Q(severity=Severity.WARNING) & Exists(live.filter(excursion__severity=Severity.CRITICAL))
    )
    return set(ungathered.values_list("shipment_id", flat=True)) | set(stale.values_list("shipment_id", flat=True))


def alerts_sweep(*, now: datetime | None = None) -> dict:
    """Every minute: retake stale claims, requeue lost deliveries, bring alerts in line with
    excursions the task missed, escalate what is due."""
    from .tasks import delivery_send

    now = now or timezone.now()
    retaken = deliveries_retake_stale(now=now)
    queued = sorted(set(retaken) | set(deliveries_lost(now=now)))
    for delivery_id in queued:
        delivery_send.delay(delivery_id)
    reconciled = sorted(shipments_to_reconcile())
    for shipment_id in reconciled:
        alerts_reconcile(shipment_id=shipment_id, now=now)
    escalated = alerts_escalate_due(now=now)
    return {"retaken": len(retaken), "requeued": len(queued), "reconciled": len(reconciled), "escalated": escalated}
