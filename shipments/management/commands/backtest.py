"""Re-evaluate past shipments against a profile version and report what would have differed.
A what-if: no record is changed."""

import json

from django.core.management.base import BaseCommand, CommandError

from shipments.backtest import backtest
from shipments.models import Profile, Shipment


def _line(d: dict) -> str:
    threshold = "" if d["threshold_c"] is None else f" {d['direction'] or ''} {d['threshold_c']:g}"
    after = "" if d["after_min"] is None else f" after {d['after_min']:g} min"
    return (f"{d['kind']}{threshold}{after} ({d['severity']}) on {d['logger']} from {d['started_at']}, "
            f"{d['duration_min']:g} min, peak {d['peak_c']}")


class Command(BaseCommand):
    help = "Back-test: evaluate past shipments against a profile version (default: the current one)."

    def add_arguments(self, parser):
        parser.add_argument("profile", help="Profile code.")
        parser.add_argument("--profile-version", type=int, dest="profile_version", help="Version number to test (default: the latest).")
        parser.add_argument("--shipment", action="append", default=[], help="Tracking number; repeat for several.")
        parser.add_argument("--since", help="Only shipments created on or after this date (YYYY-MM-DD).")
        parser.add_argument("--json", action="store_true", dest="as_json", help="Machine-readable output.")
        parser.add_argument("--all", action="store_true", dest="show_all", help="List shipments that would not differ too.")

    def handle(self, *args, profile, profile_version, shipment, since, as_json=False, show_all=False, **options):
        version = profile_version
        found = Profile.objects.filter(code=profile).first()
        if found is None:
            raise CommandError(f"No profile {profile!r}.")
        candidate = found.versions.filter(number=version).first() if version else found.current_version
        if candidate is None:
            raise CommandError(f"Profile {profile} has no version {version}.")
        shipments = Shipment.objects.filter(profile_version__profile=found).select_related("profile_version")
        if shipment:
            shipments = shipments.filter(tracking_number__in=shipment)
        if since:
            shipments = shipments.filter(created_at__date__gte=since)
        diffs = backtest(version=candidate, shipments=shipments.order_by("created_at"))
        if as_json:
            self.stdout.write(json.dumps([d.__dict__ for d in diffs], indent=2, default=str))
            return
        differing = [d for d in diffs if d.differs]
        self.stdout.write(f"Back-test of {found.code} v{candidate.number} over {len(diffs)} shipment(s): "
                          f"{len(differing)} would differ. Nothing was changed.")
        for d in diffs if show_all else differing:
            self.stdout.write(f"\n{d.tracking_number} (evaluated under v{d.version_in_force}, {d.readings} readings)")
            for e in d.only_now:
                self.stdout.write(f"  - would not be raised: {_line(e)}")
            for e in d.only_candidate:
                self.stdout.write(f"  + would be raised:     {_line(e)}")
            for before, after in d.changed:
                self.stdout.write(f"  ~ would change:        {_line(before)}\n                      -> {_line(after)}")
            if not d.differs:
                self.stdout.write("  = no difference")
