"""Logger file uploads: receive (store the file as evidence, detect its format, refuse what
cannot be read at once) and process (stream it through the parser in chunks on the ``ingest``
queue, storing readings exactly as the JSON API does, with progress).

Processing is resumable: each chunk is stored in one transaction together with the upload's
counters and the last line it covered, so a worker that dies mid-file resumes where the last
chunk ended and counts nothing twice."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO

from django.conf import settings
from django.core.files.base import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .audit import audit_record
from .choices import UploadStatus
from .ingest import (
    KNOWN_FORMATS,
    ParsedReading,
    RowError,
    UnknownFormat,
    UnreadableFile,
    check_reading,
    detect,
    parse,
)
from .models import IngestBatch, Logger, LoggerAssignment, Upload
from .services import readings_ingest

log = logging.getLogger(__name__)

CHUNK_ROWS = 20_000  # one commit (one WAL fsync) per chunk: larger chunks, fewer waits
MAX_ERRORS_KEPT = 1_000
HEAD_BYTES = 64 * 1024
FUTURE_TOLERANCE = timedelta(minutes=10)


class UploadRefused(Exception):
    """The file cannot be taken at all: ``status`` is the HTTP status that says why."""

    def __init__(self, status: int, message: str, field: str = "file"):
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def zone_for(logger: Logger | None) -> tuple[str, str]:
    """The zone for times that carry none, and why: the logger's own, else the origin facility's
    of its latest assignment, else UTC."""
    if logger is None:
        return "UTC", "no logger was named and the file names none we know: times without a zone read as UTC"
    if logger.timezone:
        return logger.timezone, f"the time zone set on logger {logger.serial}"
    assignment = (LoggerAssignment.objects.filter(logger=logger).select_related("shipment__origin")
                  .order_by("-assigned_at").first())
    if assignment is not None:
        origin = assignment.shipment.origin
        return origin.timezone, (f"logger {logger.serial} has no time zone; the origin facility of shipment "
                                 f"{assignment.shipment.tracking_number} ({origin.code}) is in {origin.timezone}")
    return "UTC", f"logger {logger.serial} has no time zone and no shipment: times without a zone read as UTC"


def _sniff_serial(head: bytes, fmt: str, filename: str | None) -> str | None:
    """The device serial a file names in its first rows, if any (for choosing the zone)."""
    try:
        result, items = parse(BytesIO(head), format=fmt, filename=filename)
        for item in items:
            if isinstance(item, ParsedReading) and item.logger_serial:
                return item.logger_serial
            break
        serial = result.metadata.get("serial")
        return str(serial) if serial else None
    except Exception:  # noqa: BLE001 - sniffing is best effort; the real parse reports problems
        return None


def upload_receive(*, uploaded, user, logger: Logger | None = None, fmt: str | None = None,
                   process: bool = True) -> Upload:
    """Store an uploaded file and queue it (``process=False``: the caller processes it). Raises
    ``UploadRefused`` (400 empty, 413 too large, 415 unknown or unreadable format) before
    anything is stored."""
    size = uploaded.size or 0
    if size == 0:
        raise UploadRefused(400, "The file is empty.")
    if size > settings.UPLOAD_MAX_BYTES:
        raise UploadRefused(413, f"The file is {size} bytes; at most {settings.UPLOAD_MAX_BYTES} are accepted.")
    uploaded.seek(0)
    head = uploaded.read(HEAD_BYTES)
    uploaded.seek(0)
    name = getattr(uploaded, "name", None) or "upload"
    if fmt:
        fmt = fmt.strip().lower()
        if fmt not in KNOWN_FORMATS:
            raise UploadRefused(415, f"{fmt!r} is not a format this service reads. Known formats: "
                                     f"{', '.join(KNOWN_FORMATS)}.", field="format")
    else:
        try:
            fmt = detect(head, name)
        except UnreadableFile as exc:
            raise UploadRefused(415, f"{exc} Known formats: {', '.join(KNOWN_FORMATS)}.") from None
        except UnknownFormat as exc:
            raise UploadRefused(415, str(exc)) from None
    if logger is None:
        serial = _sniff_serial(head, fmt, name)
        logger = Logger.objects.filter(serial=serial).first() if serial else None
    zone, why = zone_for(logger)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    with transaction.atomic():
        upload = Upload(original_name=name[:255], size_bytes=size, sha256=digest.hexdigest(), format=fmt,
                        timezone=zone, logger=logger, uploaded_by=user if getattr(user, "pk", None) else None,
                        device_metadata={"timezone_source": why})
        upload.file.save(name, File(uploaded), save=False)
        upload.save()
        audit_record(actor=user, action="upload.receive", obj=upload,
                     data={"name": name, "sha256": upload.sha256, "format": fmt, "size": size,
                           "logger": logger.serial if logger else None})
        if process:
            from .tasks import upload_process

            transaction.on_commit(lambda: upload_process.delay(str(upload.pk)))
    return upload


class _CountingReader:
    """A read-only stream that counts the bytes handed out (for progress)."""

    def __init__(self, raw):
        self.raw = raw
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        return data

    def readable(self) -> bool:
        return True

    def __getattr__(self, name):
        return getattr(self.raw, name)


INF = float("inf")


@dataclass
class _Chunk:
    """Items read since the last stored chunk."""

    readings: dict = field(default_factory=dict)  # logger id -> {recorded_at: reading dict}
    in_file_duplicates: int = 0
    in_file_conflicts: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    items: int = 0  # items consumed, this chunk included (the resume point)
    now: datetime = field(default_factory=timezone.now)
    latest: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.latest = self.now + FUTURE_TOLERANCE


def upload_process(upload_id: str, *, on_progress=None) -> Upload:
    """Process a stored upload from where it stopped. Idempotent: a done upload is left alone.
    ``on_progress(fraction)`` is called after each stored chunk."""
    claimed = Upload.objects.filter(pk=upload_id, status__in=[UploadStatus.QUEUED, UploadStatus.PROCESSING]).update(
        status=UploadStatus.PROCESSING, started_at=timezone.now())
    upload = Upload.objects.select_related("logger").get(pk=upload_id)
    if not claimed:
        return upload
    try:
        _process(upload, on_progress)
    except (UnreadableFile, UnknownFormat) as exc:
        # The file's own problem, found past its first bytes (a truncated EPCIS document, say):
        # what was read before it stays stored; the upload says what is wrong.
        Upload.objects.filter(pk=upload_id).update(status=UploadStatus.FAILED, failure=str(exc),
                                                   finished_at=timezone.now())
    except Exception as exc:  # a failure of ours: keep what was stored, say so on the upload
        log.exception("upload %s failed", upload_id)
        Upload.objects.filter(pk=upload_id).update(status=UploadStatus.FAILED, failure=f"{type(exc).__name__}: {exc}",
                                                   finished_at=timezone.now())
        raise
    upload.refresh_from_db()
    return upload


def _process(upload: Upload, on_progress=None) -> None:
    loggers: dict[str, Logger | None] = {}
    named = upload.logger.serial if upload.logger is not None else None
    if named is not None:
        loggers[named] = upload.logger
    batch = upload.batch or IngestBatch.objects.create(source="upload", submitted_by=upload.uploaded_by,
                                                      logger=upload.logger)
    if upload.batch_id is None:
        Upload.objects.filter(pk=upload.pk).update(batch=batch)
    # Resume by the number of items already stored, not by line: in EPCIS several readings
    # share one line (their event's index).
    resume_after = upload.checkpoint_items
    with upload.file.open("rb") as raw:
        stream = _CountingReader(raw)
        result, items = parse(stream, format=upload.format, default_tz=upload.timezone or "UTC",
                              filename=upload.original_name)
        chunk = _Chunk()
        pending = 0
        consumed = 0
        for item in items:
            consumed += 1
            if consumed <= resume_after:
                continue
            chunk.items = consumed
            if isinstance(item, RowError):
                chunk.errors.append({"line": item.line, "message": item.message})
            else:
                _accept(item, named, loggers, chunk)
            pending += 1
            if pending >= CHUNK_ROWS:
                _flush(upload, batch, chunk, result, stream.position)
                chunk, pending = _Chunk(), 0
                if on_progress is not None:
                    on_progress(min(0.99, stream.position / max(1, upload.size_bytes)))
        chunk.items = max(chunk.items, resume_after)
        _flush(upload, batch, chunk, result, stream.position, final=True)


def _accept(item: ParsedReading, named: str | None, loggers: dict, chunk: _Chunk) -> None:
    """Check one reading and put it in the chunk, or a row error. ``named``: the serial of the
    logger named with the upload (it wins over a serial in the file)."""
    serial = named or item.logger_serial
    if serial is None:
        chunk.errors.append({"line": item.line, "message": "no logger: name one with the upload (logger) "
                                                           "or in the file"})
        return
    if serial not in loggers:
        loggers[serial] = Logger.objects.filter(serial=serial).first()
    logger = loggers[serial]
    if logger is None:
        chunk.errors.append({"line": item.line, "message": f"unknown logger {serial!r}: create it first"})
        return
    # Parsers yield aware UTC times and finite numbers; the fast test covers the usual case and
    # the detailed checker words the problem when there is one.
    t = item.temperature_c
    lat, lon = item.latitude, item.longitude
    if not (item.recorded_at <= chunk.latest and -273.15 <= t < INF
            and (lat is None or -90 <= lat <= 90) and (lon is None or -180 <= lon <= 180)):
        problems = check_reading(item.recorded_at, t, lat, lon, now=chunk.now)
        if problems:
            chunk.errors.append({"line": item.line, "message": "; ".join(f"{f}: {m}" for f, m in problems)})
            return
    readings = chunk.readings.setdefault(logger.pk, {})
    first = readings.get(item.recorded_at)
    if first is not None:
        if first["temperature_c"] == item.temperature_c:
            chunk.in_file_duplicates += 1
        else:
            chunk.in_file_conflicts.append((logger, item))
        return
    readings[item.recorded_at] = {
        "recorded_at": item.recorded_at, "temperature_c": item.temperature_c, "latitude": item.latitude,
        "longitude": item.longitude, "tilt_deg": item.tilt_deg, "battery_pct": item.battery_pct,
        "humidity_pct": item.humidity_pct,
    }


def _flush(upload: Upload, batch: IngestBatch, chunk: _Chunk, result, position: int, *, final: bool = False) -> None:
    """Store one chunk and the upload's counters atomically."""
    from .models import ReadingConflict

    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        accepted = duplicates = conflicts = 0
        by_id = {lg.pk: lg for lg in Logger.objects.filter(pk__in=list(chunk.readings))}
        for logger_id, readings in chunk.readings.items():
            stored = readings_ingest(logger=by_id[logger_id], readings=list(readings.values()), source="upload",
                                     user=upload.uploaded_by, batch=batch)
            accepted += stored.accepted
            duplicates += stored.duplicates
            conflicts += stored.conflicts
        for logger, item in chunk.in_file_conflicts:
            first = chunk.readings[logger.pk][item.recorded_at]
            ReadingConflict.objects.create(logger=logger, recorded_at=item.recorded_at,
                                           temperature_c=item.temperature_c, stored_temperature_c=first["temperature_c"],
                                           batch=batch, values={"line": item.line})
        conflicts += len(chunk.in_file_conflicts)
        kept = locked.errors + chunk.errors[: max(0, MAX_ERRORS_KEPT - len(locked.errors))]
        locked.accepted += accepted
        locked.duplicates += duplicates + chunk.in_file_duplicates
        locked.conflicts += conflicts
        locked.rejected += len(chunk.errors)
        locked.errors = kept
        locked.rows = max(locked.rows, result.rows)
        locked.skipped = result.skipped
        locked.checkpoint_items = max(locked.checkpoint_items, chunk.items)
        locked.progress = 1.0 if final else min(0.99, position / max(1, locked.size_bytes))
        locked.timezone = result.timezone or locked.timezone
        metadata = dict(result.metadata)
        metadata["timezone_source"] = locked.device_metadata.get("timezone_source")
        locked.device_metadata = metadata
        if final:
            locked.status = UploadStatus.DONE
            locked.finished_at = timezone.now()
        locked.save()
    if final:
        audit_record(action="upload.done", obj=locked,
                     data={"rows": locked.rows, "accepted": locked.accepted, "duplicates": locked.duplicates,
                           "conflicts": locked.conflicts, "rejected": locked.rejected, "skipped": locked.skipped})


def uploads_visible_to(user, queryset: Iterable[Upload] | None = None):
    """Coordinators see every upload; others those they uploaded."""
    from .access import has_role
    from .choices import Role

    qs = Upload.objects.all() if queryset is None else queryset
    if has_role(user, Role.COORDINATOR):
        return qs
    return qs.filter(Q(uploaded_by=user))
