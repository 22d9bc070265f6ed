"""The shipment report: what a coordinator sees on a shipment's page and what QA hands an
inspector, from one place.

``shipment_report`` gathers it (header, loggers with calibration dates, figures, excursions with
their signed dispositions, alerts and acknowledgements, the custody chain, release blockers),
with every time in the local time of the facility it belongs to, offset shown;
``shipment_report_pdf`` prints it with ReportLab (the chart drawn by ReportLab too, no browser).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.utils import timezone

from .charts import chart_drawing, logger_charts
from .choices import ACTIVE_STATUSES, CustodyEventType, ExcursionStatus
from .models import CustodyEvent, Excursion, LoggerAssignment, Shipment
from .quality import release_blockers
from .selectors import shipment_stats

# Custody steps that happen at the origin are shown in its local time; the rest, like the
# readings and excursions on the way, in the destination's, where the product is awaited.
ORIGIN_EVENTS = (CustodyEventType.PACKED, CustodyEventType.PICKED_UP, CustodyEventType.DEPARTED)


def local_time(value: datetime | None, zone: str | None, *, seconds: bool = False) -> str:
    """``2026-11-27 08:58 CET (UTC+01:00)``: the instant in a facility's zone, with its offset so
    it is never ambiguous (also across a daylight-saving fold). ``—`` for no time."""
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(zone or "UTC"))
    offset = local.strftime("%z")
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    if offset == "+0000" and local.tzname() == "UTC":
        return f"{local.strftime(pattern)} UTC"
    return f"{local.strftime(pattern)} {local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 48:
        return f"{sign}{value / 24:.1f} d"
    whole = int(value)
    return f"{sign}{whole} h {int(round((value - whole) * 60)):02d} min"


# --- Shelf life and hold time -----------------------------------------------------------------


@dataclass(frozen=True)
class ClockFinding:
    text: str
    critical: bool


@dataclass(frozen=True)
class ShipmentClock:
    """Shelf life and LN2 hold time left now and at ETA (RULES.md §5), and what is wrong."""

    eta: datetime | None
    shelf_life_left_h: float | None
    shelf_life_after_eta_h: float | None
    hold_time_left_h: float | None
    hold_time_after_eta_h: float | None
    findings: tuple[ClockFinding, ...] = ()

    @property
    def least_spare_h(self) -> float | None:
        spare = [v for v in (self.shelf_life_after_eta_h, self.hold_time_after_eta_h) if v is not None]
        return min(spare) if spare else None


def _h(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def shipment_clock(shipment: Shipment, *, now: datetime | None = None) -> ShipmentClock:
    """No query beyond the shipment and its profile version."""
    now = now or timezone.now()
    definition = shipment.profile_version.definition
    eta = shipment.eta or shipment.planned_arrival
    before_delivery = shipment.status in ACTIVE_STATUSES
    findings = []
    shelf_left = shelf_after = hold_left = hold_after = None
    checks = [
        ("shelf life", "expired", shipment.product_expires_at, definition.get("shelf_life_margin_h")),
        ("LN2 hold time", "exhausted", shipment.dry_out_at, definition.get("hold_time_margin_h")),
    ]
    for i, (name, ended, deadline, margin) in enumerate(checks):
        if deadline is None:
            continue
        left = _h(deadline - now)
        after = _h(deadline - eta) if eta else None
        if i == 0:
            shelf_left, shelf_after = left, after
        else:
            hold_left, hold_after = left, after
        if not before_delivery:
            continue
        if left <= 0:
            findings.append(ClockFinding(f"{name} {ended}", True))
        elif after is not None and after < 0:
            findings.append(ClockFinding(f"{name} ends {hours(-after)} before ETA", True))
        elif after is not None and margin is not None and after < margin:
            findings.append(ClockFinding(f"{name} ends {hours(after)} after ETA (margin {margin:g} h)", False))
    return ShipmentClock(eta=eta, shelf_life_left_h=shelf_left, shelf_life_after_eta_h=shelf_after,
                         hold_time_left_h=hold_left, hold_time_after_eta_h=hold_after, findings=tuple(findings))


# --- The report -------------------------------------------------------------------------------


@dataclass
class ShipmentReport:
    shipment: Shipment
    generated_at: datetime
    clock: ShipmentClock
    origin_zone: str
    destination_zone: str
    header: list[tuple[str, str]]
    loggers: list[dict]
    stats: dict
    stat_rows: list[dict]
    excursions: list[dict]
    alerts: list[dict]
    custody: list[dict]
    blockers: list[str]
    rules: list[str] = field(default_factory=list)
    eta: str = "—"
    position: str = "—"


def _fmt_c(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} °C"


def shipment_report(shipment: Shipment, *, now: datetime | None = None) -> ShipmentReport:
    """Everything the shipment's page and its printed report show, times made local."""
    now = now or timezone.now()
    shipment = (
        Shipment.objects.select_related("sponsor", "origin__region", "destination__region", "courier", "dewar",
                                        "current_region", "profile_version__profile")
        .prefetch_related(Prefetch("assignments", queryset=LoggerAssignment.objects.select_related("logger")),
                          "monitor_states__logger")
        .get(pk=shipment.pk)
    )
    origin, destination = shipment.origin, shipment.destination
    oz, dz = origin.timezone, destination.timezone
    definition = shipment.profile_version.definition
    version = shipment.profile_version
    clock = shipment_clock(shipment, now=now)
    dewar = shipment.dewar
    position = "—"
    if shipment.last_position_at:
        position = (f"{shipment.last_latitude:.4f}, {shipment.last_longitude:.4f} at "
                    f"{local_time(shipment.last_position_at, dz)}")
    header = [
        ("Tracking number", shipment.tracking_number),
        ("Chain of identity (COI)", shipment.coi),
        ("Sponsor", f"{shipment.sponsor.name} ({shipment.sponsor.code})"),
        ("Status", shipment.get_status_display()),
        ("Route", f"{origin.name} ({origin.code}, {oz}) to {destination.name} ({destination.code}, {dz})"),
        ("Courier", f"{shipment.courier.name} ({shipment.courier.code})"),
        ("Planned departure", local_time(shipment.planned_departure, oz)),
        ("Planned arrival", local_time(shipment.planned_arrival, dz)),
        ("ETA", local_time(shipment.eta, dz)),
        ("Current region", str(shipment.current_region) if shipment.current_region else "—"),
        ("Last position", position),
        ("Product expires", f"{local_time(shipment.product_expires_at, dz)}; left {hours(clock.shelf_life_left_h)}, "
                            f"after ETA {hours(clock.shelf_life_after_eta_h)}" if shipment.product_expires_at else "—"),
        ("Dewar", (f"{dewar.serial} ({dewar.model}), hold time {shipment.dewar_hold_time_h or dewar.hold_time_h:g} h, "
                   f"charged {local_time(shipment.dewar_charged_at, oz)}, qualified until "
                   f"{dewar.qualified_until or '—'}") if dewar else "none"),
        ("LN2 dry-out", f"{local_time(shipment.dry_out_at, dz)}; left {hours(clock.hold_time_left_h)}, after ETA "
                        f"{hours(clock.hold_time_after_eta_h)}" if shipment.dry_out_at else "—"),
        ("Profile", f"{version.profile.name} ({version.profile.code} v{version.number}), labelled range "
                    f"{definition['min_c']:g} to {definition['max_c']:g} °C"),
    ]
    rules = [f"{r['key']}: {r['kind']} {r['direction']} {r['threshold_c']:g} °C after {r['after_min']:g} min "
             f"({r['severity']})" for r in definition.get("rules", ())]
    loggers = [
        {"serial": a.logger.serial, "model": a.logger.model or "—", "role": a.get_role_display(),
         "calibration_due": a.logger.calibration_due, "assigned": local_time(a.assigned_at, oz),
         "released": local_time(a.released_at, dz) if a.released_at else "in use"}
        for a in shipment.assignments.all()
    ]
    stats = shipment_stats(shipment)
    stat_rows = []
    for serial, figures in stats["per_logger"].items():
        stat_rows.append(_stat_row(serial, figures, dz))
    if len(stat_rows) > 1:
        stat_rows.append(_stat_row("Shipment (worst)", stats, dz))
    excursions = []
    for excursion in (Excursion.objects.filter(shipment=shipment).select_related("logger")
                      .prefetch_related("dispositions", "alerts").order_by("started_at", "id")):
        dispositions = list(excursion.dispositions.all())  # newest first
        excursions.append({
            "excursion": excursion,
            "id": excursion.pk,
            "kind": excursion.get_kind_display(),
            "severity": excursion.severity,
            "status": excursion.status,
            "superseded": excursion.status == ExcursionStatus.SUPERSEDED,
            "logger": excursion.logger.serial if excursion.logger else "—",
            "rule": _rule_text(excursion),
            "started": local_time(excursion.started_at, dz),
            "alarm": local_time(excursion.alarm_at, dz),
            "ended": local_time(excursion.ended_at, dz) if excursion.ended_at else "",
            "duration": f"{excursion.duration_min:.0f} min",
            "peak": _fmt_c(excursion.peak_c),
            "detected": local_time(excursion.detected_at, dz),
            "disposition": dispositions[0] if dispositions else None,
            "signed_at": local_time(dispositions[0].signed_at, dz, seconds=True) if dispositions else "",
            "history": [(d, local_time(d.signed_at, dz, seconds=True)) for d in dispositions[1:]],
            "acknowledged_by": sorted({a.acknowledged_by_id for a in excursion.alerts.all() if a.acknowledged_by_id}),
            "needs_disposition": not dispositions and excursion.status != ExcursionStatus.SUPERSEDED,
        })
    alerts = []
    for alert in shipment.alerts.select_related("logger").prefetch_related("excursions").order_by("opened_at", "id"):
        alerts.append({
            "alert": alert,
            "id": alert.pk,
            "severity": alert.severity,
            "status": alert.get_status_display(),
            "is_open": alert.status == "open",
            "ongoing": alert.ongoing,
            "logger": alert.logger.serial if alert.logger else "—",
            "opened": local_time(alert.opened_at, dz),
            "excursions": ", ".join(f"#{e.pk}" for e in alert.excursions.all()),
            "acknowledged": (f"{alert.acknowledged_by_name}, {local_time(alert.acknowledged_at, dz)} "
                             f"via {alert.acknowledged_via}") if alert.acknowledged_at else "",
            "comment": alert.comment,
        })
    custody = []
    for event in CustodyEvent.objects.filter(shipment=shipment).select_related("recorded_by").order_by("occurred_at", "id"):
        at_origin = event.type in ORIGIN_EVENTS
        custody.append({
            "event": event,
            "type": event.get_type_display(),
            "when": local_time(event.occurred_at, oz if at_origin else dz),
            "where": (f"{event.latitude:.4f}, {event.longitude:.4f}" if event.latitude is not None
                      else (origin.code if at_origin else "—")),
            "note": event.note,
            "by": (event.recorded_by.get_full_name() or event.recorded_by.get_username()) if event.recorded_by else "system",
            "source": event.source,
        })
    return ShipmentReport(shipment=shipment, generated_at=now, clock=clock, origin_zone=oz, destination_zone=dz,
                          header=header, loggers=loggers, stats=stats, stat_rows=stat_rows, excursions=excursions,
                          alerts=alerts, custody=custody, blockers=release_blockers(shipment), rules=rules,
                          eta=local_time(shipment.eta, dz), position=position)


