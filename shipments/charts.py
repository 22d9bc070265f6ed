"""Temperature charts of a shipment, one per logger: the series against the profile's labelled
range and rule thresholds, excursions shaded.

One geometry, two renderers: ``chart_svg`` draws it as inline SVG for the admin (server-rendered,
no script, no outside network) and ``chart_drawing`` as a ReportLab drawing for the printed
report, so the page and the paper show the same picture. Long series are reduced to min/max
buckets (each bucket keeps its lowest and its highest reading, in time order), so a 14 400-point
trip draws as about 1 200 points and no peak is ever smoothed away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from django.utils.safestring import SafeString, mark_safe

from .choices import ExcursionKind, ExcursionStatus, LoggerRole, Severity
from .models import Reading, Shipment

MAX_BUCKETS = 600

# Kinds whose excursion is a stretch of time on the series (shaded); the others are instants
# (marked): a cumulative or MKT alarm, a shelf-life or hold-time warning.
SHADED_KINDS = (ExcursionKind.SINGLE, ExcursionKind.TILT, ExcursionKind.GAP, ExcursionKind.SILENT,
                ExcursionKind.BATTERY)
TEMPERATURE_KINDS = (ExcursionKind.SINGLE, ExcursionKind.CUMULATIVE, ExcursionKind.MKT)

COLOURS = {
    "series": "#1f4e79",
    "ambient": "#6b7b8c",
    "range": "#e3f2e6",
    "range_edge": "#2e7d32",
    "warning": "#c77700",
    "critical": "#c0392b",
    "grid": "#dddddd",
    "axis": "#555555",
    "text": "#333333",
    "frame": "#999999",
}


# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limit:
    value_c: float
    label: str
    style: str  # "range", "warning" or "critical"


@dataclass(frozen=True)
class Band:
    """An excursion drawn on the chart: shaded from ``start`` to ``end`` when it is a stretch
    of time, a vertical mark at ``start`` when ``end`` is None."""

    start: datetime
    end: datetime | None
    label: str
    severity: str
    still_open: bool = False


@dataclass(frozen=True)
class LoggerChart:
    serial: str
    role: str
    zone: str
    times: list[datetime]
    temps: list[float]
    raw_count: int
    limits: list[Limit] = field(default_factory=list)
    range_c: tuple[float, float] | None = None
    bands: list[Band] = field(default_factory=list)
    break_after_s: float = 1800.0

    @property
    def title(self) -> str:
        return f"Logger {self.serial} ({self.role})"


def downsample_min_max(times: list[datetime], temps: list[float], *, buckets: int = MAX_BUCKETS
                       ) -> tuple[list[datetime], list[float]]:
    """At most ``2 * buckets`` points: the series split into equal stretches of time, each kept
    as its lowest and highest reading in the order they happened. Short series come back whole."""
    n = len(times)
    if n <= 2 * buckets:
        return list(times), list(temps)
    t0 = times[0].timestamp()
    span = times[-1].timestamp() - t0 or 1.0
    out_t: list[datetime] = []
    out_c: list[float] = []
    current = -1
    lo = hi = 0
    for i in range(n):
        index = min(int((times[i].timestamp() - t0) / span * buckets), buckets - 1)
        if index != current:
            if current >= 0:
                _emit(out_t, out_c, times, temps, lo, hi)
            current, lo, hi = index, i, i
            continue
        if temps[i] < temps[lo]:
            lo = i
        if temps[i] > temps[hi]:
            hi = i
    _emit(out_t, out_c, times, temps, lo, hi)
    return out_t, out_c


def _emit(out_t, out_c, times, temps, lo: int, hi: int) -> None:
    for i in sorted({lo, hi}):
        out_t.append(times[i])
        out_c.append(temps[i])


def _limits(definition: dict) -> list[Limit]:
    """The labelled range's ends and every rule threshold; one line per temperature, naming
    every rule that uses it."""
    by_value: dict[float, list[tuple[str, str]]] = {}
    by_value.setdefault(float(definition["min_c"]), []).append(("range", "range min"))
    by_value.setdefault(float(definition["max_c"]), []).append(("range", "range max"))
    for rule in definition.get("rules", ()):
        kind = "cumulative" if rule["kind"] == "cumulative" else "single"
        after = f"{rule['after_min']:g} min"
        text = f"{rule['severity']}: {kind} {rule['direction']} for {after}"
        by_value.setdefault(float(rule["threshold_c"]), []).append((rule["severity"], text))
    limits = []
    rank = {"range": 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
    for value, uses in sorted(by_value.items()):
        style = max((u[0] for u in uses), key=lambda s: rank.get(s, 0))
        limits.append(Limit(value_c=value, label=f"{value:g} °C — " + "; ".join(u[1] for u in uses), style=style))
    return limits


def logger_charts(shipment: Shipment, *, zone: str | None = None, buckets: int = MAX_BUCKETS) -> list[LoggerChart]:
    """One chart per logger assigned to the shipment, oldest assignment first: its readings
    inside the assignment window (one query per logger), the profile's limits for product
    loggers (ambient ones are recorded, never alarmed on), and its excursions."""
    definition = shipment.profile_version.definition
    zone = zone or shipment.destination.timezone
    excursions = list(shipment.excursions.exclude(status=ExcursionStatus.SUPERSEDED).order_by("started_at", "id"))
    gap_s = 60.0 * (definition.get("max_gap_min") or 30)
    charts = []
    for assignment in shipment.assignments.select_related("logger").order_by("assigned_at", "id"):
        readings = Reading.objects.filter(logger_id=assignment.logger_id, recorded_at__gte=assignment.assigned_at)
        if assignment.released_at is not None:
            readings = readings.filter(recorded_at__lt=assignment.released_at)
        rows = list(readings.order_by("recorded_at").values_list("recorded_at", "temperature_c"))
        times = [r[0] for r in rows]
        temps = [r[1] for r in rows]
        small_t, small_c = downsample_min_max(times, temps, buckets=buckets)
        product = assignment.role == LoggerRole.PRODUCT
        bands = []
        if product and times:
            for excursion in excursions:
                if excursion.logger_id not in (None, assignment.logger_id):
                    continue
                bands.append(_band(excursion, last=times[-1]))
        bucket_s = (times[-1] - times[0]).total_seconds() / buckets if len(times) > 2 * buckets else 0
        charts.append(LoggerChart(
            serial=assignment.logger.serial, role=assignment.role, zone=zone, times=small_t, temps=small_c,
            raw_count=len(times), limits=_limits(definition) if product else [],
            range_c=(definition["min_c"], definition["max_c"]) if product else None, bands=bands,
            break_after_s=max(gap_s, 2.5 * bucket_s),
        ))
    return charts


def _band(excursion, *, last: datetime) -> Band:
    label = f"#{excursion.pk} {excursion.get_kind_display()}"
    if excursion.kind in SHADED_KINDS:
        end = excursion.ended_at or max(last, excursion.started_at)
        return Band(start=excursion.started_at, end=end, label=label, severity=excursion.severity,
                    still_open=excursion.ended_at is None)
    return Band(start=excursion.alarm_at, end=None, label=label, severity=excursion.severity)


# --- Geometry ---------------------------------------------------------------------------------
# The scene is in SVG coordinates (origin top left, y down); the ReportLab renderer flips y.


@dataclass(frozen=True)
class Shape:
    kind: str  # rect, line, poly, text
    style: str
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    points: tuple[tuple[float, float], ...] = ()
    text: str = ""
    anchor: str = "start"
    size: float = 10


TIME_STEPS = [timedelta(minutes=m) for m in (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10080)]


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / max(target, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _time_ticks(t0: datetime, t1: datetime, zone: ZoneInfo, target: int = 7) -> list[tuple[datetime, str]]:
    span = t1 - t0
    step = next((s for s in TIME_STEPS if span / s <= target), TIME_STEPS[-1])
    local0 = t0.astimezone(zone)
    tick = local0.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks = []
    previous_day = None
    while tick <= t1:
        if tick >= t0:
            day = tick.date()
            fmt = "%d %b" if step >= timedelta(days=1) else "%H:%M" if day == previous_day else "%d %b %H:%M"
            ticks.append((tick, tick.strftime(fmt)))
            previous_day = day
        tick = (tick.astimezone(ZoneInfo("UTC")) + step).astimezone(zone) if step < timedelta(days=1) else tick + step
    return ticks


def chart_scene(chart: LoggerChart, *, width: float = 960, height: float = 320) -> list[Shape]:
    """The chart as plain shapes: background, labelled range, grid and axes, excursion bands,
    threshold lines, the series, and a legend of the lines at the bottom."""
    zone = ZoneInfo(chart.zone)
    legend_rows = len(chart.limits)
    left, right, top = 64.0, 16.0, 26.0
    bottom = 40.0 + 13.0 * legend_rows
    plot_w, plot_h = width - left - right, height - top - bottom
    shapes: list[Shape] = [Shape("text", "title", x=left, y=16, text=chart.title, size=12)]
    shapes.append(Shape("rect", "frame", x=left, y=top, w=plot_w, h=plot_h))
    if not chart.times:
        shapes.append(Shape("text", "muted", x=left + plot_w / 2, y=top + plot_h / 2, text="No readings yet",
                            anchor="middle", size=12))
        return shapes

    t0, t1 = chart.times[0], chart.times[-1]
    for band in chart.bands:
        t0 = min(t0, band.start)
        t1 = max(t1, band.end or band.start)
    if t1 <= t0:
        t1 = t0 + timedelta(minutes=10)
    values = list(chart.temps) + [limit.value_c for limit in chart.limits]
    lo, hi = min(values), max(values)
    pad = max((hi - lo) * 0.06, 0.5)
    lo, hi = lo - pad, hi + pad
    step_c = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step_c) * step_c, math.ceil(hi / step_c) * step_c
    span_s = (t1 - t0).total_seconds()

    def x(t: datetime) -> float:
        return left + (t - t0).total_seconds() / span_s * plot_w

    def y(c: float) -> float:
        return top + (hi - c) / (hi - lo) * plot_h

    if chart.range_c is not None:
        r_lo, r_hi = chart.range_c
        shapes.append(Shape("rect", "range", x=left, y=y(r_hi), w=plot_w, h=y(r_lo) - y(r_hi)))
    # Temperature grid and labels.
    value = lo
    while value <= hi + step_c / 1000:
        shapes.append(Shape("line", "grid", points=((left, y(value)), (left + plot_w, y(value)))))
        shapes.append(Shape("text", "axis", x=left - 6, y=y(value) + 3.5, text=f"{value:g}", anchor="end", size=9))
        value += step_c
    shapes.append(Shape("text", "axis", x=12, y=top + plot_h / 2, text="°C", anchor="middle", size=9))
    # Time grid and labels, in the facility's local time.
    for tick, label in _time_ticks(t0, t1, zone):
        shapes.append(Shape("line", "grid", points=((x(tick), top), (x(tick), top + plot_h))))
        shapes.append(Shape("text", "axis", x=x(tick), y=top + plot_h + 14, text=label, anchor="middle", size=9))
    offset = t1.astimezone(zone).strftime("%z")
    shapes.append(Shape("text", "axis", x=left + plot_w, y=top + plot_h + 28, anchor="end", size=9,
                        text=f"local time, {chart.zone} (UTC{offset[:3]}:{offset[3:]})"))
    # Excursions: shaded stretches, marked instants.
    for band in chart.bands:
        style = "band_critical" if band.severity == Severity.CRITICAL else "band_warning"
        colour = "critical" if band.severity == Severity.CRITICAL else "warning"
        if band.end is not None:
            x0, x1 = x(band.start), max(x(band.end), x(band.start) + 2)
            shapes.append(Shape("rect", style, x=x0, y=top, w=x1 - x0, h=plot_h))
        else:
            x0 = x(band.start)
            shapes.append(Shape("line", f"mark_{colour}", points=((x0, top), (x0, top + plot_h))))
        text = band.label + (" (open)" if band.still_open else "")
        if x0 + 3 + 5.2 * len(text) > left + plot_w:  # near the right edge: label to the left of it
            shapes.append(Shape("text", colour, x=left + plot_w - 3, y=top + 11, text=text, anchor="end", size=9))
        else:
            shapes.append(Shape("text", colour, x=x0 + 3, y=top + 11, text=text, size=9))
    # Limits: the range's ends solid, rule thresholds dashed.
    for limit in chart.limits:
        style = "range_edge" if limit.style == "range" else f"limit_{limit.style}"
        shapes.append(Shape("line", style, points=((left, y(limit.value_c)), (left + plot_w, y(limit.value_c)))))
    # The series, broken where the logger was silent for longer than the profile's gap.
    series_style = "series" if chart.role == LoggerRole.PRODUCT else "ambient"
    segment: list[tuple[float, float]] = []
    previous = None
    for t, c in zip(chart.times, chart.temps, strict=True):
        if previous is not None and (t - previous).total_seconds() > chart.break_after_s and segment:
            shapes.append(Shape("poly", series_style, points=tuple(segment)))
            segment = []
        segment.append((round(x(t), 2), round(y(c), 2)))
        previous = t
    if segment:
        shapes.append(Shape("poly", series_style, points=tuple(segment)))
    # Legend.
    legend_y = top + plot_h + 44
    for i, limit in enumerate(chart.limits):
        style = "range_edge" if limit.style == "range" else f"limit_{limit.style}"
        row_y = legend_y + 13 * i
        shapes.append(Shape("line", style, points=((left, row_y - 3.5), (left + 22, row_y - 3.5))))
        shapes.append(Shape("text", "legend", x=left + 28, y=row_y, text=limit.label, size=9))
    return shapes


def scene_height(chart: LoggerChart) -> float:
    """Product loggers get room for their limits' legend; ambient ones are context, kept low."""
    return (300.0 if chart.limits else 220.0) + 13 * len(chart.limits)


