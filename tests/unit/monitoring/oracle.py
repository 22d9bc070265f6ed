"""A plain, reading-by-reading reading of RULES.md §2-§5, kept beside the fast engine.

No numpy, no state, no cleverness: each rule walks the readings in time order the way the text
describes it, so that it can be checked by reading it. The fast engine must agree with it on
every series (tests/unit/monitoring/test_properties.py). Where RULES.md is silent this follows the
choices documented in ``shipments.monitoring`` (D to the microsecond, mkt tolerance 1e-9 °C, gap
alarm at start + limit, battery once and never closed, tilt over readings that have a tilt).

Readings are ``(t_us, temperature_c, tilt_deg or None, battery_pct or None)`` tuples, strictly
increasing in time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shipments.monitoring import AlarmRule, Excursion, Profile

Reading = tuple[int, float, float | None, float | None]

US_PER_MIN = 60_000_000
KELVIN = 273.15
MKT_TOLERANCE_C = 1e-9


def to_us(minutes: float) -> int:
    return int(round(minutes * US_PER_MIN))


@dataclass
class Result:
    excursions: list[Excursion] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)


def evaluate(profile: Profile, readings: list[Reading]) -> Result:
    """Every excursion of the whole series, ordered by (started_at, rule_key), and its stats."""
    for before, after in zip(readings, readings[1:], strict=False):
        assert before[0] < after[0], "the oracle wants strictly increasing times"
    times = [r[0] for r in readings]
    temps = [r[1] for r in readings]
    result = Result()
    for rule in profile.rules:
        if rule.kind == "single":
            result.excursions += single_rule(rule, times, temps)
        else:
            result.excursions += cumulative_rule(rule, times, temps)
    if profile.mkt_max_c is not None:
        result.excursions += mkt_rule(profile, times, temps)
    if profile.max_gap_min is not None:
        result.excursions += gap_rule(profile, times)
    if profile.max_tilt_deg is not None:
        result.excursions += tilt_rule(profile, readings)
    if profile.min_battery_pct is not None:
        result.excursions += battery_rule(profile, readings)
    result.excursions.sort(key=lambda e: (e.started_at, e.rule_key))
    result.stats = stats(profile, times, temps)
    return result


def hold(times: list[int], i: int) -> int:
    """Step-hold: reading i holds until the next one; the last holds no time yet."""
    return times[i + 1] - times[i] if i + 1 < len(times) else 0


def breaches(direction: str, threshold: float, value: float) -> bool:
    return value > threshold if direction == "above" else value < threshold


def more_extreme(direction: str, value: float, peak: float) -> bool:
    return value > peak if direction == "above" else value < peak


def runs(direction: str, threshold: float, times: list[int], values: list[float], after_min: float):
    """(start, end or None, duration_us, peak, peak_at) of each run that lasts at least D."""
    d = to_us(after_min)
    found = []
    start = None
    for i in range(len(times) + 1):
        breaching = i < len(times) and breaches(direction, threshold, values[i])
        if breaching and start is None:
            start = i
        if not breaching and start is not None:
            if i < len(times):
                end_at: int | None = times[i]
                duration = times[i] - times[start]
            else:
                end_at = None  # still open: it lasts until the last reading so far
                duration = times[-1] - times[start]
            if duration >= d:
                peak, peak_at = values[start], times[start]
                for j in range(start, i):
                    if more_extreme(direction, values[j], peak):
                        peak, peak_at = values[j], times[j]
                found.append((times[start], end_at, duration, peak, peak_at))
            start = None
    return found


def single_rule(rule: AlarmRule, times: list[int], temps: list[float]) -> list[Excursion]:
    return [
        Excursion(
            kind="single", rule_key=rule.key, started_at=start, alarm_at=start + to_us(rule.after_min),
            ended_at=end, duration_min=duration / US_PER_MIN, peak_c=peak, peak_at=peak_at,
            direction=rule.direction, threshold_c=rule.threshold_c, after_min=rule.after_min,
            severity=rule.severity,
        )
        for start, end, duration, peak, peak_at in runs(
            rule.direction, rule.threshold_c, times, temps, rule.after_min
        )
    ]


def cumulative_rule(rule: AlarmRule, times: list[int], temps: list[float]) -> list[Excursion]:
    d = to_us(rule.after_min)
    total = 0
    first = None
    peak = peak_at = None
    alarm_at = None
    for i, value in enumerate(temps):
        if not breaches(rule.direction, rule.threshold_c, value):
            continue
        if first is None:
            first = times[i]
        if peak is None or more_extreme(rule.direction, value, peak):
            peak, peak_at = value, times[i]
        if alarm_at is None and total + hold(times, i) >= d:
            alarm_at = times[i] + max(0, d - total)  # inside this reading's hold
        total += hold(times, i)
    if alarm_at is None or first is None:
        return []
    return [
        Excursion(
            kind="cumulative", rule_key=rule.key, started_at=first, alarm_at=alarm_at,
            ended_at=None, duration_min=total / US_PER_MIN, peak_c=peak, peak_at=peak_at,
            direction=rule.direction, threshold_c=rule.threshold_c, after_min=rule.after_min,
            severity=rule.severity,
        )
    ]


def mean_kinetic_temperature(k: float, times: list[int], temps: list[float]) -> float:
    """RULES.md §4 with the weights written out: w_i = t_{i+1} - t_i, the last one as the one
    before it; one reading is its own temperature."""
    if len(temps) == 1:
        return temps[0]
    weights = [times[i + 1] - times[i] for i in range(len(times) - 1)]
    weights.append(weights[-1])
    num = math.fsum(w * math.exp(-k / (x + KELVIN)) for w, x in zip(weights, temps, strict=True))
    return k / -math.log(num / math.fsum(weights)) - KELVIN


def mkt_rule(profile: Profile, times: list[int], temps: list[float]) -> list[Excursion]:
    k = profile.activation_energy_kj_mol * 1000.0 / 8.3144
    assert profile.mkt_max_c is not None
    closed_num = 0.0  # Σ over readings before k of hold·exp(-K/T)
    closed_den = 0
    for i, value in enumerate(temps):
        # MKT of the series up to reading i, reading i weighted as the one before it.
        if i == 0:
            so_far = value
        else:
            w = times[i] - times[i - 1]
            num = closed_num + w * math.exp(-k / (value + KELVIN))
            so_far = k / -math.log(num / (closed_den + w)) - KELVIN
        if so_far > profile.mkt_max_c + MKT_TOLERANCE_C:
            return [
                Excursion(
                    kind="mkt", rule_key="mkt", started_at=times[i], alarm_at=times[i],
                    ended_at=None, duration_min=0.0, peak_c=so_far, peak_at=times[i],
                    direction="above", threshold_c=profile.mkt_max_c, after_min=None,
                    severity="warning",
                )
            ]
        closed_num += hold(times, i) * math.exp(-k / (value + KELVIN))
        closed_den += hold(times, i)
    return []


def gap_rule(profile: Profile, times: list[int]) -> list[Excursion]:
    assert profile.max_gap_min is not None
    limit = to_us(profile.max_gap_min)
    return [
        Excursion(
            kind="gap", rule_key="gap", started_at=a, alarm_at=a + limit, ended_at=b,
            duration_min=(b - a) / US_PER_MIN, peak_c=None, peak_at=None, direction=None,
            threshold_c=None, after_min=profile.max_gap_min, severity="warning",
        )
        for a, b in zip(times, times[1:], strict=False)
        if b - a > limit
    ]


def tilt_rule(profile: Profile, readings: list[Reading]) -> list[Excursion]:
    assert profile.max_tilt_deg is not None
    with_tilt = [(r[0], r[2]) for r in readings if r[2] is not None]
    times = [t for t, _ in with_tilt]
    tilts = [float(v) for _, v in with_tilt if v is not None]
    after_min = profile.tilt_after_min or 0.0
    return [
        Excursion(
            kind="tilt", rule_key="tilt", started_at=start, alarm_at=start + to_us(after_min),
            ended_at=end, duration_min=duration / US_PER_MIN, peak_c=peak, peak_at=peak_at,
            direction="above", threshold_c=profile.max_tilt_deg, after_min=after_min,
            severity="warning",
        )
        for start, end, duration, peak, peak_at in runs(
            "above", profile.max_tilt_deg, times, tilts, after_min
        )
    ]


def battery_rule(profile: Profile, readings: list[Reading]) -> list[Excursion]:
    assert profile.min_battery_pct is not None
    for t, _, _, battery in readings:
        if battery is not None and battery < profile.min_battery_pct:
            return [
                Excursion(
                    kind="battery", rule_key="battery", started_at=t, alarm_at=t, ended_at=None,
                    duration_min=0.0, peak_c=battery, peak_at=t, direction="below",
                    threshold_c=profile.min_battery_pct, after_min=None, severity="warning",
                )
            ]
    return []


def stats(profile: Profile, times: list[int], temps: list[float]) -> dict[str, object]:
    n = len(temps)
    breach_min = {
        rule.key: sum(
            hold(times, i) for i in range(n) if breaches(rule.direction, rule.threshold_c, temps[i])
        ) / US_PER_MIN
        for rule in profile.rules
    }
    if n == 0:
        return {
            "count": 0, "first_at": None, "last_at": None, "min_c": None, "min_at": None,
            "max_c": None, "max_at": None, "mean_c": None, "mkt_c": None, "last_c": None,
            "tor_min": 0.0, "largest_gap_min": None, "breach_min": breach_min,
        }
    low = min(temps)
    high = max(temps)
    outside = sum(
        hold(times, i) for i in range(n) if temps[i] < profile.min_c or temps[i] > profile.max_c
    )
    k = profile.activation_energy_kj_mol * 1000.0 / 8.3144
    return {
        "count": n,
        "first_at": times[0],
        "last_at": times[-1],
        "min_c": low,
        "min_at": times[temps.index(low)],
        "max_c": high,
        "max_at": times[temps.index(high)],
        "mean_c": math.fsum(temps) / n,
        "mkt_c": mean_kinetic_temperature(k, times, temps),
        "last_c": temps[-1],
        "tor_min": outside / US_PER_MIN,
        "largest_gap_min": max((b - a for a, b in zip(times, times[1:], strict=False)), default=0)
        / US_PER_MIN,
        "breach_min": breach_min,
    }
