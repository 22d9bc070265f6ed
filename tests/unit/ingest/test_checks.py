"""The physical checks of RULES.md §1, shared by file uploads and the JSON API."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shipments.ingest import check_reading, fahrenheit_to_celsius, kelvin_to_celsius

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_a_plausible_reading_passes():
    assert check_reading(NOW - timedelta(hours=1), -182.4, 47.56, 7.59, now=NOW) == []


@pytest.mark.parametrize("temperature", [-273.15, -196.0, 0, 121.0])
def test_temperatures_down_to_absolute_zero_pass(temperature):
    assert check_reading(NOW, temperature, now=NOW) == []


@pytest.mark.parametrize(
    ("temperature", "message"),
    [
        (-273.16, "-273.16 °C is below absolute zero (-273.15 °C)"),
        (-300, "-300 °C is below absolute zero (-273.15 °C)"),
        (math.nan, "nan is not a finite temperature"),
        (math.inf, "inf is not a finite temperature"),
        (-math.inf, "-inf is not a finite temperature"),
        ("4.0", "expected a number, got '4.0'"),
        (None, "expected a number, got None"),
        (True, "expected a number, got True"),
    ],
)
def test_impossible_temperatures_are_flagged(temperature, message):
    assert check_reading(NOW, temperature, now=NOW) == [("temperature_c", message)]


def test_naive_time_is_flagged():
    assert check_reading(datetime(2026, 3, 2, 11, 0), 4.0, now=NOW) == [
        ("recorded_at", "2026-03-02T11:00:00 has no UTC offset; times without one are refused"),
    ]


def test_up_to_ten_minutes_ahead_is_tolerated_beyond_is_flagged():
    assert check_reading(NOW + timedelta(minutes=10), 4.0, now=NOW) == []
    ahead = NOW + timedelta(minutes=10, microseconds=1)
    assert check_reading(ahead, 4.0, now=NOW) == [
        ("recorded_at", "2026-03-02T12:10:00.000001+00:00 is more than 10 minutes in the future "
                        "(now is 2026-03-02T12:00:00+00:00)"),
    ]


def test_future_is_judged_across_offsets():
    plus_two = timezone(timedelta(hours=2))
    assert check_reading(datetime(2026, 3, 2, 14, 5, tzinfo=plus_two), 4.0, now=NOW) == []
    assert check_reading(datetime(2026, 3, 2, 14, 11, tzinfo=plus_two), 4.0, now=NOW) != []


def test_far_future_time_is_flagged():
    assert check_reading(datetime(2099, 1, 1, tzinfo=UTC), 4.0, now=NOW)[0][0] == "recorded_at"


@pytest.mark.parametrize(
    ("latitude", "longitude", "expected"),
    [
        (90, 180, []),
        (-90, -180, []),
        (90.0001, 0, [("latitude", "latitude 90.0001 is outside [-90, 90]")]),
        (0, -180.5, [("longitude", "longitude -180.5 is outside [-180, 180]")]),
        (math.nan, 0, [("latitude", "latitude nan is outside [-90, 90]")]),
        ("47", 7, [("latitude", "expected a number, got '47'")]),
    ],
)
def test_positions_outside_the_globe_are_flagged(latitude, longitude, expected):
    assert check_reading(NOW, 4.0, latitude, longitude, now=NOW) == expected


def test_every_problem_is_reported_at_once():
    problems = check_reading(datetime(2026, 3, 2), -500, 95, 200, now=NOW)
    assert [field for field, _ in problems] == ["recorded_at", "temperature_c", "latitude", "longitude"]


def test_now_must_be_aware():
    with pytest.raises(ValueError, match="now must be an aware datetime"):
        check_reading(NOW, 4.0, now=datetime(2026, 3, 2))


@pytest.mark.parametrize(
    ("fahrenheit", "celsius"),
    [(32, 0.0), (212, 100.0), (-40, -40.0), (72.86, 22.7), (37.4, 3.0), (-321.0, -196.11), (98.6, 37.0)],
)
def test_fahrenheit_to_celsius_rounds_to_a_hundredth(fahrenheit, celsius):
    assert fahrenheit_to_celsius(fahrenheit) == celsius


def test_kelvin_to_celsius_rounds_to_a_hundredth():
    assert kelvin_to_celsius(77.36) == -195.79
    assert kelvin_to_celsius(273.15) == 0.0


def test_checks_module_exposes_the_conversion_the_api_imports():
    from shipments.ingest.checks import check_reading as from_checks
    from shipments.ingest.checks import fahrenheit_to_celsius as f_to_c

    assert from_checks is check_reading
    assert f_to_c(50) == 10.0
