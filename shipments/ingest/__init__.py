"""Logger files in, readings out: one reader per format, format detection, physical checks.

Plain Python (no Django): the storage layer calls ``parse`` and stores what it yields.

>>> result, items = parse(upload, default_tz="Europe/Zurich")   # doctest: +SKIP
>>> for item in items: ...                                       # doctest: +SKIP
"""

from .base import (
    KNOWN_FORMATS,
    ParsedReading,
    ParseResult,
    RowError,
    UnknownFormat,
    UnreadableFile,
    fahrenheit_to_celsius,
    kelvin_to_celsius,
)
from .checks import check_reading
from .detect import detect
from .parsing import parse

__all__ = [
    "KNOWN_FORMATS",
    "ParseResult",
    "ParsedReading",
    "RowError",
    "UnknownFormat",
    "UnreadableFile",
    "check_reading",
    "detect",
    "fahrenheit_to_celsius",
    "kelvin_to_celsius",
    "parse",
]
