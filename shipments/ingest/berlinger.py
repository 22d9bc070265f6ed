"""Berlinger Q-tag and Fridge-tag text exports (``berlinger``).

What such a file holds (see ``shared/data/berlinger/``):

- A header of ``Key: value`` lines, nested by leading spaces (``Conf:`` / `` Alarm:`` /
  ``  1:`` / ``   Type: 2, T AL: 8.0, t AL: 30``). A line may carry several pairs separated by
  ``", "``; a pair may have an empty value (``TS E:``). It is kept whole, as written, in
  ``metadata["header"]`` (a nested dict; a section whose lines repeat the same keys, such as a
  Q-tag alarm that fired three times, becomes a list of dicts), and the parts a coordinator
  compares with our own evaluation are also given typed and named in our words:
  ``alarm_config``, ``alarm_results`` (Q-tag ``Res: Alarm:``), ``summary`` (Q-tag ``Res:``),
  ``mkt`` (the ``MKT:`` line with the device's activation energy), ``hist`` (Fridge-tag daily
  summaries with accumulated alarm minutes), ``markers``.
- A ``Data:`` section: a column line, then rows ``TAB yyyy-MM-dd hh:mm TAB T [TAB x]``; ``x``
  marks a row the device saw outside its limits (counted in ``out_of_limits_rows``); ``--.-``
  means no value: the row is skipped and counted. A Fridge-tag 2 has no ``Data:`` section: a
  valid file with no readings whose daily history is still kept.
- Then ``Cert:`` and the signature lines, kept in the header too. A file that stops before
  ``Sig:`` may have been cut short: ``signature_present`` says so, and the notes.

Times carry no zone. ``Conf: Zone:`` is read as the device's offset from UTC in hours: when it is
non-zero that fixed offset is used; when it is ``0.00`` or missing the times are read in the zone
given for the upload (the logger's, else the origin facility's), with DST folds and gaps handled as
``localtime`` says. ``ParseResult.timezone`` names the zone used and
``metadata["timezone_reason"]`` says why.

Q-tag alarm types (``Conf: Alarm: n: Type``): 1 single below, 2 single above, 3 cumulative below,
4 cumulative above, 0 off. Fridge-tag alarm 0 is the low alarm (below), 1 the high one (above);
the export does not say whether its delay is consecutive or accumulated, so ``kind`` is null.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from .base import (
    Items,
    ParsedReading,
    ParseResult,
    RowError,
    RowProblem,
    UnknownFormat,
    line_too_long,
    parse_number,
    shorten,
    to_celsius,
)
from .localtime import LocalClock, offset_name, offset_zone
from .text import MAX_LINE_CHARS, Line, TextSource

FORMAT = "berlinger"

MAX_HEADER_LINES = 20_000
_PAIR = re.compile(r"^([A-Za-z0-9][A-Za-z0-9 #/_.()-]{0,40}?):(?: (.*)|)$")
_DATA_ROW = re.compile(r"^\t(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})\t([^\t]*)(?:\t(.*))?$")
_NO_VALUE = re.compile(r"^-*\.?-+$")
QTAG_ALARM_TYPES = {
    1: ("single", "below"),
    2: ("single", "above"),
    3: ("cumulative", "below"),
    4: ("cumulative", "above"),
}
FRIDGETAG_ALARM_DIRECTIONS = {"0": "below", "1": "above"}

Node = dict[str, Any]


class HeaderTree:
    """Builds the nested header from its lines; tab-separated tables (``Marker:``) are kept as
    ``{"columns": [...], "rows": [[...], ...]}`` under their section."""

    def __init__(self) -> None:
        self.root: Node = {}
        # (indent, container, parent, key): container is a section, or a list of record dicts
        self._stack: list[tuple[int, Node | list[Node], Node | None, str | None]] = [
            (-1, self.root, None, None)
        ]
        self.unrecognised: list[int] = []
        self.lines = 0

    def add(self, line: Line) -> None:
        self.lines += 1
        text = line.text
        if line.too_long:
            self.unrecognised.append(line.number)
            return
        if not text.strip():
            return
        if text.startswith("\t"):
            self._table_row(text)
            return
        indent = len(text) - len(text.lstrip(" "))
        content = text.strip()
        self._close_to(indent)
        pairs = split_pairs(content)
        if pairs is None:
            self.unrecognised.append(line.number)
            return
        if len(pairs) == 1 and pairs[0][1] == "" and content.endswith(":"):
            key = pairs[0][0]
            parent = self._container()
            section: Node = {}
            _put(parent, key, section)
            self._stack.append((indent, section, parent, key))
            return
        self._record(dict(pairs))

    def finish(self) -> None:
        self._close_to(-1)

    def _container(self) -> Node:
        container = self._stack[-1][1]
        return container[-1] if isinstance(container, list) else container

    def _record(self, record: Node) -> None:
        indent, container, parent, key = self._stack[-1]
        if isinstance(container, list):
            if any(k in container[-1] for k in record):
                container.append(record)
            else:
                container[-1].update(record)
            return
        if any(k in container for k in record) and parent is not None and key is not None:
            # the section's lines repeat their keys: one dict per line, in a list
            as_list: list[Node] = [container, record]
            _replace(parent, key, container, as_list)
            self._stack[-1] = (indent, as_list, parent, key)
            return
        for k, v in record.items():
            _put(container, k, v)

    def _close_to(self, indent: int) -> None:
        while len(self._stack) > 1 and self._stack[-1][0] >= indent:
            _, container, parent, key = self._stack.pop()
            if container == {} and parent is not None and key is not None:
                # "User String 1:" with nothing under it is an empty value, not a section
                _replace(parent, key, container, "")

    def _table_row(self, text: str) -> None:
        cells = [c.strip() for c in text[1:].split("\t")]
        while cells and not cells[-1]:
            cells.pop()
        # the table belongs to the innermost open section (``Marker:``)
        container = self._container()
        if "columns" not in container:
            container["columns"] = cells
            container["rows"] = []
        else:
            container["rows"].append(cells)


def _put(container: Node, key: str, value: object) -> None:
    if key in container:
        existing = container[key]
        container[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        container[key] = value


def _replace(parent: Node, key: str, old: object, new: object) -> None:
    current = parent[key]
    if current is old:
        parent[key] = new
    elif isinstance(current, list):
        for i, item in enumerate(current):
            if item is old:
                current[i] = new


def split_pairs(content: str) -> list[tuple[str, str]] | None:
    """``"Min T: 0.9, TS Min T: 2022-11-08 12:49"`` -> ``[("Min T", "0.9"), ("TS Min T", …)]``.
    When a comma-separated piece is not itself ``Key: value`` (a free-text value holding a
    comma), the whole line is one pair. None when the line is not ``Key: value`` at all."""
    pieces = content.split(", ")
    if len(pieces) > 1:
        matches = [_PAIR.match(p) for p in pieces]
        if all(matches):
            return [(m.group(1), (m.group(2) or "").strip()) for m in matches if m]
    match = _PAIR.match(content)
    if match:
        return [(match.group(1), (match.group(2) or "").strip())]
    return None


def parse(source: TextSource, *, zone: tzinfo, zone_name: str) -> tuple[ParseResult, Items]:
    lines = source.lines()
    tree = HeaderTree()
    data_found = False
    for line in lines:
        if line.text.rstrip() == "Data:":
            data_found = True
            break
        tree.add(line)
        if tree.lines == 60 and not _looks_like_berlinger(tree.root):
            raise UnknownFormat("the file is not a Berlinger export: no 'Device:' or 'Conf:' header")
        if tree.lines >= MAX_HEADER_LINES:
            raise UnknownFormat(
                f"the file is not a Berlinger export: no 'Data:' section in {MAX_HEADER_LINES} lines"
            )
    tree.finish()
    if not _looks_like_berlinger(tree.root):
        raise UnknownFormat("the file is not a Berlinger export: no 'Device:' or 'Conf:' header")

    header = tree.root
    conf = _section(header, "Conf")
    unit = _unit(conf)
    clock_zone, used_name, reason = _zone(conf, zone, zone_name)
    metadata: dict = {"header": header, "timezone_reason": reason, "data_section": data_found}
    result = ParseResult(format=FORMAT, timezone=used_name, metadata=metadata)
    clock = LocalClock(clock_zone, used_name, result)
    metadata.update(_facts(header, conf, unit, clock))
    metadata["out_of_limits_rows"] = 0
    if tree.unrecognised:
        metadata["unrecognised_header_lines"] = tree.unrecognised[:50]
    if not data_found:
        metadata["signature_present"] = "Sig" in header
        result.note("the file has no Data: section, so it holds no readings (a Fridge-tag 2 "
                    "keeps only its daily history)")
        if "Sig" not in header:
            result.note("the file ends before its 'Sig:' line: it may have been cut short")
    serial = metadata.get("serial") or None
    return result, _rows(lines, tree, result, clock, unit, serial, data_found)


def _rows(lines: Iterator[Line], tree: HeaderTree, result: ParseResult, clock: LocalClock,
          unit: str, serial: str | None, in_data: bool) -> Iterator:
    if not in_data:
        return
    for line in lines:
        if in_data:
            text = line.text
            if line.too_long:
                yield RowError(line.number, line_too_long(line.too_long, MAX_LINE_CHARS))
                continue
            if text.startswith("\t"):
                if text.startswith("\tyyyy"):
                    continue  # the column line
                item = _row(line, result, clock, unit, serial)
                if item is not None:
                    yield item
                continue
            if not text.strip():
                continue
            if text.rstrip().endswith(":") or _PAIR.match(text.strip()):
                in_data = False  # Cert: and the signature follow the data
            else:
                yield RowError(line.number, _not_a_row(text))
                continue
        tree.add(line)
    tree.finish()
    header = tree.root
    result.metadata["signature_present"] = "Sig" in header
    if "Sig" not in header:
        result.note("the file ends before its 'Sig:' line: it may have been cut short")
    if tree.unrecognised:
        result.metadata["unrecognised_header_lines"] = tree.unrecognised[:50]


def _row(line: Line, result: ParseResult, clock: LocalClock, unit: str,
         serial: str | None) -> ParsedReading | RowError | None:
    match = _DATA_ROW.match(line.text)
    if not match:
        return RowError(line.number, _not_a_row(line.text))
    year, month, day, hour, minute, value, flag = match.groups()
    try:
        local = datetime(int(year), int(month), int(day), int(hour), int(minute))
    except ValueError:
        stamp = f"{year}-{month}-{day} {hour}:{minute}"
        return RowError(line.number, f"time {stamp!r} is not a valid date and time")
    value = value.strip()
    if _NO_VALUE.match(value):
        result.skip("no value (--.-)")
        return None
    try:
        temperature = to_celsius(parse_number(value, "temperature"), unit)
    except RowProblem as problem:
        return RowError(line.number, str(problem))
    if flag and flag.strip() == "x":
        result.metadata["out_of_limits_rows"] += 1
    return ParsedReading(
        line=line.number,
        recorded_at=clock.to_utc(local),
        temperature_c=temperature,
        logger_serial=serial,
    )


def _not_a_row(text: str) -> str:
    return (
        f"not a Berlinger data row (expected TAB yyyy-MM-dd hh:mm TAB temperature): "
        f"{shorten(text.replace(chr(9), ' '))!r}"
    )


# -- header facts --------------------------------------------------------------------------------


def _looks_like_berlinger(root: dict) -> bool:
    return "Device" in root or isinstance(root.get("Conf"), dict)


def _section(node: object, key: str) -> dict:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def _text(node: object, key: str) -> str | None:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, str) else None


def _float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_number(text, "value")
    except RowProblem:
        return None


def _int(text: str | None) -> int | None:
    number = _float(text)
    return int(number) if number is not None and number.is_integer() else None


def _unit(conf: dict) -> str:
    unit = (_text(conf, "Temp unit") or "C").strip().upper()
    return unit if unit in ("C", "F") else "C"


def _zone(conf: dict, zone: tzinfo, zone_name: str) -> tuple[tzinfo, str, str]:
    raw = _text(conf, "Zone")
    given = f"{zone_name}, the zone given for this upload (the logger's, else the origin facility's)"
    if raw is None:
        return zone, zone_name, f"the file has no 'Zone:' line, so its times are read in {given}"
    hours = _float(raw)
    if hours is None or abs(hours) > 14:
        return zone, zone_name, f"the file's 'Zone: {raw}' is not an offset in hours, so its times are read in {given}"
    minutes = round(hours * 60)
    if minutes == 0:
        return zone, zone_name, f"the file's 'Zone: {raw}' gives no offset from UTC, so its times are read in {given}"
    name = offset_name(minutes)
    return offset_zone(minutes), name, f"the file's 'Zone: {raw}' (hours from UTC) gives the fixed offset {name}"


def _local_iso(text: str | None, clock: LocalClock) -> str | None:
    if not text or not text.strip():
        return None
    try:
        local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    return clock.to_utc_quiet(local).isoformat()


def _celsius(text: str | None, unit: str) -> float | None:
    value = _float(text)
    return None if value is None else to_celsius(value, unit)


def _facts(header: dict, conf: dict, unit: str, clock: LocalClock) -> dict:
    facts: dict = {
        "device": _text(header, "Device"),
        "firmware": _text(header, "Fw Vers"),
        "serial": _text(conf, "Serial"),
        "zone": _text(conf, "Zone"),
        "unit": f"°{unit}",
        "logging_interval_min": _int(_text(conf, "Logging Interval")),
    }
    device = (facts["device"] or "").lower()
    is_fridge_tag = "fridge-tag" in device or "Hist" in header
    facts["family"] = "fridge-tag" if is_fridge_tag else "q-tag"
    facts["alarm_config"] = _alarm_config(_section(conf, "Alarm"), unit, is_fridge_tag)
    res = _section(header, "Res")
    if res:
        facts["summary"] = {
            "activated_at": _local_iso(_text(res, "TS Actv"), clock),
            "started_at": _local_iso(_text(res, "TS Start"), clock),
            "stopped_at": _local_iso(_text(res, "TS Stop"), clock),
            "min_c": _celsius(_text(res, "Min T"), unit),
            "min_at": _local_iso(_text(res, "TS Min T"), clock),
            "max_c": _celsius(_text(res, "Max T"), unit),
            "max_at": _local_iso(_text(res, "TS Max T"), clock),
            "mean_c": _celsius(_text(res, "Avrg T"), unit),
            "run_number": _int(_text(res, "Run Number")),
        }
        facts["alarm_results"] = _alarm_results(res.get("Alarm"), unit, clock, facts["alarm_config"])
        if _text(res, "MKT") is not None:
            facts["mkt"] = {
                "line": f"MKT: {_text(res, 'MKT')}",
                "mkt_c": _celsius(_text(res, "MKT"), unit),
                "activation_energy_kj_mol": _float(_text(conf, "MKT Energy")),
            }
    hist = _section(header, "Hist")
    if hist:
        facts["hist"] = _hist(hist, unit)
    marker = _section(header, "Marker")
    if marker.get("rows"):
        facts["markers"] = _markers(marker, unit, clock)
    return facts


def _alarm_config(alarms: dict, unit: str, is_fridge_tag: bool) -> list[dict]:
    config = []
    for number, settings in alarms.items():
        if not isinstance(settings, dict):
            continue
        entry: dict = {"alarm": number}
        threshold = _celsius(_text(settings, "T AL"), unit)
        delay = _int(_text(settings, "t AL"))
        if is_fridge_tag:
            entry.update(kind=None, direction=FRIDGETAG_ALARM_DIRECTIONS.get(number),
                         threshold_c=threshold, delay_min=delay, enabled=threshold is not None)
        else:
            device_type = _int(_text(settings, "Type"))
            kind, direction = QTAG_ALARM_TYPES.get(device_type or 0, (None, None))
            entry.update(device_type=device_type, enabled=kind is not None, kind=kind,
                         direction=direction, threshold_c=threshold, delay_min=delay)
        config.append(entry)
    return config


def _alarm_results(alarms: object, unit: str, clock: LocalClock, config: list[dict]) -> list[dict]:
    rules = {entry["alarm"]: entry for entry in config}
    results: list[dict] = []
    if not isinstance(alarms, dict):
        return results
    for number, episodes in alarms.items():
        if isinstance(episodes, dict):
            episodes = [episodes] if episodes else []
        elif not isinstance(episodes, list):
            episodes = []
        for episode in episodes:
            if not isinstance(episode, dict):
                continue
            rule = rules.get(number, {})
            results.append({
                "alarm": number,
                "kind": rule.get("kind"),
                "direction": rule.get("direction"),
                "threshold_c": rule.get("threshold_c"),
                "started_at": _local_iso(_text(episode, "TS S"), clock),
                "alarm_at": _local_iso(_text(episode, "TS A"), clock),
                "ended_at": _local_iso(_text(episode, "TS E"), clock),
                "duration_min": _int(_text(episode, "t A")),
                "peak_c": _celsius(_text(episode, "T M"), unit),
                "peak_at": _local_iso(_text(episode, "TS M"), clock),
            })
    return results


def _hist(hist: dict, unit: str) -> dict:
    days = []
    for key, day in hist.items():
        if not key.isdigit() or not isinstance(day, dict):
            continue
        alarms = []
        for number, alarm in _section(day, "Alarm").items():
            if not isinstance(alarm, dict):
                continue
            alarms.append({
                "alarm": number,
                "direction": FRIDGETAG_ALARM_DIRECTIONS.get(number),
                "accumulated_min": _int(_text(alarm, "t Acc")),
                "alarm_time": _text(alarm, "TS A"),
                "alarm_count": _int(_text(alarm, "C A")),
            })
        days.append({
            "day": int(key),
            "date": _text(day, "Date"),
            "min_c": _celsius(_text(day, "Min T"), unit),
            "min_time": _text(day, "TS Min T"),
            "max_c": _celsius(_text(day, "Max T"), unit),
            "max_time": _text(day, "TS Max T"),
            "mean_c": _celsius(_text(day, "Avrg T"), unit),
            "alarms": alarms,
            "events": _int(_text(day, "Events")),
        })
    return {
        "activated_at_local": _text(hist, "TS Actv"),
        "report_created_at_local": _text(hist, "TS Report Creation"),
        "days": days,
    }


def _markers(marker: dict, unit: str, clock: LocalClock) -> list[dict]:
    columns = [c.lower() for c in marker.get("columns", [])]
    markers = []
    for row in marker.get("rows", []):
        cells = dict(zip(columns, row, strict=False))
        markers.append({
            "number": cells.get("number"),
            "temperature_c": _celsius(cells.get("t"), unit),
            "at": _local_iso(cells.get("yyyy-mm-dd hh:mm"), clock),
        })
    return markers
