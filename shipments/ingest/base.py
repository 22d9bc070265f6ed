"""What every logger-file parser produces, and the small value rules they share.

Plain Python: no Django here, so the parsers can be tested (and benchmarked) without a settings
module. The storage layer turns ``ParsedReading`` items into rows and ``RowError`` items into the
upload's error list.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

KNOWN_FORMATS: tuple[str, ...] = ("native_csv", "berlinger", "logtag", "hobo", "epcis")

FORMAT_NAMES = {
    "native_csv": "the service's own CSV",
    "berlinger": "Berlinger Q-tag / Fridge-tag text export",
    "logtag": "LogTag Analyzer CSV export",
    "hobo": "Onset HOBOware CSV export",
    "epcis": "GS1 EPCIS 2.0 JSON-LD document with sensor data",
}


@dataclass(frozen=True, slots=True)
class ParsedReading:
    """One reading read from a file. ``line`` is the 1-based line of the file (the 1-based event
    index for EPCIS); ``recorded_at`` is aware and in UTC; ``temperature_c`` is in °C (converted
    from °F or K and rounded to 0.01 °C when the file was not in °C)."""

    line: int
    recorded_at: datetime
    temperature_c: float
    logger_serial: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    tilt_deg: float | None = None
    battery_pct: float | None = None
    humidity_pct: float | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be read: where, and what was wrong with which value."""

    line: int
    message: str


@dataclass
class ParseResult:
    """Facts about the file, filled in as its items are consumed.

    ``rows`` counts the data rows seen so far (readings + row errors + skipped rows); ``skipped``
    the rows left out on purpose (no value, event rows), with the reasons counted in
    ``metadata["skipped_reasons"]``. ``timezone`` is the zone used for times that carried none;
    ``metadata["timezone_reason"]`` says why that one.
    """

    format: str
    timezone: str
    metadata: dict = field(default_factory=dict)
    rows: int = 0
    skipped: int = 0

    def skip(self, reason: str) -> None:
        """Count a row left out on purpose, under a reason a person can read."""
        self.rows += 1
        self.skipped += 1
        reasons = self.metadata.setdefault("skipped_reasons", {})
        reasons[reason] = reasons.get(reason, 0) + 1

    def note(self, text: str) -> None:
        """Add a sentence worth showing on the upload (once)."""
        notes = self.metadata.setdefault("notes", [])
        if text not in notes:
            notes.append(text)


Item = ParsedReading | RowError
Items = Iterator[Item]


class UnknownFormat(ValueError):
    """The file is not one of the formats we read. The message names the known ones."""

    def __init__(self, reason: str = "the file's format was not recognised"):
        known = ", ".join(KNOWN_FORMATS)
        super().__init__(f"{reason}. Known formats: {known}.")
        self.reason = reason


class UnreadableFile(ValueError):
    """The file cannot be read as text at all (empty, binary, undecodable)."""


class RowProblem(ValueError):
    """Raised inside a parser for a bad value; becomes a ``RowError`` for that row."""


# -- numbers and units ---------------------------------------------------------------------------

_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})


def parse_number(text: str, what: str) -> float:
    """Read a decimal number as loggers write it: ``-16.8``, ``+8.0``, ``1,5`` (a decimal comma,
    only when there is no point and a single comma), the Unicode minus. ``nan`` and ``inf`` are
    read as such: the physical checks refuse them later, with a clear message."""
    s = text.strip().translate(_MINUS_SIGNS)
    if not s:
        raise RowProblem(f"{what} is empty")
    if "," in s:
        if "." in s or s.count(",") > 1:
            raise RowProblem(f"{what} {text.strip()!r} is not a number")
        s = s.replace(",", ".")
    if "_" in s:
        raise RowProblem(f"{what} {text.strip()!r} is not a number")
    try:
        return float(s)
    except ValueError:
        raise RowProblem(f"{what} {text.strip()!r} is not a number") from None


def parse_humidity(fields: list[str], column: int | None, what: str) -> float | None:
    """A relative humidity column (``%`` allowed after the number): ``None`` when the file has no
    such column or the row leaves it empty; ``RowProblem`` outside [0, 100]."""
    if column is None or column >= len(fields) or not fields[column]:
        return None
    humidity = parse_number(fields[column].rstrip("% "), what)
    if not 0 <= humidity <= 100:
        raise RowProblem(f"{what} {fields[column]!r} is outside [0, 100]")
    return humidity


def parse_optional_number(text: str | None, what: str) -> float | None:
    if text is None or not text.strip():
        return None
    return parse_number(text, what)


def fahrenheit_to_celsius(f: float) -> float:
    """°F to °C, rounded to 0.01 °C (RULES.md §1)."""
    return round((float(f) - 32.0) * 5.0 / 9.0, 2)


def kelvin_to_celsius(k: float) -> float:
    """K to °C, rounded to 0.01 °C."""
    return round(float(k) - 273.15, 2)


def to_celsius(value: float, unit: str) -> float:
    """``unit`` is ``"C"``, ``"F"`` or ``"K"``; °C values are kept as given."""
    if unit == "C":
        return value
    if unit == "F":
        return fahrenheit_to_celsius(value)
    if unit == "K":
        return kelvin_to_celsius(value)
    raise ValueError(f"unknown temperature unit {unit!r}")


def is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def shorten(text: str, limit: int = 60) -> str:
    """A value as quoted in a message: stripped, and cut with an ellipsis when long."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line_too_long(length: int, limit: int) -> str:
    return (
        f"the line is {length} characters long (the limit is {limit}) and was skipped; "
        f"a logger export has short lines, so this part of the file is not one"
    )
