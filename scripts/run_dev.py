"""`make run`: migrate, load demo data, collect static files, then serve on 127.0.0.1:8000 with the
minute sweep running beside the server (no broker: tasks run in-process)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.chdir(ROOT)
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coldchain.settings")
ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")
os.environ.setdefault("PUBLIC_BASE_URL", f"http://{ADDRESS}")


def manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True)


def minute_sweep_forever() -> None:
    import django

    django.setup()
    from shipments.tasks import minute_sweep

    try:
        from alerts.tasks import alerts_sweep
    except ImportError:  # pragma: no cover - alerts not ready
        alerts_sweep = None
    while True:
        time.sleep(60 - time.time() % 60)
        try:
            minute_sweep()
            if alerts_sweep is not None:
                alerts_sweep()
        except Exception as exc:  # noqa: BLE001 - keep sweeping; the next minute retries
            print(f"minute sweep failed: {exc!r}", file=sys.stderr)


def main() -> None:
    manage("migrate", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    manage("seed_demo")
    print(f"\nServing on http://{ADDRESS}/ — stop with Ctrl-C.\n", flush=True)
    threading.Thread(target=minute_sweep_forever, daemon=True, name="minute-sweep").start()
    import django
    from django.core.management import call_command

    django.setup()
    call_command("runserver", ADDRESS, use_reloader=False)


if __name__ == "__main__":
    main()
