"""Profile versions: the frozen definition a shipment is evaluated against (RULES.md §3)."""

from __future__ import annotations

from django.db import transaction

from . import monitoring
from .models import Profile, ProfileVersion

SETTINGS = (
    "min_c", "max_c", "activation_energy_kj_mol", "mkt_max_c", "max_gap_min", "max_tilt_deg",
    "tilt_after_min", "min_battery_pct", "shelf_life_margin_h", "hold_time_margin_h",
    "handling_time_h", "planning_speed_kmh",
)


def profile_definition(profile: Profile) -> dict:
    """The profile's current settings and rules as plain data. Rule keys are ``r<pk>`` so an
    unchanged rule keeps its key from one version to the next."""
    return {
        **{name: getattr(profile, name) for name in SETTINGS},
        "rules": [
            {
                "key": f"r{rule.pk}",
                "kind": rule.kind,
                "direction": rule.direction,
                "threshold_c": rule.threshold_c,
                "after_min": rule.after_min,
                "severity": rule.severity,
            }
            for rule in profile.rules.order_by("id")
        ],
    }


@transaction.atomic
def profile_version_publish(*, profile: Profile, user=None) -> ProfileVersion:
    """Make the profile's current definition a version, unless the latest version already is
    exactly that. Returns the version in force."""
    from .audit import audit_record

    Profile.objects.select_for_update().filter(pk=profile.pk).first()
    definition = profile_definition(profile)
    latest = profile.versions.order_by("-number").first()
    if latest is not None and latest.definition == definition:
        return latest
    version = ProfileVersion.objects.create(
        profile=profile,
        number=(latest.number + 1) if latest else 1,
        definition=definition,
        created_by=user if getattr(user, "pk", None) else None,
    )
    audit_record(actor=user, action="profile.version", obj=version,
                 data={"profile": profile.code, "number": version.number, "definition": definition})
    return version


def engine_profile(definition: dict) -> monitoring.Profile:
    """The engine's view of a frozen definition."""
    return monitoring.Profile(
        min_c=definition["min_c"],
        max_c=definition["max_c"],
        rules=tuple(
            monitoring.AlarmRule(
                key=rule["key"],
                kind=rule["kind"],
                direction=rule["direction"],
                threshold_c=rule["threshold_c"],
                after_min=rule["after_min"],
                severity=rule["severity"],
            )
            for rule in definition.get("rules", ())
        ),
        activation_energy_kj_mol=definition.get("activation_energy_kj_mol") or 83.144,
        mkt_max_c=definition.get("mkt_max_c"),
        max_gap_min=definition.get("max_gap_min"),
        max_tilt_deg=definition.get("max_tilt_deg"),
        tilt_after_min=definition.get("tilt_after_min"),
        min_battery_pct=definition.get("min_battery_pct"),
    )


def rule_evidence(definition: dict, rule_key: str) -> dict:
    """The thresholds in force for a rule key, kept with each excursion as evidence."""
    for rule in definition.get("rules", ()):
        if rule["key"] == rule_key:
            return dict(rule)
    return {key: definition.get(key) for key in SETTINGS if definition.get(key) is not None}
