"""The coordinators' admin site. Its index is the dashboard (DESIGN.md): shipments in flight,
at-risk first, counts per region, shipments waiting for QA, and uploads in progress, in a fixed
number of queries however many shipments there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib import admin
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from shipments.access import shipments_visible_to
from shipments.choices import ExcursionStatus, Severity, ShipmentStatus, UploadStatus
from shipments.models import Disposition, Excursion, Shipment, Upload
from shipments.reports import ShipmentClock, local_time, shipment_clock

# On the road, or arrived and not yet handed over: what a coordinator watches.
IN_FLIGHT = (ShipmentStatus.PLANNED, ShipmentStatus.PACKED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.CUSTOMS_HOLD,
             ShipmentStatus.ARRIVED, ShipmentStatus.DELIVERED)
# Handed over, waiting for QA: a disposition or the release.
AWAITING_QA = (ShipmentStatus.RECEIVED, ShipmentStatus.QUARANTINED)
RISK_LABELS = {2: "critical", 1: "warning", 0: "ok"}


def _count(queryset, outer: str = "shipment") -> Coalesce:
    """A per-shipment count as a correlated subquery: one query for the whole list, and no row
    multiplication when several counts are taken at once."""
    counted = (queryset.filter(**{outer: OuterRef("pk")}).order_by().values(outer)
               .annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _alerts():
    # Read through the reverse relation: the logistics core does not import alerts.
    return Shipment.alerts.rel.related_model.objects


@dataclass
class DashboardRow:
    shipment: Shipment
    clock: ShipmentClock
    open_alerts: int
    live_alerts: int
    critical_alerts: int
    open_excursions: int
    critical_excursions: int
    risk: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def risk_label(self) -> str:
        return RISK_LABELS[self.risk]

    @property
    def eta_local(self) -> str:
        return local_time(self.shipment.eta, self.shipment.destination.timezone)

    @property
    def region(self):
        return self.shipment.current_region or self.shipment.origin.region


def assess(row: DashboardRow) -> DashboardRow:
    """How much at risk a shipment is (2 critical, 1 warning, 0 none), and why in words."""
    reasons = []
    risk = 0
    if row.critical_alerts or row.critical_excursions:
        risk = 2
    elif row.live_alerts or row.open_excursions:
        risk = 1
    if row.open_alerts:
        reasons.append(f"{row.open_alerts} alert{'s' if row.open_alerts > 1 else ''} not acknowledged")
    elif row.live_alerts:
        reasons.append(f"{row.live_alerts} alert{'s' if row.live_alerts > 1 else ''} acknowledged, still ongoing")
    if row.open_excursions:
        reasons.append(f"{row.open_excursions} open excursion{'s' if row.open_excursions > 1 else ''}"
                       + (f" ({row.critical_excursions} critical)" if row.critical_excursions else ""))
    for finding in row.clock.findings:
        risk = max(risk, 2 if finding.critical else 1)
        reasons.append(finding.text)
    row.risk, row.reasons = risk, reasons
    return row


def dashboard_rows(user, *, now: datetime | None = None) -> list[DashboardRow]:
    """Shipments in flight the user may see, most at risk first: by risk, then unacknowledged
    alerts, then the least time to spare (shelf life or hold time after ETA), then ETA. One
    query."""
    now = now or timezone.now()
    alerts = _alerts()
    live = ~Q(status="closed")
    open_excursions = Excursion.objects.filter(status=ExcursionStatus.OPEN)
    shipments = (
        shipments_visible_to(user, Shipment.objects.filter(status__in=IN_FLIGHT))
        .select_related("sponsor", "origin__region", "destination", "current_region", "profile_version")
        .annotate(
            n_open_alerts=_count(alerts.filter(status="open")),
            n_live_alerts=_count(alerts.filter(live)),
            n_critical_alerts=_count(alerts.filter(live, severity=Severity.CRITICAL)),
            n_open_excursions=_count(open_excursions),
            n_critical_excursions=_count(open_excursions.filter(severity=Severity.CRITICAL)),
        )
    )
    rows = [
        assess(DashboardRow(shipment=s, clock=shipment_clock(s, now=now), open_alerts=s.n_open_alerts,
                            live_alerts=s.n_live_alerts, critical_alerts=s.n_critical_alerts,
                            open_excursions=s.n_open_excursions, critical_excursions=s.n_critical_excursions))
        for s in shipments
    ]
    far = float("inf")
    rows.sort(key=lambda r: (-r.risk, -r.open_alerts, r.clock.least_spare_h if r.clock.least_spare_h is not None
                             else far, r.shipment.eta or r.shipment.planned_arrival or now, r.shipment.tracking_number))
    return rows


def region_counts(rows: list[DashboardRow]) -> list[dict]:
    """Shipments in flight per current region (before any position, the origin's)."""
    regions: dict[str, dict] = {}
    for row in rows:
        region = row.region
        entry = regions.setdefault(region.code, {"region": region, "in_flight": 0, "at_risk": 0, "critical": 0})
        entry["in_flight"] += 1
        entry["at_risk"] += row.risk > 0
        entry["critical"] += row.risk == 2
    return sorted(regions.values(), key=lambda e: (-e["critical"], -e["at_risk"], e["region"].code))


def awaiting_qa(user) -> list[Shipment]:
    """Received or quarantined shipments, with how many excursions still lack a disposition.
    One query."""
    undecided = Excursion.objects.exclude(status=ExcursionStatus.SUPERSEDED).exclude(
        pk__in=Disposition.objects.values("excursion_id"))
    return list(
        shipments_visible_to(user, Shipment.objects.filter(status__in=AWAITING_QA))
        .select_related("sponsor", "origin", "destination")
        .annotate(n_undecided=_count(undecided))
        .order_by("-n_undecided", "updated_at")[:50]
    )


def uploads_in_progress(user) -> list[Upload]:
    """Logger files queued or being read, and those that failed in the last day. One query."""
    from shipments.uploads import uploads_visible_to

    since = timezone.now() - timezone.timedelta(days=1)
    return list(
        uploads_visible_to(user, Upload.objects.all())
        .filter(Q(status__in=(UploadStatus.QUEUED, UploadStatus.PROCESSING))
                | Q(status=UploadStatus.FAILED, created_at__gte=since))
        .select_related("logger", "uploaded_by")
        .order_by("-created_at")[:20]
    )


class ColdchainAdminSite(admin.AdminSite):
    site_header = "coldchain — shipments and excursions"
    site_title = "coldchain"
    index_title = "Shipments in flight"
    index_template = "admin/coldchain_index.html"

    def index(self, request, extra_context=None):
        now = timezone.now()
        rows = dashboard_rows(request.user, now=now)
        context = {
            "rows": rows,
            "regions": region_counts(rows),
            "at_risk": sum(1 for r in rows if r.risk),
            "awaiting_qa": awaiting_qa(request.user),
            "uploads": uploads_in_progress(request.user),
            "now_utc": now,
            **(extra_context or {}),
        }
        return super().index(request, context)