# --- SVG --------------------------------------------------------------------------------------

SVG_STYLES = {
    "frame": 'fill="none" stroke="{frame}" stroke-width="1"',
    "range": 'fill="{range}" stroke="none"',
    "grid": 'stroke="{grid}" stroke-width="0.6"',
    "range_edge": 'stroke="{range_edge}" stroke-width="1.4"',
    "limit_warning": 'stroke="{warning}" stroke-width="1.4" stroke-dasharray="6 4"',
    "limit_critical": 'stroke="{critical}" stroke-width="1.4" stroke-dasharray="6 4"',
    "band_warning": 'fill="{warning}" fill-opacity="0.16" stroke="none"',
    "band_critical": 'fill="{critical}" fill-opacity="0.16" stroke="none"',
    "mark_warning": 'stroke="{warning}" stroke-width="1.6"',
    "mark_critical": 'stroke="{critical}" stroke-width="1.6"',
    "series": 'fill="none" stroke="{series}" stroke-width="1.5" stroke-linejoin="round"',
    "ambient": 'fill="none" stroke="{ambient}" stroke-width="1.2" stroke-linejoin="round"',
    "title": 'fill="{text}" font-weight="bold"',
    "axis": 'fill="{axis}"',
    "legend": 'fill="{text}"',
    "muted": 'fill="{axis}"',
    "warning": 'fill="{warning}"',
    "critical": 'fill="{critical}"',
}


