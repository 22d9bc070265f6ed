"""The server-rendered chart: limits drawn, excursions shaded, long series kept light without
losing a peak."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from shipments.charts import chart_svg, downsample_min_max, logger_charts

from .builders import make_shipment, steady, with_excursion

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def test_min_max_buckets_keep_every_extreme_and_time_order():
    times = [T0 + timedelta(minutes=i) for i in range(14_400)]
    temps = [-182.0 + (i % 13) * 0.1 for i in range(14_400)]
    temps[7_777] = -121.5  # a one-minute spike
    temps[1_234] = -195.0

    small_t, small_c = downsample_min_max(times, temps, buckets=600)

    assert len(small_t) <= 1_200
    assert max(small_c) == -121.5 and min(small_c) == -195.0
    assert small_t == sorted(small_t)


def test_a_short_series_is_drawn_whole():
    times = [T0 + timedelta(minutes=i) for i in range(50)]
    assert downsample_min_max(times, [1.0] * 50) == (times, [1.0] * 50)


@pytest.mark.django_db
def test_a_ten_day_series_renders_light_and_fast(world, evaluated):
    temps = steady(14_400)
    temps[9_000] = -100.0  # one critical spike in ten days
    shipment = evaluated(lambda: make_shipment(world, "SHP-LONG", temps=temps, expires_in_h=400))

    started = time.perf_counter()
    [chart] = logger_charts(shipment)
    svg = str(chart_svg(chart))
    elapsed = time.perf_counter() - started

    assert chart.raw_count == 14_400 and len(chart.times) <= 1_200
    assert -100.0 in chart.temps
    assert len(svg) < 80_000, len(svg)
    assert elapsed < 2.0
    assert 'data-readings="14400"' in svg


@pytest.mark.django_db
def test_limits_thresholds_and_the_excursion_are_drawn(world, evaluated):
    shipment = evaluated(lambda: make_shipment(world, "SHP-WARM", temps=with_excursion()))
    [chart] = logger_charts(shipment)
    svg = str(chart_svg(chart))

    assert [limit.value_c for limit in chart.limits] == [-196.0, -150.0, -120.0]
    assert chart.range_c == (-196.0, -150.0)
    assert svg.count('stroke-dasharray="6 4"') >= 2  # rule thresholds
    assert 'fill-opacity="0.16"' in svg  # the excursion's shaded stretch
    excursion = shipment.excursions.get()
    assert f"#{excursion.pk} Single (open)" in svg
    points = re.search(r'<polyline class="series" points="([^"]+)"', svg).group(1).split()
    assert len(points) == 120


@pytest.mark.django_db
def test_a_silent_stretch_breaks_the_line(world, evaluated):
    shipment = evaluated(lambda: make_shipment(world, "SHP-GAP", temps=steady(100)))
    logger = shipment.assignments.get().logger
    # Remove 45 minutes in the middle (the profile's gap is 30 min).
    logger.readings.filter(recorded_at__gte=logger.readings.order_by("recorded_at")[30].recorded_at,
                           recorded_at__lt=logger.readings.order_by("recorded_at")[75].recorded_at).delete()
    svg = str(chart_svg(logger_charts(shipment)[0]))
    assert svg.count('<polyline class="series"') == 2


@pytest.mark.django_db
def test_ambient_loggers_are_charted_without_limits(world):
    shipment = make_shipment(world, "SHP-AMB")
    chart = logger_charts(shipment)[0]
    assert chart.limits  # product logger
    assert "No readings yet" in str(chart_svg(chart))
