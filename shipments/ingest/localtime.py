"""Time zones, and reading local wall-clock times (no zone in the file) as UTC instants.

Daylight-saving time, with ``zoneinfo``:
- a time in the autumn *fold* (it happened twice) is read as its first occurrence (``fold=0``,
  still summer time: the earlier instant);
- a time in the spring *gap* (it never happened) is shifted forward by the gap (02:30 in a
  one-hour gap reads as 03:30 summer time).
Both are counted, and said in the upload's notes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .base import ParseResult, RowProblem

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def offset_zone(minutes: int) -> timezone:
    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes))


def offset_name(minutes: int) -> str:
    """``"UTC"`` for zero, else ``"+05:30"`` / ``"-05:00"``."""
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


def parse_offset(text: str) -> int | None:
    """Minutes east of UTC from ``+02:00``, ``-0500``, ``GMT-05:00``, ``UTC+1``; None if not one."""
    match = _OFFSET.match(text.strip())
    if not match:
        return None
    sign, hours, mins = match.groups()
    total = int(hours) * 60 + int(mins or 0)
    if total > 14 * 60 or int(mins or 0) >= 60:
        return None
    return -total if sign == "-" else total


def resolve_zone(name: str) -> tuple[tzinfo, str]:
    """``(tzinfo, canonical name)`` for an IANA name, ``UTC`` or a fixed offset such as
    ``+02:00``. Raises ``ValueError`` for anything else."""
    text = (name or "").strip()
    if text.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC, "UTC"
    minutes = parse_offset(text)
    if minutes is not None:
        return offset_zone(minutes), offset_name(minutes)
    try:
        return ZoneInfo(text), text
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as "
                         f"'Europe/Zurich', 'UTC' or an offset such as '+02:00'") from None


class LocalClock:
    """Turns naive local times into aware UTC instants in one zone, counting DST folds and gaps
    into ``result.metadata["local_times"]`` and the upload's notes."""

    def __init__(self, zone: tzinfo, zone_name: str, result: ParseResult):
        self.zone = zone
        self.zone_name = zone_name
        self._result = result
        self._fixed = not isinstance(zone, ZoneInfo)
        self.ambiguous = 0
        self.nonexistent = 0

    def to_utc(self, naive: datetime) -> datetime:
        if naive.tzinfo is not None:
            return naive.astimezone(UTC)
        if self._fixed:
            return naive.replace(tzinfo=self.zone).astimezone(UTC)
        first = naive.replace(tzinfo=self.zone, fold=0)
        offset = first.utcoffset()
        other = naive.replace(tzinfo=self.zone, fold=1).utcoffset()
        if offset != other and offset is not None and other is not None:
            # fold=0 takes the offset in force before the transition: in a fold that is the
            # larger (summer) one, the earlier instant; in a gap the smaller one, which lands
            # the time after the gap, i.e. shifted forward by the gap's length.
            if offset > other:
                self.ambiguous += 1
            else:
                self.nonexistent += 1
            self._record()
        return (naive - offset).replace(tzinfo=UTC) if offset is not None else first.astimezone(UTC)

    def to_utc_quiet(self, naive: datetime) -> datetime:
        """As ``to_utc`` without counting: for header facts, not readings."""
        if self._fixed:
            return naive.replace(tzinfo=self.zone).astimezone(UTC)
        return naive.replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def _record(self) -> None:
        meta = self._result.metadata
        meta["local_times"] = {
            "zone": self.zone_name,
            "ambiguous": self.ambiguous,
            "nonexistent": self.nonexistent,
        }
        notes = []
        if self.ambiguous:
            n = self.ambiguous
            notes.append(
                f"{n} local time{'s' if n != 1 else ''} fell in the autumn fold of {self.zone_name} "
                f"and {'were' if n != 1 else 'was'} read as the first (summer-time) occurrence"
            )
        if self.nonexistent:
            n = self.nonexistent
            notes.append(
                f"{n} local time{'s' if n != 1 else ''} fell in the spring gap of {self.zone_name} "
                f"(clocks went forward; such times do not exist) and {'were' if n != 1 else 'was'} "
                f"shifted forward by the gap"
            )
        meta["dst_notes"] = notes


