"""The physical checks every reading passes before it is stored, whatever its source (a file or
the JSON API): RULES.md §1, "refused as impossible"."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from .base import fahrenheit_to_celsius, kelvin_to_celsius

__all__ = ["ABSOLUTE_ZERO_C", "FUTURE_TOLERANCE", "check_reading", "fahrenheit_to_celsius",
           "kelvin_to_celsius"]

ABSOLUTE_ZERO_C = -273.15
FUTURE_TOLERANCE = timedelta(minutes=10)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check_reading(recorded_at, temperature_c, latitude=None, longitude=None, *,
                  now: datetime) -> list[tuple[str, str]]:
    """``[(field, message)]`` for what makes a reading impossible, empty when none: a naive time;
    a time more than 10 minutes after ``now``; a temperature that is not a finite number or is
    below -273.15 °C; a latitude outside [-90, 90]; a longitude outside [-180, 180].
    ``now`` must be aware (the caller's clock: nothing here reads one)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    problems: list[tuple[str, str]] = []

    if not isinstance(recorded_at, datetime):
        problems.append(("recorded_at", f"expected a date and time, got {recorded_at!r}"))
    elif recorded_at.tzinfo is None or recorded_at.utcoffset() is None:
        problems.append(("recorded_at", f"{recorded_at.isoformat()} has no UTC offset; "
                                        "times without one are refused"))
    elif recorded_at > now + FUTURE_TOLERANCE:
        problems.append(("recorded_at", f"{recorded_at.isoformat()} is more than 10 minutes in "
                                        f"the future (now is {now.isoformat(timespec='seconds')})"))

    temperature = _number(temperature_c)
    if temperature is None:
        problems.append(("temperature_c", f"expected a number, got {temperature_c!r}"))
    elif not math.isfinite(temperature):
        problems.append(("temperature_c", f"{temperature_c!r} is not a finite temperature"))
    elif temperature < ABSOLUTE_ZERO_C:
        problems.append(("temperature_c", f"{temperature:g} °C is below absolute zero "
                                          f"({ABSOLUTE_ZERO_C} °C)"))

    for name, value, limit in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        if value is None:
            continue
        number = _number(value)
        if number is None:
            problems.append((name, f"expected a number, got {value!r}"))
        elif not math.isfinite(number) or not -limit <= number <= limit:
            problems.append((name, f"{name} {value!r} is outside [{-limit:g}, {limit:g}]"))
    return problems
