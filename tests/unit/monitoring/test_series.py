"""The engine's input: one logger's readings as numpy columns (RULES.md §1)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest

from shipments.monitoring import Series, from_us, to_us


def test_from_lists_takes_microseconds_or_aware_datetimes():
    when = datetime(2024, 3, 1, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    series = Series.from_lists([when, to_us(when) + 1], [5.0, 6.0], tilt=[None, 3.0])
    assert series.t.tolist() == [to_us(when), to_us(when) + 1]
    assert from_us(int(series.t[0])) == when
    assert math.isnan(series.tilt[0]) and series.tilt[1] == 3.0
    assert np.isnan(series.battery).all()


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        to_us(datetime(2024, 3, 1, 9, 0))


def test_times_must_strictly_increase():
    with pytest.raises(ValueError):
        Series.from_lists([2, 1], [5.0, 5.0])
    with pytest.raises(ValueError):
        Series.from_lists([1, 1], [5.0, 5.0])


def test_impossible_temperatures_are_refused():
    for bad in (float("nan"), float("inf"), -273.16):
        with pytest.raises(ValueError):
            Series.from_lists([1], [bad])


def test_infinite_tilt_or_battery_is_refused():
    with pytest.raises(ValueError):
        Series.from_lists([1], [5.0], tilt=[float("inf")])
    with pytest.raises(ValueError):
        Series.from_lists([1], [5.0], battery=[float("-inf")])


def test_from_unsorted_sorts_and_keeps_the_first_value_for_an_instant():
    series = Series.from_unsorted([30, 10, 20, 10, 30], [3.0, 1.0, 2.0, 9.0, 9.0],
                                  battery=[None, 50.0, None, 10.0, None])
    assert series.t.tolist() == [10, 20, 30]
    assert series.temp.tolist() == [1.0, 2.0, 3.0]
    assert series.battery[0] == 50.0


def test_series_columns_are_read_only_and_slices_are_views():
    series = Series.from_lists([1, 2, 3], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        series.temp[0] = 5.0
    assert series[1:].t.tolist() == [2, 3]
    assert series.after(2).t.tolist() == [3]
    assert len(Series.empty()) == 0


def test_epoch_conversion_is_exact_to_the_microsecond():
    when = datetime(2031, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    assert from_us(to_us(when)) == when
