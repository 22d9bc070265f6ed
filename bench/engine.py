"""Throughput and flatness of the monitoring engine (not part of the test run).

    .venv/bin/python bench/engine.py

Prints, from one single-process run timed with time.perf_counter:
- readings/s of the fast engine and of the plain oracle over the same 10-day, 1-minute LN2
  series (several loggers, realistic noise, a few excursions), with all rules of a typical LN2
  profile on; the ratio to the 10,000,000/s goal and the fast/oracle ratio (goal >= 10);
- flatness: one new 100-reading batch evaluated with a state carrying 1,000,000 readings of
  history vs 1,000 readings, side by side, best of several repeats (goal <= 1.5x);
- the minute sweep of the clock rules over 10,000 shipments, for scale.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shipments.monitoring import (  # noqa: E402
    AlarmRule,
    ClockFacts,
    Profile,
    Series,
    evaluate,
    evaluate_clock,
)
from tests.unit.monitoring import oracle  # noqa: E402

GOAL_READINGS_PER_S = 10_000_000
GOAL_VS_ORACLE = 10.0
GOAL_FLATNESS = 1.5

MIN = 60_000_000
T0 = 1_735_689_600_000_000  # 2025-01-01T00:00Z
LOGGERS = 8
READINGS = 14_400  # 10 days at 1 minute

LN2 = Profile(
    min_c=-196.0,
    max_c=-150.0,
    rules=(
        AlarmRule("r1", "single", "above", -150.0, 10.0, "warning"),
        AlarmRule("r2", "single", "above", -120.0, 0.0, "critical"),
        AlarmRule("r3", "cumulative", "above", -150.0, 60.0, "critical"),
    ),
    mkt_max_c=-150.0,
    max_gap_min=15.0,
    max_tilt_deg=45.0,
    tilt_after_min=5.0,
    min_battery_pct=20.0,
)


def ln2_series(seed: int, n: int = READINGS, start: int = T0, excursions: bool = True) -> Series:
    """A dewar logger: about -190 °C with noise and slow drift, jittered 1-minute sampling, a
    lid-open warm-up, a short spike, a dropped stretch, a tipped shipper, a draining battery."""
    rng = np.random.default_rng(seed)
    steps = MIN + rng.integers(-2_000_000, 2_000_000, size=n)
    t = start + np.cumsum(steps)
    temp = -190.0 + rng.normal(0.0, 0.8, n) + 2.0 * np.sin(np.arange(n) / 1440.0 * 2 * np.pi)
    tilt = np.abs(rng.normal(3.0, 1.5, n))
    battery = np.linspace(100.0, 15.0, n)
    if excursions:
        for _ in range(3):  # lid opened: 15-40 minutes warming above -150
            i = int(rng.integers(100, n - 100))
            length = int(rng.integers(15, 40))
            temp[i:i + length] = -145.0 + rng.normal(0.0, 2.0, length)
        i = int(rng.integers(100, n - 100))
        temp[i:i + 3] = -110.0  # a short spike past the critical limit
        i = int(rng.integers(100, n - 100))
        tilt[i:i + 12] = 80.0  # tipped over for 12 minutes
        i = int(rng.integers(100, n - 100))
        keep = np.ones(n, dtype=bool)
        keep[i:i + 30] = False  # 30 readings lost: a gap
        t, temp, tilt, battery = t[keep], temp[keep], tilt[keep], battery[keep]
        tilt[rng.random(tilt.shape[0]) < 0.05] = np.nan  # some readings without tilt
    return Series(t.astype(np.int64), np.round(temp, 2), np.round(tilt, 1), np.round(battery, 1))


def best_of(repeats: int, work) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def throughput() -> None:
    fleet = [ln2_series(seed) for seed in range(LOGGERS)]
    total = sum(len(s) for s in fleet)
    rows = [s.rows() for s in fleet]
    excursions = sum(len(evaluate(LN2, s).excursions) for s in fleet)

    fast = best_of(7, lambda: [evaluate(LN2, s) for s in fleet])
    slow = best_of(3, lambda: [oracle.evaluate(LN2, r) for r in rows])
    fast_rate = total / fast
    slow_rate = total / slow
    print(f"series: {LOGGERS} loggers x ~{READINGS:,} readings (10 days at 1 min), "
          f"{total:,} readings, {excursions} excursions in all")
    print(f"fast engine : {fast_rate:14,.0f} readings/s  ({fast * 1e3:7.2f} ms)  "
          f"{fast_rate / GOAL_READINGS_PER_S:5.2f}x the {GOAL_READINGS_PER_S:,}/s goal  "
          f"[{'ok' if fast_rate >= GOAL_READINGS_PER_S else 'BELOW GOAL'}]")
    print(f"oracle      : {slow_rate:14,.0f} readings/s  ({slow * 1e3:7.2f} ms)")
    print(f"fast/oracle : {fast_rate / slow_rate:14.1f}x  (goal >= {GOAL_VS_ORACLE:.0f})  "
          f"[{'ok' if fast_rate / slow_rate >= GOAL_VS_ORACLE else 'BELOW GOAL'}]")


def flatness() -> None:
    # Both histories are quiet dewars with a draining battery, so the same rules have fired in
    # both states and the batch takes the same path through the engine.
    long_history = ln2_series(100, n=1_000_000, excursions=False)
    short_history = ln2_series(100, n=1_000, excursions=False)
    long_state = evaluate(LN2, long_history).state
    short_state = evaluate(LN2, short_history).state
    template = ln2_series(7, n=100, start=0, excursions=False)

    def after(history: Series) -> Series:
        shift = int(history.t[-1]) + MIN
        return Series(template.t + shift, template.temp, template.tilt, template.battery)

    long_batch, short_batch = after(long_history), after(short_history)
    long_best = short_best = float("inf")
    for _ in range(50):  # interleaved, so both see the same machine
        long_best = min(long_best, best_of(20, lambda: evaluate(LN2, long_batch, long_state)))
        short_best = min(short_best, best_of(20, lambda: evaluate(LN2, short_batch, short_state)))
    ratio = long_best / short_best
    print(f"100-reading batch after 1,000,000 readings: {long_best * 1e6:8.1f} us")
    print(f"100-reading batch after     1,000 readings: {short_best * 1e6:8.1f} us")
    print(f"flatness    : {ratio:14.2f}x  (goal <= {GOAL_FLATNESS})  "
          f"[{'ok' if ratio <= GOAL_FLATNESS else 'ABOVE GOAL'}]")


def clock_sweep() -> None:
    now = T0 + 3 * 24 * 60 * MIN
    rng = np.random.default_rng(1)
    facts = [
        ClockFacts(
            in_transit=True,
            last_reading_at=now - int(rng.integers(0, 40)) * MIN,
            max_gap_min=30.0,
            product_expires_at=now + int(rng.integers(-10, 200)) * 60 * MIN,
            eta=now + int(rng.integers(1, 48)) * 60 * MIN,
            shelf_life_margin_h=6.0,
            charged_at=now - 48 * 60 * MIN,
            hold_time_h=float(rng.integers(60, 240)),
            hold_time_margin_h=12.0,
        )
        for _ in range(10_000)
    ]
    seconds = best_of(5, lambda: [evaluate_clock(f, now) for f in facts])
    print(f"clock rules : {len(facts):,} shipments in {seconds * 1e3:.1f} ms "
          f"({seconds / len(facts) * 1e6:.2f} us each)")


if __name__ == "__main__":
    throughput()
    flatness()
    clock_sweep()
