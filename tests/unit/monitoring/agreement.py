"""What "the same result" means for the engine (RULES.md §2): instants equal, figures within
1e-9 relative (and 1e-9 absolute near zero, where a relative bound means nothing).

Temperatures are compared relative to their absolute (kelvin) value: a Celsius figure near
0 °C makes a relative bound meaningless (3.79680365 °C and 3.79680366 °C differ by 3e-9 of
the Celsius value but 4e-11 of the temperature). A CI run once produced exactly such a pair for
a running MKT; it could not be replayed."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from shipments.monitoring import Excursion, Stats

REL = 1e-9


TEMPERATURE_FIELDS = {"peak_c", "threshold_c", "min_c", "max_c", "mean_c", "mkt_c", "last_c"}


def same_value(a: Any, b: Any, name: str = "") -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if name in TEMPERATURE_FIELDS:
            return math.isclose(a + 273.15, b + 273.15, rel_tol=REL, abs_tol=1e-9)
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-9)
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def assert_same_excursions(got: Iterable[Excursion], expected: Iterable[Excursion]) -> None:
    got_by_key = {e.key: e for e in got}
    expected_by_key = {e.key: e for e in expected}
    assert sorted(got_by_key) == sorted(expected_by_key)
    for key, want in expected_by_key.items():
        have = got_by_key[key]
        for name, value in want.as_dict().items():
            if name == "detected_at":
                continue
            assert same_value(getattr(have, name), value, name), (key, name, getattr(have, name), value)


def assert_same_stats(got: Stats | Mapping[str, Any], expected: Stats | Mapping[str, Any]) -> None:
    have = got.as_dict() if isinstance(got, Stats) else dict(got)
    want = expected.as_dict() if isinstance(expected, Stats) else dict(expected)
    assert have.keys() == want.keys()
    for name in want:
        assert same_value(have[name], want[name], name), (name, have[name], want[name])
