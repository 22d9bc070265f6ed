"""Profiles as the engine sees them (RULES.md §3), and the engine's independence from Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from shipments.monitoring import AlarmRule, Profile


def rule(**changes) -> AlarmRule:
    values = {"key": "r1", "kind": "single", "direction": "above", "threshold_c": 8.0,
              "after_min": 30.0, "severity": "warning", **changes}
    return AlarmRule(**values)


@pytest.mark.parametrize("changes", [
    {"kind": "average"}, {"direction": "inside"}, {"severity": "fatal"}, {"key": ""},
    {"after_min": -1.0}, {"threshold_c": float("nan")},
])
def test_an_impossible_rule_is_refused(changes):
    with pytest.raises(ValueError):
        rule(**changes)


def test_rule_keys_are_unique_and_never_a_kind_name():
    with pytest.raises(ValueError):
        Profile(min_c=2, max_c=8, rules=(rule(), rule()))
    with pytest.raises(ValueError):
        Profile(min_c=2, max_c=8, rules=(rule(key="gap"),))


def test_labelled_range_must_be_a_range():
    with pytest.raises(ValueError):
        Profile(min_c=8, max_c=2)


def test_integral_and_float_settings_are_one_profile():
    a = Profile(min_c=2, max_c=8, rules=(rule(threshold_c=8, after_min=30),), mkt_max_c=25)
    b = Profile(min_c=2.0, max_c=8.0, rules=(rule(),), mkt_max_c=25.0)
    assert a == b and a.digest == b.digest


def test_the_digest_changes_with_any_rule():
    a = Profile(min_c=2, max_c=8, rules=(rule(),))
    assert a.digest != Profile(min_c=2, max_c=8, rules=(rule(after_min=31),)).digest
    assert a.digest != Profile(min_c=2, max_c=8, rules=(rule(),), max_gap_min=15).digest


def test_default_activation_energy_gives_10000_kelvin():
    assert Profile(min_c=2, max_c=8).k_kelvin == pytest.approx(10_000.0, rel=1e-12)


def test_the_engine_imports_nothing_from_django_or_the_project():
    root = Path(__file__).resolve().parents[3]
    code = (
        "import sys, shipments.monitoring\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'alerts', 'coldchain')"
        " or (m.startswith('shipments.') and not m.startswith('shipments.monitoring'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