def parse_iso(text: str, what: str = "time") -> datetime:
    """An ISO 8601 date and time (``T`` or a space between; ``Z``, ``+01:00`` or ``+0100``; up to
    microseconds). Naive when the text carries no offset. Raises ``RowProblem``."""
    s = text.strip()
    if len(s) < 16 or s[4:5] != "-" or s[10:11] not in ("T", "t", " "):
        raise RowProblem(f"{what} {s!r} is not an ISO 8601 date and time (e.g. 2026-03-02T14:05:00+01:00)")
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise RowProblem(
            f"{what} {s!r} is not a valid ISO 8601 date and time (e.g. 2026-03-02T14:05:00+01:00)"
        ) from None


# -- dates and times as logger software writes them -------------------------------------------

_TIME_OF_DAY = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6})\d*)?)?(?:\s*([AaPp])\.?\s*[Mm]\.?)?$"
)
_DATE_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_DATE_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DATE_DOT = re.compile(r"^(\d{1,2})[.-](\d{1,2})[.-](\d{2}|\d{4})$")
_DATE_NAMED = re.compile(r"^(\d{1,2})[- ]([A-Za-z]{3})[A-Za-z]*\.?[- ](\d{2}|\d{4})$")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"


def _year(text: str) -> int:
    year = int(text)
    return 2000 + year if len(text) == 2 else year


def slash_date_parts(text: str) -> tuple[int, int] | None:
    """The two leading numbers of a ``nn/nn/yy[yy]`` date, or None."""
    match = _DATE_SLASH.match(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_date(text: str, what: str = "date", slash_order: str = DAY_FIRST) -> tuple[int, int, int]:
    """``(year, month, day)`` from ``2023-04-17``, ``17/04/2023`` or ``04/17/23`` (by
    ``slash_order``), ``17.04.2023`` and ``17-Apr-2023``. Raises ``RowProblem``."""
    s = text.strip()
    if match := _DATE_ISO.match(s):
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    elif match := _DATE_SLASH.match(s):
        first, second = int(match.group(1)), int(match.group(2))
        year = _year(match.group(3))
        day, month = (first, second) if slash_order == DAY_FIRST else (second, first)
        if month > 12:
            raise RowProblem(
                f"{what} {s!r} has no month {month} when read {slash_order}, the order used for "
                f"this file's slash dates (see date_order)"
            )
    elif match := _DATE_DOT.match(s):
        day, month, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
    elif match := _DATE_NAMED.match(s):
        month = _MONTHS.get(match.group(2).lower(), 0)
        day, year = int(match.group(1)), _year(match.group(3))
        if not month:
            raise RowProblem(f"{what} {s!r} has an unknown month name")
    else:
        raise RowProblem(f"{what} {s!r} is not a date")
    try:
        datetime(year, month, day)
    except ValueError:
        raise RowProblem(f"{what} {s!r} is not a valid date") from None
    return year, month, day


def parse_time_of_day(text: str, what: str = "time") -> tuple[int, int, int, int]:
    """``(hour, minute, second, microsecond)`` from ``14:53``, ``14:53:00``, ``2:53:00 PM``."""
    s = text.strip()
    match = _TIME_OF_DAY.match(s)
    if not match:
        raise RowProblem(f"{what} {s!r} is not a time of day")
    hour, minute = int(match.group(1)), int(match.group(2))
    second = int(match.group(3) or 0)
    micro = int((match.group(4) or "0").ljust(6, "0"))
    meridiem = match.group(5)
    if meridiem:
        if not 1 <= hour <= 12:
            raise RowProblem(f"{what} {s!r} is not a valid 12-hour time")
        hour = hour % 12 + (12 if meridiem in "Pp" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise RowProblem(f"{what} {s!r} is not a valid time of day")
    return hour, minute, second, micro


def parse_date_time(text: str, what: str = "date and time", slash_order: str = DAY_FIRST) -> datetime:
    """A naive date and time in one field: date, then a space or ``T``, then the time."""
    s = text.strip()
    if len(s) > 10 and s[10:11] in ("T", "t") and s[4:5] == "-":
        date_part, time_part = s[:10], s[11:]
    else:
        parts = s.split(None, 1)
        if len(parts) != 2:
            raise RowProblem(f"{what} {s!r} is not a date and time")
        date_part, time_part = parts
    try:
        return combine(parse_date(date_part, "date", slash_order), parse_time_of_day(time_part, "time"))
    except RowProblem as problem:
        raise RowProblem(f"{what} {s!r}: {problem}") from None


def combine(date_parts: tuple[int, int, int], time_parts: tuple[int, int, int, int]) -> datetime:
    return datetime(*date_parts, *time_parts)
