"""Logger files in, readings out: one reader per format, format detection, physical checks.

Plain Python (no Django): the storage layer calls ``parse`` and stores what it yields, applying
``check_reading`` to every reading (as it does for the JSON API)::

    result, items = parse(upload, default_tz="Europe/Zurich", filename="trip.csv")
    for item in items:              # ParsedReading or RowError, in file order
        ...
    result.rows, result.skipped     # filled in as the items are consumed

Formats (one module each): ``native_csv`` (the service's own CSV, documented in
``native_csv.py``), ``berlinger``, ``logtag``, ``hobo``, ``epcis``. ``detect`` picks one from the
first 64 KB; ``text`` decodes (UTF-8 with or without BOM, UTF-16/32 with BOM, UTF-16 without,
Windows-1252) and splits lines with a length cap; ``localtime`` reads local times in a zone.

``ParseResult.metadata`` is JSON-serialisable. Keys every reader may fill:
``timezone_reason`` (why ``ParseResult.timezone``), ``encoding``, ``serial`` (the device the file
names), ``skipped_reasons`` ({reason: count}), ``notes`` (sentences worth showing on the
upload), ``local_times`` ({zone, ambiguous, nonexistent}) and ``dst_notes`` when local times fell
in a daylight-saving fold or gap, ``aborted`` when reading stopped on a failure of ours. Each
reader adds its own device facts (see its module docstring).
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
