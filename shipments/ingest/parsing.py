"""``parse``: one entry point for every logger format. Detects the format when it is not given,
hands the decoded lines to the format's reader, and keeps ``ParseResult.rows`` up to date as the
items are consumed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import BinaryIO

from . import berlinger, epcis, hobo, logtag, native_csv
from .base import KNOWN_FORMATS, Items, ParseResult, RowError, UnknownFormat
from .detect import detect_text
from .localtime import resolve_zone
from .text import TextSource

logger = logging.getLogger(__name__)

Reader = Callable[..., tuple[ParseResult, Items]]
READERS: dict[str, Reader] = {
    native_csv.FORMAT: native_csv.parse,
    berlinger.FORMAT: berlinger.parse,
    logtag.FORMAT: logtag.parse,
    hobo.FORMAT: hobo.parse,
    epcis.FORMAT: epcis.parse,
}
assert tuple(READERS) == KNOWN_FORMATS


def parse(stream: BinaryIO, *, format: str | None = None, default_tz: str = "UTC",
          filename: str | None = None) -> tuple[ParseResult, Items]:
    """Read a logger file. Returns the ``ParseResult`` (format, zone, metadata; counts filled in
    as items are consumed) and an iterator of ``ParsedReading`` / ``RowError`` in file order.

    The stream is read in chunks and decoded incrementally (EPCIS JSON excepted, see ``epcis``).
    ``default_tz`` (an IANA name, ``UTC`` or ``+02:00``) is the zone of local times that carry
    none. Raises ``UnreadableFile`` (empty, binary, undecodable), ``UnknownFormat`` (naming the
    known formats) and ``ValueError`` for a ``default_tz`` that is not a zone."""
    zone, zone_name = resolve_zone(default_tz)
    source = TextSource(stream)
    chosen = (format or "").strip().lower() or detect_text(source.head_text, filename)
    reader = READERS.get(chosen)
    if reader is None:
        raise UnknownFormat(f"{format!r} is not a format this service reads")
    try:
        result, items = reader(source, zone=zone, zone_name=zone_name)
    except UnknownFormat as problem:
        if format:
            try:
                looks = detect_text(source.head_text, filename)
            except UnknownFormat:
                looks = None
            if looks and looks != chosen:
                raise UnknownFormat(f"{problem.reason}; it looks like {looks}") from problem
        raise
    result.metadata.setdefault("encoding", source.encoding)
    return result, _counted(result, items)


def _counted(result: ParseResult, items: Items) -> Items:
    """Counts each item as a row, and turns a failure of ours into a final row error (logged
    with context) instead of an exception in the caller's loop."""
    line = 0
    try:
        for item in items:
            result.rows += 1
            line = item.line
            yield item
    except Exception as error:  # a bug of ours must not lose the rows already read
        logger.exception("reading a %s file failed after line %s", result.format, line)
        result.metadata["aborted"] = f"{type(error).__name__}: {error}"
        result.rows += 1
        yield RowError(line + 1, f"the file could not be read past this point ({type(error).__name__}); "
                                 f"the rows before it were read")