def chart_svg(chart: LoggerChart, *, width: float = 960, height: float | None = None) -> SafeString:
    """The chart as an inline ``<svg>`` element (it scales to its container's width)."""
    height = height or scene_height(chart)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cc-chart" viewBox="0 0 {width:g} {height:g}" '
        f'width="100%" preserveAspectRatio="xMidYMid meet" role="img" data-logger="{escape(chart.serial)}" '
        f'data-points="{len(chart.times)}" data-readings="{chart.raw_count}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" '
        f'aria-label="{escape(chart.title)}: {chart.raw_count} readings">'
    ]
    for shape in chart_scene(chart, width=width, height=height):
        attrs = SVG_STYLES[shape.style].format(**COLOURS)
        if shape.kind == "rect":
            parts.append(f'<rect x="{shape.x:.2f}" y="{shape.y:.2f}" width="{shape.w:.2f}" height="{shape.h:.2f}" {attrs}/>')
        elif shape.kind == "line":
            (x1, y1), (x2, y2) = shape.points
            parts.append(f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" {attrs}/>')
        elif shape.kind == "poly":
            points = " ".join(f"{px:g},{py:g}" for px, py in shape.points)
            parts.append(f'<polyline class="series" points="{points}" {attrs}/>')
        else:
            parts.append(f'<text x="{shape.x:.2f}" y="{shape.y:.2f}" font-size="{shape.size:g}" '
                         f'text-anchor="{shape.anchor}" {attrs}>{escape(shape.text)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped; numbers are formatted


# --- ReportLab --------------------------------------------------------------------------------


def chart_drawing(chart: LoggerChart, *, width: float):
    """The chart as a ReportLab ``Drawing`` ``width`` points wide, for the printed report."""
    from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
    from reportlab.lib.colors import HexColor

    # The scene is laid out at a width that keeps its 9-unit text near 7 pt on the page.
    scene_w, scene_h = 640.0, scene_height(chart)
    scale = width / scene_w
    height = scene_h * scale
    drawing = Drawing(width, height)
    c = {name: HexColor(value) for name, value in COLOURS.items()}
    fy = lambda value: height - value  # noqa: E731 - flip SVG's y-down into PDF's y-up

    line_styles = {
        "grid": (c["grid"], 0.4, None), "range_edge": (c["range_edge"], 1.0, None),
        "limit_warning": (c["warning"], 1.0, [4, 3]), "limit_critical": (c["critical"], 1.0, [4, 3]),
        "mark_warning": (c["warning"], 1.2, None), "mark_critical": (c["critical"], 1.2, None),
        "series": (c["series"], 0.9, None), "ambient": (c["ambient"], 0.8, None),
    }
    text_colours = {"title": c["text"], "axis": c["axis"], "legend": c["text"], "muted": c["axis"],
                    "warning": c["warning"], "critical": c["critical"]}
    for shape in chart_scene(chart, width=scene_w, height=scene_h):
        if shape.kind == "rect":
            if shape.style == "frame":
                rect = Rect(shape.x * scale, fy((shape.y + shape.h) * scale), shape.w * scale, shape.h * scale,
                            fillColor=None, strokeColor=c["frame"], strokeWidth=0.6)
            else:
                fill = {"range": c["range"], "band_warning": c["warning"], "band_critical": c["critical"]}[shape.style]
                rect = Rect(shape.x * scale, fy((shape.y + shape.h) * scale), shape.w * scale, shape.h * scale,
                            fillColor=fill, strokeColor=None, strokeWidth=0,
                            fillOpacity=1 if shape.style == "range" else 0.18)
            drawing.add(rect)
        elif shape.kind in ("line", "poly"):
            colour, stroke_width, dash = line_styles[shape.style]
            points = [v for px, py in shape.points for v in (px * scale, fy(py * scale))]
            if shape.kind == "line":
                drawing.add(Line(*points, strokeColor=colour, strokeWidth=stroke_width, strokeDashArray=dash))
            else:
                drawing.add(PolyLine(points, strokeColor=colour, strokeWidth=stroke_width, strokeLineJoin=1))
        else:
            size = shape.size * scale
            drawing.add(String(shape.x * scale, fy(shape.y * scale), shape.text, fontSize=size,
                               fontName="Helvetica-Bold" if shape.style == "title" else "Helvetica",
                               fillColor=text_colours[shape.style], textAnchor=shape.anchor))
    return drawing
