"""Hypothesis strategies for series and profiles that sit on the edges of the rules: values
exactly at thresholds, D = 0, single readings, empty series, long gaps, absent tilt and battery."""

from __future__ import annotations

from hypothesis import strategies as st

from shipments.monitoring import AlarmRule, Profile

from .oracle import Reading

T0 = 1_700_000_000_000_000  # 2023-11-14, µs
MINUTE = 60_000_000

# Values on and either side of the thresholds below, plus a few far away.
GRID = [-5.0, 0.0, 1.9, 2.0, 2.1, 5.0, 7.9, 8.0, 8.1, 12.5, 25.0]
THRESHOLDS = [2.0, 5.0, 8.0, 8.1, 12.5]
# A series either lives around 2-8 °C or, shifted, around LN2 vapour temperatures.
OFFSETS = [0.0, -160.0]
STEPS = [1, 30 * 1_000_000, MINUTE, 90 * 1_000_000, 2 * MINUTE, 7 * MINUTE, 45 * MINUTE,
         3 * 60 * MINUTE]
DELAYS = [0.0, 0.5, 1.0, 2.5, 10.0, 30.0]


def _temperature() -> st.SearchStrategy[float]:
    return st.one_of(
        st.sampled_from(GRID),
        st.floats(min_value=-10.0, max_value=30.0, allow_nan=False).map(lambda v: round(v, 2)),
    )


@st.composite
def readings(draw: st.DrawFn, max_size: int = 60, offset: float = 0.0) -> list[Reading]:
    """Strictly increasing readings, some with tilt and battery, some without."""
    n = draw(st.integers(min_value=0, max_value=max_size))
    steps = draw(st.lists(
        st.one_of(st.sampled_from(STEPS), st.integers(min_value=1, max_value=10 * MINUTE)),
        min_size=n, max_size=n,
    ))
    temps = draw(st.lists(_temperature(), min_size=n, max_size=n))
    tilts = draw(st.lists(st.one_of(st.none(), st.sampled_from([0.0, 10.0, 45.0, 45.5, 90.0])),
                          min_size=n, max_size=n))
    batteries = draw(st.lists(st.one_of(st.none(), st.sampled_from([100.0, 50.0, 20.0, 19.9, 5.0])),
                              min_size=n, max_size=n))
    rows: list[Reading] = []
    t = T0
    for step, temp, tilt, battery in zip(steps, temps, tilts, batteries, strict=True):
        t += step
        rows.append((t, temp + offset, tilt, battery))
    return rows


@st.composite
def profiles(draw: st.DrawFn, offset: float = 0.0) -> Profile:
    """A profile with 0-4 rules of any kind and direction and the optional rules on or off."""
    count = draw(st.integers(min_value=0, max_value=4))
    rules = tuple(
        AlarmRule(
            key=f"r{i + 1}",
            kind=draw(st.sampled_from(["single", "cumulative"])),
            direction=draw(st.sampled_from(["above", "below"])),
            threshold_c=draw(st.sampled_from(THRESHOLDS)) + offset,
            after_min=draw(st.one_of(st.sampled_from(DELAYS),
                                     st.floats(min_value=0.0, max_value=60.0))),
            severity=draw(st.sampled_from(["warning", "critical"])),
        )
        for i in range(count)
    )
    return Profile(
        min_c=2.0 + offset,
        max_c=8.0 + offset,
        rules=rules,
        activation_energy_kj_mol=draw(st.sampled_from([83.144, 83.0])),
        mkt_max_c=draw(st.one_of(st.none(), st.sampled_from(THRESHOLDS).map(lambda v: v + offset))),
        max_gap_min=draw(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0, 30.0, 60.0]))),
        max_tilt_deg=draw(st.one_of(st.none(), st.just(45.0))),
        tilt_after_min=draw(st.one_of(st.none(), st.sampled_from([0.0, 1.0, 5.0]))),
        min_battery_pct=draw(st.one_of(st.none(), st.just(20.0))),
    )


@st.composite
def cases(draw: st.DrawFn, max_size: int = 60) -> tuple[Profile, list[Reading]]:
    """A profile and a series in the same temperature world."""
    offset = draw(st.sampled_from(OFFSETS))
    return draw(profiles(offset=offset)), draw(readings(max_size=max_size, offset=offset))
