"""What recipients are told: e-mail subject and bodies, the SMS text (at most 160 GSM-7
characters) and the webhook payload, from an alert's facts.

Written for someone on a phone at 3 a.m.: the subject says what, where and how bad; the body
gives the shipment, its chain-of-identity id, the current temperature, the limit, the duration,
the ETA and what to do, then how to acknowledge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.template.loader import render_to_string

from shipments.choices import ExcursionKind, ExcursionStatus
from shipments.models import Excursion

from .models import Message
from .selectors import AlertFacts

TEMPERATURE_KINDS = (ExcursionKind.SINGLE, ExcursionKind.CUMULATIVE)

WHAT_TO_DO = {
    "temperature": (
        "Call the courier now: have the shipper checked and reconditioned (LN2 charge, dry ice or "
        "packs) and confirm the logger reading. On receipt, quarantine the product until QA has "
        "dispositioned the excursion; do not administer it before."
    ),
    ExcursionKind.MKT: (
        "The product's thermal history is outside its stability budget. Quarantine on receipt and "
        "ask QA for a disposition before use."
    ),
    ExcursionKind.GAP: (
        "The logger's record has a hole. Ask the courier for a USB read-out of the logger as soon "
        "as possible so the missing period can be evaluated."
    ),
    ExcursionKind.SILENT: (
        "Nothing is known about the product's temperature. Call the courier now to check the "
        "logger and the shipper, and have the logger's data uploaded."
    ),
    ExcursionKind.BATTERY: "Ask the courier to replace or charge the logger battery at the next stop.",
    ExcursionKind.TILT: (
        "Ask the courier to set the shipper upright at once: a tilted dry shipper loses its LN2 "
        "hold time fast. Check the hold time left."
    ),
    ExcursionKind.EXPIRED: (
        "The product has passed its expiry. It must not be administered: stop the shipment and "
        "arrange a replacement with the manufacturing site."
    ),
    ExcursionKind.SHELF_LIFE_AT_RISK: (
        "At the current ETA the product expires before it can be used. Arrange an expedited "
        "delivery or tell the treatment centre to plan for a replacement."
    ),
    ExcursionKind.HOLD_TIME_AT_RISK: (
        "The dewar may run dry before arrival. Arrange an LN2 recharge or a transfer to a charged "
        "dewar at the nearest facility on the route."
    ),
    ExcursionKind.HOLD_TIME_EXHAUSTED: (
        "The dewar's qualified LN2 hold time is over: the product is at risk of warming. Transfer "
        "it to a charged dewar now and quarantine on receipt."
    ),
}


# --- Words and figures -------------------------------------------------------------------------


def temp(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} °C"


def minutes(value: float | None) -> str:
    if value is None:
        return "unknown"
    total = int(round(value))
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min" if hours < 48 else f"{hours // 24} d {hours % 24} h"


def local_time(value: datetime | None, zone: str) -> str:
    if value is None:
        return "unknown"
    try:
        tz = ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = value.astimezone(tz)
    return f"{local:%d %b %H:%M} {local.tzname()}"


def _in_units(excursion: Excursion, value: float | None, number: str) -> str:
    """A figure of the excursion in its rule's units: degrees for tilt, percent for battery,
    °C otherwise."""
    if value is None:
        return ""
    if excursion.kind == ExcursionKind.TILT:
        return f"{value:{number}}°"
    if excursion.kind == ExcursionKind.BATTERY:
        return f"{value:{number}} %"
    return temp(value)


def limit_of(excursion: Excursion) -> str:
    return _in_units(excursion, excursion.threshold_c, "g")


def peak_of(excursion: Excursion) -> str:
    return _in_units(excursion, excursion.peak_c, ".0f")


def what(excursion: Excursion | None) -> str:
    """The excursion in a few words: 'temperature above −150.0 °C for 12 min'."""
    if excursion is None:
        return "alert"
    kind = excursion.kind
    ended = excursion.status == ExcursionStatus.CLOSED
    span = ("lasted " if ended else "for ") + minutes(excursion.duration_min)
    if kind == ExcursionKind.SINGLE:
        return f"temperature {excursion.direction} {limit_of(excursion)} {span}"
    if kind == ExcursionKind.CUMULATIVE:
        return f"temperature {excursion.direction} {limit_of(excursion)} for {minutes(excursion.duration_min)} in total"
    if kind == ExcursionKind.MKT:
        return f"mean kinetic temperature above {limit_of(excursion)}"
    if kind == ExcursionKind.GAP:
        return f"data gap of {minutes(excursion.duration_min)}"
    if kind == ExcursionKind.SILENT:
        return f"logger silent {span}"
    if kind == ExcursionKind.BATTERY:
        return f"logger battery below {limit_of(excursion)}"
    if kind == ExcursionKind.TILT:
        return f"shipper tilted beyond {limit_of(excursion)} {span}"
    return str(excursion.get_kind_display()).lower()


def what_to_do(excursion: Excursion | None) -> str:
    if excursion is None:
        return WHAT_TO_DO["temperature"]
    key = "temperature" if excursion.kind in TEMPERATURE_KINDS else excursion.kind
    return WHAT_TO_DO.get(key, WHAT_TO_DO["temperature"])


def where(facts: AlertFacts) -> str:
    destination = facts.shipment.destination
    return f"in {facts.region.name}, to {destination.name}"


# --- The message -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def prefix(facts: AlertFacts, message: str, *, level: int, round: int, now: datetime) -> str:
    severity = facts.alert.severity.upper()
    waited = minutes((now - facts.alert.opened_at).total_seconds() / 60)
    return {
        Message.OPENED: severity,
        Message.ESCALATED: f"{severity}, level {level}, unacknowledged {waited}",
        Message.SEVERITY_RAISED: f"NOW {severity}",
        Message.REMINDER: f"REMINDER {round}: {severity}, unacknowledged {waited}",
        Message.ENDED: "ENDED",
        Message.WITHDRAWN: "WITHDRAWN",
        Message.ACKNOWLEDGED: "ACKNOWLEDGED",
    }.get(message, severity)


def subject(facts: AlertFacts, message: str, *, level: int, round: int, now: datetime) -> str:
    head = facts.headline
    figures = what(head)
    if head is not None and head.kind in TEMPERATURE_KINDS and head.peak_c is not None:
        figures += f", peak {peak_of(head)}"
    return (f"[{prefix(facts, message, level=level, round=round, now=now)}] "
            f"{facts.shipment.tracking_number}: {figures} — {where(facts)}")


def context(facts: AlertFacts, message: str, *, level: int, round: int, now: datetime,
            ack_url: str | None) -> dict:
    shipment = facts.shipment
    zone = shipment.destination.timezone
    head = facts.headline
    return {
        "message": message,
        "prefix": prefix(facts, message, level=level, round=round, now=now),
        "alert": facts.alert,
        "shipment": shipment,
        "where": where(facts),
        "what": what(head),
        "headline": head,
        "limit": limit_of(head) if head else "",
        "range": (f"{temp(facts.min_c)} to {temp(facts.max_c)}" if facts.min_c is not None else ""),
        "current": (f"{temp(facts.latest.temperature_c)} at {local_time(facts.latest.recorded_at, zone)}"
                    if facts.latest else "no reading yet"),
        "duration": minutes(head.duration_min) if head else "",
        "eta": local_time(shipment.eta or shipment.planned_arrival, zone),
        "what_to_do": what_to_do(head),
        "excursions": [
            {
                "what": what(e),
                "severity": e.severity,
                "status": e.get_status_display(),
                "started": local_time(e.started_at, zone),
                "ended": local_time(e.ended_at, zone) if e.ended_at else "",
                "duration": minutes(e.duration_min),
                "peak": peak_of(e),
                "peak_at": local_time(e.peak_at, zone) if e.peak_at else "",
            }
            for e in facts.excursions
        ],
        "ack_url": ack_url,
        "ack_code": facts.alert.code,
        "acknowledged": facts.alert.acknowledged_at is not None,
        "acknowledged_by": facts.alert.acknowledged_by_name,
        "acknowledged_at": local_time(facts.alert.acknowledged_at, zone) if facts.alert.acknowledged_at else "",
        "comment": facts.alert.comment,
    }


def email(facts: AlertFacts, message: str, *, level: int, round: int, now: datetime,
          ack_url: str | None) -> Rendered:
    ctx = context(facts, message, level=level, round=round, now=now, ack_url=ack_url)
    return Rendered(
        subject=subject(facts, message, level=level, round=round, now=now),
        text=render_to_string("alerts/email/alert.txt", ctx),
        html=render_to_string("alerts/email/alert.html", ctx),
    )


# --- SMS: 160 GSM-7 characters -----------------------------------------------------------------

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"  # two characters each (escape + char)
SMS_LIMIT = 160
SMS_REPLACEMENTS = {
    "°": "", "−": "-", "–": "-", "—": "-", "≤": "<=", "≥": ">=", "·": "-", "’": "'", "‘": "'",
    "“": '"', "”": '"', "…": "...", "µ": "u", "\u00a0": " ",
}


def gsm7(text: str) -> str:
    """The text in the GSM-7 alphabet: the usual culprits spelled out, anything else as '?'."""
    out = []
    for ch in text:
        ch = SMS_REPLACEMENTS.get(ch, ch)
        out.append("".join(c if c in GSM7_BASIC or c in GSM7_EXTENDED else "?" for c in ch))
    return "".join(out)


def gsm7_length(text: str) -> int:
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def sms_temp(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} C"


KEEP_WHOLE = -1


def fit(parts: list[tuple[int, str]], limit: int = SMS_LIMIT) -> str:
    """Join parts (priority, text) with spaces; while too long, drop the part with the highest
    priority number. Parts of priority 0 are never dropped but the longest of them is shortened
    if need be; parts of priority ``KEEP_WHOLE`` (how to acknowledge) are never touched."""
    parts = [(p, gsm7(t)) for p, t in parts if t]
    while True:
        text = " ".join(t for _, t in parts)
        excess = gsm7_length(text) - limit
        if excess <= 0:
            return text
        droppable = [i for i, (p, _) in enumerate(parts) if p > 0]
        if droppable:
            parts.pop(max(droppable, key=lambda i: (parts[i][0], i)))
            continue
        cuttable = [i for i, (p, t) in enumerate(parts) if p == 0 and len(t) > 3]
        if not cuttable:
            return text[:limit]
        i = max(cuttable, key=lambda i: len(parts[i][1]))
        keep = max(1, len(parts[i][1]) - excess - 2)
        parts[i] = (0, parts[i][1][:keep] + "..")


def sms(facts: AlertFacts, message: str, *, level: int, round: int, now: datetime) -> str:
    """At most 160 GSM-7 characters: no °, ≤ or Unicode minus (one of them would make every
    segment 70 characters)."""
    shipment = facts.shipment
    head = facts.headline
    label = prefix(facts, message, level=level, round=round, now=now)
    subject_sms = f"{label} {shipment.tracking_number}"
    figures = what(head)
    peak = f"peak {sms_temp(head.peak_c)}." if head and head.kind in TEMPERATURE_KINDS and head.peak_c is not None else ""
    now_temp = f"now {sms_temp(facts.latest.temperature_c)}," if facts.latest else ""
    eta = f"ETA {local_time(shipment.eta or shipment.planned_arrival, shipment.destination.timezone)}."
    acknowledged = facts.alert.acknowledged_at is not None
    if message in (Message.ENDED, Message.WITHDRAWN):
        tail = "" if acknowledged else f"Reply ACK {facts.alert.code} <comment>"
        body = "withdrawn: later data shows no excursion." if message == Message.WITHDRAWN else f"{figures},"
        return fit([(0, subject_sms), (0, body), (2, peak), (KEEP_WHOLE, tail)])
    return fit([
        (0, subject_sms),
        (3, f"COI {shipment.coi}"),
        (0, f"{figures},"),
        (2, now_temp),
        (4, peak),
        (5, eta),
        (6, f"to {shipment.destination.code}."),
        (KEEP_WHOLE, f"Reply ACK {facts.alert.code} <comment>"),
    ])


# --- Webhook payload ---------------------------------------------------------------------------


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def webhook_payload(facts: AlertFacts, message: str, *, idempotency_key: str) -> dict:
    alert, shipment = facts.alert, facts.shipment
    return {
        "event": f"alert.{message}",
        "id": idempotency_key,
        "alert": {
            "id": alert.pk,
            "severity": alert.severity,
            "status": alert.status,
            "ongoing": alert.ongoing,
            "opened_at": iso(alert.opened_at),
            "ended_at": iso(alert.ended_at),
            "acknowledged_at": iso(alert.acknowledged_at),
            "acknowledged_by": alert.acknowledged_by_name or None,
            "acknowledged_via": alert.acknowledged_via or None,
            "comment": alert.comment or None,
            "resolution": alert.resolution or None,
        },
        "shipment": {
            "tracking_number": shipment.tracking_number,
            "coi": shipment.coi,
            "sponsor": shipment.sponsor.code,
            "destination": shipment.destination.code,
            "current_region": facts.region.code,
            "eta": iso(shipment.eta or shipment.planned_arrival),
        },
        "logger": alert.logger.serial if alert.logger_id else None,
        "current_temperature_c": facts.latest.temperature_c if facts.latest else None,
        "excursions": [
            {
                "id": e.pk, "kind": e.kind, "status": e.status, "severity": e.severity,
                "direction": e.direction, "threshold_c": e.threshold_c, "after_min": e.after_min,
                "started_at": iso(e.started_at), "ended_at": iso(e.ended_at),
                "duration_min": e.duration_min, "peak_c": e.peak_c, "peak_at": iso(e.peak_at),
            }
            for e in facts.excursions
        ],
    }
