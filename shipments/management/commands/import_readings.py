"""Import a logger file from the command line, with a progress bar: the same path as an upload
(stored as evidence, parsed in chunks, readings stored exactly as the API stores them)."""

from pathlib import Path

from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from shipments.models import Logger, Upload
from shipments.uploads import UploadRefused, upload_process, upload_receive


class Command(BaseCommand):
    help = "Import a logger file (native CSV, Berlinger, LogTag, HOBO, EPCIS) and print what was read."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--logger", help="Serial of the logger the file is from (else the file's own).")
        parser.add_argument("--format", dest="fmt", help="Skip detection: native_csv, berlinger, logtag, hobo, epcis.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, path, logger=None, fmt=None, no_progress=False, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        found = None
        if logger:
            found = Logger.objects.filter(serial=logger).first()
            if found is None:
                raise CommandError(f"No logger {logger!r}.")
        uploaded = TemporaryUploadedFile(source.name, "application/octet-stream", source.stat().st_size, None)
        with source.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                uploaded.write(block)
        uploaded.seek(0)
        try:
            # Processing runs here, in this process, so the bar can follow it.
            upload = upload_receive(uploaded=uploaded, user=None, logger=found, fmt=fmt, process=False)
        except UploadRefused as refused:
            raise CommandError(refused.message) from None
        finally:
            uploaded.close()
        bar = tqdm(total=100, unit="%", disable=no_progress, desc=source.name,
                   bar_format="{l_bar}{bar}| {n:.0f}% [{elapsed}<{remaining}]")

        def progress(fraction: float) -> None:
            bar.update(fraction * 100 - bar.n)

        upload = upload_process(str(upload.pk), on_progress=progress)
        progress(1.0)
        bar.close()
        self._summary(upload)

    def _summary(self, upload: Upload) -> None:
        out = self.stdout.write
        out(f"Upload {upload.pk}: {upload.status}, format {upload.format}, zone {upload.timezone}")
        reason = (upload.device_metadata or {}).get("timezone_reason")
        if reason:
            out(f"  zone: {reason}")
        out(f"  rows {upload.rows}: accepted {upload.accepted}, duplicates {upload.duplicates}, "
            f"conflicts {upload.conflicts}, rejected {upload.rejected}, skipped {upload.skipped}")
        for error in upload.errors[:20]:
            out(f"  line {error['line']}: {error['message']}")
        if len(upload.errors) > 20:
            out(f"  … {upload.rejected - 20} more row errors (see the upload in the admin)")