def _stat_row(label: str, figures: dict, zone: str) -> dict:
    def at(iso):
        return local_time(datetime.fromisoformat(iso), zone) if iso else "—"

    return {"label": label, "readings": figures["readings"], "min": _fmt_c(figures["min_c"]),
            "max": _fmt_c(figures["max_c"]), "mean": _fmt_c(figures["mean_c"], 2), "mkt": _fmt_c(figures["mkt_c"], 2),
            "tor": f"{figures['tor_min'] or 0:.0f} min", "first": at(figures["first_at"]), "last": at(figures["last_at"])}


def _rule_text(excursion: Excursion) -> str:
    if excursion.threshold_c is None:
        return excursion.get_kind_display()
    after = f" after {excursion.after_min:g} min" if excursion.after_min is not None else ""
    return f"{excursion.kind} {excursion.direction or ''} {excursion.threshold_c:g} °C{after}".replace("  ", " ")


# --- PDF --------------------------------------------------------------------------------------


def shipment_report_pdf(shipment: Shipment, *, generated_by=None, now: datetime | None = None) -> bytes:
    """The report as a PDF (A4): header, loggers, one chart per logger, figures, excursions with
    dispositions and signatures, alerts, the custody chain; page n of m in every footer."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    report = shipment_report(shipment, now=now)
    s = report.shipment
    styles = getSampleStyleSheet()
    body = ParagraphStyle("cc-body", parent=styles["BodyText"], fontSize=8.5, leading=10.5, alignment=TA_LEFT)
    small = ParagraphStyle("cc-small", parent=body, fontSize=7.5, leading=9)
    bold = ParagraphStyle("cc-bold", parent=small, fontName="Helvetica-Bold")
    h1 = ParagraphStyle("cc-h1", parent=styles["Title"], fontSize=16, leading=19, alignment=TA_LEFT, spaceAfter=2)
    h2 = ParagraphStyle("cc-h2", parent=styles["Heading2"], fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=4)
    width = A4[0] - 30 * mm
    grey = colors.HexColor("#f1f3f5")
    line = colors.HexColor("#c8ccd0")

    def p(text, style=small) -> Paragraph:
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    def table(rows, widths, header=True) -> Table:
        t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
        commands = [("GRID", (0, 0), (-1, -1), 0.4, line), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
        if header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), grey))
        t.setStyle(TableStyle(commands))
        return t

    who = ""
    if generated_by is not None and getattr(generated_by, "pk", None):
        who = f" by {generated_by.get_full_name() or generated_by.get_username()}"
    story = [
        Paragraph(escape(f"Shipment temperature report: {s.tracking_number}"), h1),
        p(f"COI {s.coi} · {s.sponsor.name} · status {s.get_status_display().lower()} · generated "
          f"{local_time(report.generated_at, 'UTC', seconds=True)}{who}. Times are local to the facility they "
          f"belong to, offset shown: origin {report.origin_zone}, destination {report.destination_zone}.", body),
        Spacer(1, 6),
        table([[p(label, bold), p(value)] for label, value in report.header], [38 * mm, width - 38 * mm],
              header=False),
        Paragraph("Alarm rules (profile version in force)", h2),
        p("; ".join(report.rules) or "none", body),
        Paragraph("Loggers", h2),
        table([[p(h, bold) for h in ("Serial", "Model", "Role", "Calibration due", "Assigned", "Released")]]
              + [[p(lg["serial"]), p(lg["model"]), p(lg["role"]), p(lg["calibration_due"] or "—"), p(lg["assigned"]),
                  p(lg["released"])] for lg in report.loggers],
              [22 * mm, 36 * mm, 16 * mm, 22 * mm, (width - 96 * mm) / 2, (width - 96 * mm) / 2]),
        Paragraph("Temperature", h2),
    ]
    for chart in logger_charts(s, zone=report.destination_zone):
        story.append(KeepTogether([chart_drawing(chart, width=width), Spacer(1, 4)]))
    story += [
        Paragraph("Figures", h2),
        table([[p(h, bold) for h in ("Logger", "Readings", "Min", "Max", "Mean", "MKT", "Time out of range",
                                     "First reading", "Last reading")]]
              + [[p(r["label"]), p(r["readings"]), p(r["min"]), p(r["max"]), p(r["mean"]), p(r["mkt"]), p(r["tor"]),
                  p(r["first"]), p(r["last"])] for r in report.stat_rows],
              [20 * mm, 16 * mm, 17 * mm, 17 * mm, 18 * mm, 18 * mm, 16 * mm, (width - 122 * mm) / 2,
               (width - 122 * mm) / 2]),
        p("Product loggers only; MKT time-weighted (RULES.md §4); time out of range is the step-hold time outside "
          "the labelled range.", small),
        Paragraph("Excursions and dispositions", h2),
    ]
    if report.excursions:
        rows = [[p(h, bold) for h in ("#", "Excursion", "When", "Duration, peak", "Disposition and signature")]]
        for e in report.excursions:
            when = f"started {e['started']}\nalarm {e['alarm']}\n" + (f"ended {e['ended']}" if e["ended"] else "still open")
            d = e["disposition"]
            if d is not None:
                signed = (f"{d.get_decision_display()}: {d.reason}\nSigned by {d.signed_name} at {e['signed_at']}\n"
                          f"Meaning: {d.meaning}")
                for old, at in e["history"]:
                    signed += f"\nEarlier: {old.get_decision_display()} by {old.signed_name} at {at}"
            elif e["superseded"]:
                signed = "Withdrawn by re-evaluation (superseded): no disposition needed."
            else:
                signed = "NO DISPOSITION YET"
            rows.append([p(e["id"]), p(f"{e['kind']} ({e['severity']}, {e['status']})\nlogger {e['logger']}\n{e['rule']}"),
                         p(when), p(f"{e['duration']}\npeak {e['peak']}"), p(signed)])
        story.append(table(rows, [8 * mm, 40 * mm, 52 * mm, 22 * mm, width - 122 * mm]))
    else:
        story.append(p("No excursions.", body))
    story.append(Paragraph("Alerts and acknowledgements", h2))
    if report.alerts:
        story.append(table(
            [[p(h, bold) for h in ("#", "Alert", "Opened", "Excursions", "Acknowledged", "Comment")]]
            + [[p(a["id"]), p(f"{a['severity']}, {a['status'].lower()}\nlogger {a['logger']}"), p(a["opened"]),
                p(a["excursions"] or "—"), p(a["acknowledged"] or "not yet"), p(a["comment"] or "—")]
               for a in report.alerts],
            [8 * mm, 24 * mm, 34 * mm, 18 * mm, 44 * mm, width - 128 * mm]))
    else:
        story.append(p("No alerts.", body))
    story.append(Paragraph("Custody chain", h2))
    if report.custody:
        story.append(table(
            [[p(h, bold) for h in ("When", "Event", "Where", "Recorded by", "Note")]]
            + [[p(c["when"]), p(c["type"]), p(c["where"]), p(f"{c['by']} ({c['source']})"), p(c["note"] or "")]
               for c in report.custody],
            [44 * mm, 22 * mm, 30 * mm, 36 * mm, width - 132 * mm]))
    else:
        story.append(p("No custody events recorded.", body))
    story.append(Paragraph("Release", h2))
    if s.status == "released":
        story.append(p("Released.", body))
    elif report.blockers:
        story.append(p("Not releasable yet: " + "; ".join(report.blockers) + ".", body))
    else:
        story.append(p("Every excursion has a disposition: QA may release.", body))

    footer = f"{s.tracking_number} · COI {s.coi} · shipment temperature report"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=f"Shipment report {s.tracking_number}",
                            author="coldchain", subject=f"COI {s.coi}", creator="coldchain (ReportLab)")
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()


def _numbered_canvas(footer: str):
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        """Holds every page until the end so each footer can say "page n of m"."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 7.5)
                self.setFillGray(0.35)
                self.drawString(15 * mm, 9 * mm, footer)
                self.drawRightString(self._pagesize[0] - 15 * mm, 9 * mm, f"page {self._pageNumber} of {total}")
                super().showPage()
            super().save()

    return NumberedCanvas
