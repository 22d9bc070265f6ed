"""Bulk validation of a readings batch (API.md "Readings batch").

One pass over plain dicts, no per-row serializer: a 10,000-reading batch is validated in a few
milliseconds. All or nothing: every problem is reported by index and field, and nothing is stored
unless the whole batch is valid."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from ..ingest.checks import check_reading, fahrenheit_to_celsius

ABSOLUTE_ZERO_C = -273.15
INF = float("inf")
FUTURE_TOLERANCE = timedelta(minutes=10)

OPTIONAL_NUMBERS = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "tilt_deg": (0.0, 180.0),
    "battery_pct": (0.0, 100.0),
    "humidity_pct": (0.0, 100.0),
}


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def validate_batch(items, *, now: datetime) -> tuple[list[dict], list[dict], int]:
    """Return ``(readings, errors, repeats)``: readings as dicts ready for storage; errors as
    ``{index, field, message}``; ``repeats`` counts identical repetitions inside the batch (kept
    once, reported as duplicates). Two different values for one instant are an error.

    A valid item costs one fast pass (about a microsecond); only an item that fails it goes
    through ``_item_errors`` for messages a person can act on."""
    if not isinstance(items, list):
        return [], [{"index": None, "field": "readings", "message": "Expected a list of readings."}], 0
    readings: list[dict] = []
    errors: list[dict] = []
    first_index: dict[datetime, int] = {}
    repeats = 0
    latest = now + FUTURE_TOLERANCE
    parse_time = datetime.fromisoformat
    for index, item in enumerate(items):
        reading = None
        try:
            raw_time = item["recorded_at"]
            temperature = item["temperature_c"]
            if type(raw_time) is str and type(temperature) in (float, int):
                recorded_at = parse_time(raw_time)
                if (recorded_at.tzinfo is not None and recorded_at <= latest
                        and ABSOLUTE_ZERO_C <= temperature < INF and len(item) <= 8):
                    reading = {"recorded_at": recorded_at, "temperature_c": float(temperature)}
                    for name, (low, high) in OPTIONAL_NUMBERS.items():
                        value = item.get(name)
                        if value is not None:
                            if type(value) not in (float, int) or not low <= value <= high:
                                reading = None
                                break
                            value = float(value)
                        reading[name] = value
                    if reading is not None and (reading["latitude"] is None) != (reading["longitude"] is None):
                        reading = None
        except (KeyError, TypeError, ValueError):
            reading = None
        if reading is None:
            problems = _item_errors(item, now)
            if problems:
                errors.extend({"index": index, "field": f, "message": m} for f, m in problems)
                continue
            reading = _item_reading(item)
        recorded_at = reading["recorded_at"]
        first = first_index.get(recorded_at)
        if first is not None:
            earlier = readings[first]
            if earlier["temperature_c"] != reading["temperature_c"]:
                errors.append({"index": index, "field": "recorded_at",
                               "message": f"Two values for {item['recorded_at']} in one batch (index "
                                          f"{earlier['_index']} has {earlier['temperature_c']:g} °C)."})
            else:
                repeats += 1
            continue
        first_index[recorded_at] = len(readings)
        reading["_index"] = index
        readings.append(reading)
    for reading in readings:
        del reading["_index"]
    return readings, errors, repeats


def _item_reading(item: dict) -> dict:
    """A valid item that missed the fast path (e.g. °F): its reading."""
    if "temperature_c" in item:
        temperature = float(item["temperature_c"])
    else:
        temperature = fahrenheit_to_celsius(float(item["temperature_f"]))
    reading = {"recorded_at": datetime.fromisoformat(item["recorded_at"]), "temperature_c": temperature}
    for name in OPTIONAL_NUMBERS:
        value = item.get(name)
        reading[name] = None if value is None else float(value)
    return reading


def _item_errors(item, now: datetime) -> list[tuple[str, str]]:
    """Every problem of one item, as (field, message)."""
    if not isinstance(item, dict):
        return [("", "Expected an object.")]
    item_errors: list[tuple[str, str]] = []
    raw_time = item.get("recorded_at")
    recorded_at = None
    if raw_time is None:
        item_errors.append(("recorded_at", "This field is required."))
    elif not isinstance(raw_time, str):
        item_errors.append(("recorded_at", "Expected an ISO 8601 string with an offset."))
    else:
        try:
            recorded_at = datetime.fromisoformat(raw_time)
        except ValueError:
            item_errors.append(("recorded_at", f"{raw_time!r} is not an ISO 8601 time."))
    temperature = None
    if "temperature_c" in item:
        temperature = _number(item["temperature_c"])
        if temperature is None:
            item_errors.append(("temperature_c", "Expected a number (°C)."))
    elif "temperature_f" in item:
        fahrenheit = _number(item["temperature_f"])
        if fahrenheit is None or not math.isfinite(fahrenheit):
            item_errors.append(("temperature_f", "Expected a finite number (°F)."))
        else:
            temperature = fahrenheit_to_celsius(fahrenheit)
    else:
        item_errors.append(("temperature_c", "This field is required."))
    for name, (low, high) in OPTIONAL_NUMBERS.items():
        value = item.get(name)
        if value is None:
            continue
        number = _number(value)
        if number is None or not math.isfinite(number):
            item_errors.append((name, "Expected a finite number."))
        elif not low <= number <= high:
            item_errors.append((name, f"{number:g} is outside [{low:g}, {high:g}]."))
    if (item.get("latitude") is None) != (item.get("longitude") is None):
        item_errors.append(("longitude" if item.get("longitude") is None else "latitude",
                            "Give latitude and longitude together."))
    if recorded_at is not None and temperature is not None:
        named = {f for f, _ in item_errors}
        item_errors.extend((f, m) for f, m in check_reading(recorded_at, temperature, now=now) if f not in named)
    return item_errors
