"""One logger's readings, columnar, and the engine's time unit.

Times are integer microseconds since the Unix epoch, UTC, everywhere in the engine: exact,
cheap to compare, and what an aware ``datetime`` holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
ABSOLUTE_ZERO_C = -273.15

Instant = int | datetime


def to_us(value: Instant) -> int:
    """An aware ``datetime`` (or an int already in µs) as µs since the epoch. Naive datetimes are
    refused with ``ValueError``: their instant is unknown."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no instant; give a zone")
        return (value - EPOCH) // _ONE_US
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"expected µs since the epoch or an aware datetime, got {value!r}")
    return int(value)


def from_us(us: int) -> datetime:
    """µs since the epoch as an aware UTC ``datetime`` (exact)."""
    return EPOCH + timedelta(microseconds=int(us))


FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _float_column(values: Iterable[float | None] | None, n: int, name: str) -> FloatArray:
    if values is None:
        return np.full(n, np.nan)
    column = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if column.shape != (n,):
        raise ValueError(f"{name} has {column.shape[0]} values for {n} times")
    return column


@dataclass(frozen=True, eq=False)
class Series:
    """One logger's readings inside an assignment window, as parallel numpy columns.

    - ``t``: int64 µs since the epoch, UTC, strictly increasing;
    - ``temp``: float64 °C, finite and not below -273.15;
    - ``tilt``, ``battery``: float64, finite, ``NaN`` where the reading has none.

    The constructor takes arrays and validates them (it raises ``ValueError`` on unsorted or
    repeated times, mismatched lengths or impossible temperatures). ``from_lists`` builds one from
    Python values in order; ``from_unsorted`` sorts and keeps the first value given for each
    instant, the store's rule. Arrays are made read-only, so a series can be shared.
    """

    t: IntArray
    temp: FloatArray
    tilt: FloatArray
    battery: FloatArray

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.t, dtype=np.int64)
        if t.ndim != 1:
            raise ValueError("times must be one-dimensional")
        n = t.shape[0]
        columns: dict[str, np.ndarray] = {}
        for name in ("temp", "tilt", "battery"):
            column = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if column.shape != (n,):
                raise ValueError(f"{name} has shape {column.shape}, times have ({n},)")
            columns[name] = column
        if n > 1 and not bool(np.all(t[1:] > t[:-1])):
            raise ValueError("reading times must be strictly increasing")
        temp = columns["temp"]
        if n and not (bool(np.all(np.isfinite(temp))) and float(temp.min()) >= ABSOLUTE_ZERO_C):
            raise ValueError("temperatures must be finite and not below -273.15 °C")
        for name in ("tilt", "battery"):
            if n and bool(np.isinf(columns[name]).any()):
                raise ValueError(f"{name} must be finite (NaN for a reading without one)")
        for name, array in (("t", t), *columns.items()):
            if array.flags.writeable:
                array = array.view()
                array.flags.writeable = False
            object.__setattr__(self, name, array)

    @classmethod
    def _trusted(cls, t: IntArray, temp: FloatArray, tilt: FloatArray,
                 battery: FloatArray) -> Series:
        # Views of a validated series are valid: skip the checks.
        series = object.__new__(cls)
        for name, column in (("t", t), ("temp", temp), ("tilt", tilt), ("battery", battery)):
            object.__setattr__(series, name, column)
        return series

    @classmethod
    def empty(cls) -> Series:
        """A series without readings."""
        return cls.from_lists([], [])

    @classmethod
    def from_lists(
        cls,
        t: Sequence[Instant],
        temp: Sequence[float],
        tilt: Sequence[float | None] | None = None,
        battery: Sequence[float | None] | None = None,
    ) -> Series:
        """From Python values already in strictly increasing time order. Times are µs or aware
        datetimes; ``None`` (or NaN) in ``tilt``/``battery`` means the reading has none."""
        n = len(t)
        times = np.fromiter((to_us(v) for v in t), dtype=np.int64, count=n)
        temps = np.array(temp, dtype=np.float64)
        if temps.shape != (n,):
            raise ValueError(f"temp has {temps.shape[0]} values for {n} times")
        return cls(times, temps, _float_column(tilt, n, "tilt"), _float_column(battery, n, "battery"))

    @classmethod
    def from_unsorted(
        cls,
        t: Sequence[Instant],
        temp: Sequence[float],
        tilt: Sequence[float | None] | None = None,
        battery: Sequence[float | None] | None = None,
    ) -> Series:
        """From Python values in any order, possibly repeated: sorted by time, and for an
        instant given more than once the first value given wins (a later one is dropped)."""
        n = len(t)
        times = np.fromiter((to_us(v) for v in t), dtype=np.int64, count=n)
        temps = np.array(temp, dtype=np.float64)
        if temps.shape != (n,):
            raise ValueError(f"temp has {temps.shape[0]} values for {n} times")
        tilts = _float_column(tilt, n, "tilt")
        batteries = _float_column(battery, n, "battery")
        order = np.argsort(times, kind="stable")  # stable: the first given stays first
        sorted_t = times[order]
        keep = np.ones(n, dtype=bool)
        if n > 1:
            keep[1:] = sorted_t[1:] != sorted_t[:-1]
        index = order[keep]
        return cls(times[index], temps[index], tilts[index], batteries[index])

    def __len__(self) -> int:
        return int(self.t.shape[0])

    def __getitem__(self, key: slice) -> Series:
        """A time-ordered slice (views, no copy)."""
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("a series can only be sliced contiguously")
        return Series._trusted(self.t[key], self.temp[key], self.tilt[key], self.battery[key])

    def after(self, us: int) -> Series:
        """The readings strictly later than ``us``."""
        start = int(np.searchsorted(self.t, us, side="right"))
        return self[start:]

    def rows(self) -> list[tuple[int, float, float | None, float | None]]:
        """The readings as ``(t, temp, tilt, battery)`` tuples, ``None`` for absent values."""
        return [
            (int(t), float(x), None if math.isnan(a) else float(a), None if math.isnan(b) else float(b))
            for t, x, a, b in zip(
                self.t.tolist(), self.temp.tolist(), self.tilt.tolist(), self.battery.tolist(),
                strict=True,
            )
        ]

    @staticmethod
    def concat(parts: Sequence[Series]) -> Series:
        """Consecutive series joined (validated: times must still increase)."""
        if not parts:
            return Series.empty()
        return Series(
            np.concatenate([p.t for p in parts]),
            np.concatenate([p.temp for p in parts]),
            np.concatenate([p.tilt for p in parts]),
            np.concatenate([p.battery for p in parts]),
        )
