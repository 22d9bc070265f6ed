"""The reading-driven rules (RULES.md §2-§5), evaluated over numpy columns.

``evaluate`` takes a profile, a batch of one logger's readings and the state left by the
previous batch, and returns the new state, the excursions the batch touched and the figures of
the whole series so far. Everything is step-hold: reading *i* holds over ``[t_i, t_{i+1})`` and
the last reading holds for no time until the next one arrives, so the batch's first reading
completes the hold of the state's last one. The state carries running sums only, so a batch
costs the same whatever the length of the history.

Choices where RULES.md is silent (also stated in the docstrings below):

- D and the gap limit are used to the microsecond (``round(minutes * 60e6)``).
- ``mkt`` fires on the first reading at which the MKT so far exceeds ``mkt_max_c`` by more than
  ``MKT_TOLERANCE_C`` (1e-9 °C), so float rounding on a series sitting exactly at the limit never
  raises it; it records that MKT as its peak, lasts no time and never ends.
- ``gap``: ``alarm_at = started_at + max_gap``; no peak. ``battery``: fires once on the first
  reading strictly below the minimum, records that reading's value, never ends.
- ``tilt``: a single rule "above ``max_tilt_deg`` after ``tilt_after_min``" over the readings
  that have a tilt value; its open duration runs to the last reading that has one.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .excursions import Excursion
from .kinetics import KELVIN, MIN_KELVIN, kelvin, mkt_from_mean
from .profile import US_PER_MIN, AlarmRule, Profile, minutes_to_us
from .series import FloatArray, IntArray, Series

MKT_TOLERANCE_C = 1e-9
STATE_VERSION = 1


class LateReadingError(ValueError):
    """A reading is not later than the state's last one: evaluate from scratch instead."""


# --- state ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunState:
    """An open run (single rule or tilt): its first breaching reading and its extreme so far."""

    started_at: int
    peak: float
    peak_at: int


@dataclass(frozen=True)
class RuleState:
    """What one alarm rule remembers.

    ``breach_us``: step-hold time of its breaching readings so far (the last reading's hold is
    not known yet, so not counted). ``run``: a single rule's open run, if the last reading
    breaches. ``first_at``, ``peak``, ``peak_at``, ``alarm_at``: a cumulative rule's first
    breaching reading, extreme, and when it fired (``None`` until it has).
    """

    breach_us: int = 0
    run: RunState | None = None
    first_at: int | None = None
    peak: float | None = None
    peak_at: int | None = None
    alarm_at: int | None = None


@dataclass(frozen=True)
class State:
    """Everything needed to continue evaluating one logger's series. Plain data; ``to_json()``
    gives a JSON-compatible dict (no NaN or infinity) and ``from_json()`` takes it (or its
    string) back. A state belongs to the profile it was made with (``profile_digest``)."""

    profile_digest: str
    count: int = 0
    first_at: int | None = None
    last_at: int | None = None
    last_c: float | None = None
    last_hold_us: int = 0
    min_c: float | None = None
    min_at: int | None = None
    max_c: float | None = None
    max_at: int | None = None
    sum_c: float = 0.0
    tor_us: int = 0
    largest_gap_us: int = 0
    rules: tuple[RuleState, ...] = ()
    # Σ_{i<n-1} h_i·exp(-K/T_i - mkt_shift): the closed part of the MKT sum, scaled.
    mkt_shift: float = 0.0
    mkt_sum: float = 0.0
    mkt_alarm_at: int | None = None
    mkt_alarm_c: float | None = None
    tilt_last_at: int | None = None
    tilt_run: RunState | None = None
    battery_alarm_at: int | None = None
    battery_alarm_pct: float | None = None

    @classmethod
    def start(cls, profile: Profile) -> State:
        """The state before any reading."""
        return cls(profile_digest=profile.digest, rules=tuple(RuleState() for _ in profile.rules))

    def to_json(self) -> dict[str, Any]:
        """JSON-compatible plain data."""
        data: dict[str, Any] = {"version": STATE_VERSION}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "rules":
                value = [_plain(rule) for rule in value]
            elif isinstance(value, RunState):
                value = _plain(value)
            data[name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str) -> State:
        """The inverse of ``to_json`` (accepts the dict or its JSON text)."""
        raw: Mapping[str, Any] = json.loads(data) if isinstance(data, str) else data
        if raw.get("version") != STATE_VERSION:
            raise ValueError(f"unknown monitor state version {raw.get('version')!r}")
        values = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        values["rules"] = tuple(
            RuleState(**{**rule, "run": _run(rule.get("run"))}) for rule in raw.get("rules", ())
        )
        values["tilt_run"] = _run(raw.get("tilt_run"))
        return cls(**values)


def _plain(obj: RuleState | RunState) -> dict[str, Any]:
    data = dict(obj.__dict__)
    if isinstance(obj, RuleState) and obj.run is not None:
        data["run"] = dict(obj.run.__dict__)
    return data


def _run(data: Mapping[str, Any] | None) -> RunState | None:
    return None if data is None else RunState(**data)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    """RULES.md §4 for one logger's series so far. Instants in µs; ``None`` without readings.

    ``mean_c`` is arithmetic over readings; ``mkt_c`` time-weighted (last reading weighted as
    the one before it); ``tor_min`` the step-hold time outside ``[min_c, max_c]`` of the profile;
    ``breach_min`` the step-hold time beyond each rule's threshold, by rule key;
    ``largest_gap_min`` the longest interval between consecutive readings (0 for one reading).
    ``min_at``/``max_at`` are the earliest readings at the extremes; ``last_c`` the latest value.
    """

    count: int
    first_at: int | None
    last_at: int | None
    min_c: float | None
    min_at: int | None
    max_c: float | None
    max_at: int | None
    mean_c: float | None
    mkt_c: float | None
    last_c: float | None
    tor_min: float
    largest_gap_min: float | None
    breach_min: Mapping[str, float]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly plain data (instants as µs)."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["breach_min"] = dict(self.breach_min)
        return data


@dataclass(frozen=True)
class Evaluation:
    """The result of ``evaluate``.

    ``excursions``: every excursion this batch touched, in its latest form, ordered by
    ``(started_at, rule_key)``: those open in the incoming state (closed now or still open,
    changed or not) and those started, fired or changed by the new readings. A run that has not
    reached its D is not an excursion; it lives in the state. ``stats``: the whole series so far.
    """

    state: State
    excursions: tuple[Excursion, ...]
    stats: Stats


# --- evaluation -------------------------------------------------------------------------------


_Fired = tuple[int, int | None, int, float, int]  # started_at, ended_at, duration_us, peak, peak_at


def evaluate(profile: Profile, readings: Series, state: State | None = None) -> Evaluation:
    """Evaluate a batch of one logger's readings against ``profile``.

    ``state=None`` starts from the beginning of the series. With a state (from an earlier
    evaluation under the same profile, else ``ValueError``), every reading must be strictly
    later than the state's last reading, else ``LateReadingError`` is raised and the caller
    evaluates the whole series from scratch. Evaluating a series in any chunking, carrying the
    state, gives the same excursions (combined with ``merge_excursions``) and the same stats as
    evaluating it whole. The cost is proportional to ``len(readings)`` only.
    """
    if state is None:
        state = State.start(profile)
    elif state.profile_digest != profile.digest:
        raise ValueError("the monitor state was made under another profile; evaluate from scratch")
    n = len(readings)
    if n == 0:
        return Evaluation(state, _carried_excursions(profile, state), _stats(profile, state))

    t = readings.t
    x = readings.temp
    t0 = int(t[0])
    t_end = int(t[-1])
    has_prev = state.count > 0
    t_p = state.last_at if state.last_at is not None else 0
    x_p = state.last_c if state.last_c is not None else 0.0
    if has_prev and t0 <= t_p:
        raise LateReadingError(
            f"reading at {t0} µs is not after the last evaluated reading at {t_p} µs"
        )
    h = np.empty(n, dtype=np.int64)
    np.subtract(t[1:], t[:-1], out=h[:-1])
    h[-1] = 0
    h_p = t0 - t_p if has_prev else 0
    first_at = state.first_at if has_prev and state.first_at is not None else t0

    # Plain figures.
    i_max = int(x.argmax())
    i_min = int(x.argmin())
    v_max = float(x[i_max])
    v_min = float(x[i_min])
    max_c, max_at = state.max_c, state.max_at
    if max_c is None or v_max > max_c:
        max_c, max_at = v_max, int(t[i_max])
    min_c, min_at = state.min_c, state.min_at
    if min_c is None or v_min < min_c:
        min_c, min_at = v_min, int(t[i_min])
    h_max = int(h.max()) if n > 1 else 0
    largest_gap_us = max(state.largest_gap_us, h_p, h_max)
    masks = _Masks(x, h, v_min, v_max)

    tor_us = state.tor_us
    if has_prev and not profile.min_c <= x_p <= profile.max_c:
        tor_us += h_p
    tor_us += masks.held_outside(profile.min_c, profile.max_c)

    excursions: list[Excursion] = []

    # Alarm rules.
    rule_states: list[RuleState] = []
    for rule, rs in zip(profile.rules, state.rules, strict=True):
        above = rule.direction == "above"
        mask = masks.breach(above, rule.threshold_c)
        held = masks.held(above, rule.threshold_c)
        if rule.kind == "single":
            p_breach = rs.run is not None
            fired, run = _runs(t, x, mask, rs.run, rule.after_us, above, t_end)
            excursions.extend(_single(rule, f) for f in fired)
            rule_states.append(replace(rs, breach_us=rs.breach_us + (h_p if p_breach else 0) + held,
                                       run=run))
        else:
            p_breach = has_prev and rule.breaches(x_p)
            rs = _cumulative(rule, rs, t, h, x, mask, held, p_breach, t_p, h_p,
                             i_max if above else i_min)
            rule_states.append(rs)
            if rs.alarm_at is not None:
                excursions.append(_cumulative_excursion(rule, rs))

    # MKT: a running, shifted sum of h_i·exp(-K/T_i).
    k = profile.k_kelvin
    exponent = np.add(x, KELVIN)
    if v_min + KELVIN < MIN_KELVIN:
        np.maximum(exponent, MIN_KELVIN, out=exponent)
    np.divide(-k, exponent, out=exponent)
    shift = -k / kelvin(v_max)
    if has_prev:
        shift = max(shift, state.mkt_shift)
    np.subtract(exponent, shift, out=exponent)
    e = np.exp(exponent, out=exponent)
    closed = state.mkt_sum * math.exp(state.mkt_shift - shift) if has_prev else 0.0
    if has_prev:
        closed += h_p * math.exp(-k / kelvin(x_p) - shift)
    hf = h.astype(np.float64)
    mkt_alarm_at, mkt_alarm_c = state.mkt_alarm_at, state.mkt_alarm_c
    he = np.multiply(hf, e, out=hf)  # not np.dot: BLAS may start threads for a dot product
    limit_c = profile.mkt_max_c
    if limit_c is not None and mkt_alarm_at is None and (
        # Skipped when no prefix MKT can exceed the limit L: no reading of the batch above it
        # and the closed part of the series at or under it (each later prefix only adds terms
        # h·(e - L) <= 0), the usual case for a dewar that stays cold.
        v_max > limit_c + MKT_TOLERANCE_C
        or closed > (t0 - first_at) * math.exp(-k / kelvin(limit_c + MKT_TOLERANCE_C) - shift)
    ):
        # Closed sum before each reading; an exclusive cumsum, since subtracting a long hold's
        # term from an inclusive one would cancel away the digits of the short ones.
        total = np.empty(n)
        total[0] = 0.0
        np.cumsum(he[:-1], out=total[1:])
        mkt_sum = closed + float(total[-1])  # the last reading's hold is not known yet
        # Weight of each reading as a series' last one: the hold of the reading before it.
        prev_hold = np.empty(n)
        prev_hold[0] = h_p if has_prev else 1.0  # a first reading alone: its own temperature
        prev_hold[1:] = h[:-1]
        weight = (t - first_at).astype(np.float64)
        weight += prev_hold
        total += closed
        total += prev_hold * e
        limit = math.exp(-k / kelvin(limit_c + MKT_TOLERANCE_C) - shift)
        over = total > weight * limit
        i = int(over.argmax())
        if over[i]:
            mkt_alarm_at = int(t[i])
            mkt_alarm_c = mkt_from_mean(k, shift, float(total[i]) / float(weight[i]))
    else:
        mkt_sum = closed + float(he.sum())
    if mkt_alarm_at is not None:
        excursions.append(_mkt_excursion(profile, mkt_alarm_at, mkt_alarm_c))

    # Gaps, counted on the hold of every reading including the state's last one.
    if profile.max_gap_min is not None:
        gap_us = minutes_to_us(profile.max_gap_min)
        if has_prev and h_p > gap_us:
            excursions.append(_gap_excursion(profile, gap_us, t_p, t0))
        if h_max > gap_us:
            for i in np.flatnonzero(h > gap_us).tolist():
                excursions.append(_gap_excursion(profile, gap_us, int(t[i]), int(t[i + 1])))

    # Tilt: a single rule over the readings that have a tilt value.
    tilt_last_at, tilt_run = state.tilt_last_at, state.tilt_run
    if profile.max_tilt_deg is not None:
        tilt = readings.tilt
        present = ~np.isnan(tilt)
        count = int(np.count_nonzero(present))
        tilt_after_us = minutes_to_us(profile.tilt_after_min or 0.0)
        if count:
            if count == n:
                tt, tv = t, tilt
            else:
                tt, tv = t[present], tilt[present]
            tilt_end = int(tt[-1])
            tilt_mask = tv > profile.max_tilt_deg if float(tv.max()) > profile.max_tilt_deg else None
            fired, tilt_run = _runs(tt, tv, tilt_mask, tilt_run, tilt_after_us, True, tilt_end)
            excursions.extend(_tilt_excursion(profile, f) for f in fired)
            tilt_last_at = tilt_end
        elif tilt_run is not None and tilt_last_at is not None:
            excursions.extend(_tilt_excursion(profile, f)
                              for f in _carried_run(tilt_run, tilt_after_us, tilt_last_at))

    # Battery: once, on the first reading below the minimum.
    battery_at, battery_pct = state.battery_alarm_at, state.battery_alarm_pct
    if profile.min_battery_pct is not None:
        if battery_at is None:
            low = readings.battery < profile.min_battery_pct  # NaN compares false: absent
            i = int(low.argmax())
            if low[i]:
                battery_at, battery_pct = int(t[i]), float(readings.battery[i])
        if battery_at is not None and battery_pct is not None:
            excursions.append(_battery_excursion(profile, battery_at, battery_pct))

    new_state = State(
        profile_digest=state.profile_digest,
        count=state.count + n,
        first_at=first_at,
        last_at=t_end,
        last_c=float(x[-1]),
        last_hold_us=int(h[-2]) if n > 1 else h_p,
        min_c=min_c,
        min_at=min_at,
        max_c=max_c,
        max_at=max_at,
        sum_c=state.sum_c + float(x.sum()),
        tor_us=tor_us,
        largest_gap_us=largest_gap_us,
        rules=tuple(rule_states),
        mkt_shift=shift,
        mkt_sum=mkt_sum,
        mkt_alarm_at=mkt_alarm_at,
        mkt_alarm_c=mkt_alarm_c,
        tilt_last_at=tilt_last_at,
        tilt_run=tilt_run,
        battery_alarm_at=battery_at,
        battery_alarm_pct=battery_pct,
    )
    excursions.sort(key=lambda ex: (ex.started_at, ex.rule_key))
    return Evaluation(new_state, tuple(excursions), _stats(profile, new_state))


class _Masks:
    """Breach masks and their step-hold sums for one batch, computed once per threshold (rules
    often share one) and skipped where the batch's extreme already says nothing breaches."""

    def __init__(self, x: FloatArray, h: IntArray, v_min: float, v_max: float) -> None:
        self.x, self.h, self.v_min, self.v_max = x, h, v_min, v_max
        self._masks: dict[tuple[bool, float], np.ndarray | None] = {}
        self._held: dict[tuple[bool, float], int] = {}

    def breach(self, above: bool, threshold: float) -> np.ndarray | None:
        """Readings strictly beyond ``threshold``; ``None`` when there are none."""
        key = (above, threshold)
        if key not in self._masks:
            if above:
                mask = self.x > threshold if self.v_max > threshold else None
            else:
                mask = self.x < threshold if self.v_min < threshold else None
            self._masks[key] = mask
        return self._masks[key]

    def held(self, above: bool, threshold: float) -> int:
        """Step-hold µs of the batch's breaching readings (the last one holds 0)."""
        key = (above, threshold)
        if key not in self._held:
            mask = self.breach(above, threshold)
            self._held[key] = 0 if mask is None else _held(self.h, mask)
        return self._held[key]

    def held_outside(self, low: float, high: float) -> int:
        """Step-hold µs of the batch's readings outside ``[low, high]``."""
        return self.held(False, low) + self.held(True, high)


def _held(h: IntArray, mask: np.ndarray) -> int:
    return int(h[mask].sum())


def _peak(x: FloatArray, start: int, stop: int | None, above: bool) -> tuple[float, int]:
    segment = x[start:stop]
    i = int(segment.argmax() if above else segment.argmin())  # first occurrence: earliest
    return float(segment[i]), start + i


def _runs(
    t: IntArray,
    x: FloatArray,
    mask: np.ndarray | None,
    run_in: RunState | None,
    after_us: int,
    above: bool,
    t_end: int,
) -> tuple[list[_Fired], RunState | None]:
    """Runs of breaching readings in a batch, continuing ``run_in`` (the state's open run).

    Returns the runs that reached ``after_us`` (closed or open, including the incoming one if
    it had or has now) and the run left open at the end of the batch, if any."""
    fired: list[_Fired] = []
    if mask is None:
        if run_in is None:
            return fired, None
        duration = int(t[0]) - run_in.started_at
        if duration >= after_us:
            fired.append((run_in.started_at, int(t[0]), duration, run_in.peak, run_in.peak_at))
        return fired, None

    n = mask.shape[0]
    if n > 1:
        changes = np.flatnonzero(mask[1:] != mask[:-1])
        changes += 1
    else:
        changes = np.empty(0, dtype=np.intp)
    if bool(mask[0]) != (run_in is not None):
        changes = np.concatenate((np.zeros(1, dtype=np.intp), changes))
    is_start = mask[changes]
    starts = changes[is_start]
    ends = changes[~is_start]

    run_out: RunState | None = None
    if run_in is not None:
        peak, peak_at = run_in.peak, run_in.peak_at
        stop = int(ends[0]) if ends.shape[0] else None
        if stop != 0:
            value, i = _peak(x, 0, stop, above)
            if (value > peak) if above else (value < peak):
                peak, peak_at = value, int(t[i])
        ended_at = int(t[stop]) if stop is not None else None
        duration = (ended_at if ended_at is not None else t_end) - run_in.started_at
        if duration >= after_us:
            fired.append((run_in.started_at, ended_at, duration, peak, peak_at))
        if ended_at is None:
            run_out = RunState(run_in.started_at, peak, peak_at)
        ends = ends[1:]

    n_starts = starts.shape[0]
    if n_starts:
        n_closed = ends.shape[0]
        if n_closed:
            t_start = t[starts[:n_closed]]
            durations = t[ends] - t_start
            for j in np.flatnonzero(durations >= after_us).tolist():
                s, e = int(starts[j]), int(ends[j])
                value, i = _peak(x, s, e, above)
                fired.append((int(t[s]), int(t[e]), int(durations[j]), value, int(t[i])))
        if n_starts > n_closed:
            s = int(starts[-1])
            value, i = _peak(x, s, None, above)
            started_at = int(t[s])
            run_out = RunState(started_at, value, int(t[i]))
            duration = t_end - started_at
            if duration >= after_us:
                fired.append((started_at, None, duration, value, int(t[i])))
    return fired, run_out


def _carried_run(run: RunState, after_us: int, t_end: int) -> list[_Fired]:
    duration = t_end - run.started_at
    if duration < after_us:
        return []
    return [(run.started_at, None, duration, run.peak, run.peak_at)]


def _cumulative(
    rule: AlarmRule,
    rs: RuleState,
    t: IntArray,
    h: IntArray,
    x: FloatArray,
    mask: np.ndarray | None,
    held: int,
    p_breach: bool,
    t_p: int,
    h_p: int,
    i_extreme: int,
) -> RuleState:
    after_us = rule.after_us
    before = rs.breach_us
    total = before + (h_p if p_breach else 0)
    alarm_at = rs.alarm_at
    if alarm_at is None and p_breach and total >= after_us:
        # The state's last reading crossed D once its hold became known.
        alarm_at = t_p + max(0, after_us - before)
    if mask is None:
        return replace(rs, breach_us=total, alarm_at=alarm_at)
    if alarm_at is None:
        # Only breaching readings add time, so the crossing is found among them alone.
        breaching = np.flatnonzero(mask)
        running = np.cumsum(h[breaching])
        running += total
        j = int(np.searchsorted(running, after_us, side="left"))  # first sum reaching D
        if j < running.shape[0]:
            i = int(breaching[j])
            before_i = int(running[j]) - int(h[i])
            alarm_at = int(t[i]) + max(0, after_us - before_i)
    total += held
    first_at = rs.first_at if rs.first_at is not None else int(t[int(mask.argmax())])
    peak, peak_at = rs.peak, rs.peak_at
    value = float(x[i_extreme])  # the batch's extreme breaches, since some reading does
    if peak is None or (value > peak if rule.direction == "above" else value < peak):
        peak, peak_at = value, int(t[i_extreme])
    return RuleState(breach_us=total, first_at=first_at, peak=peak, peak_at=peak_at,
                     alarm_at=alarm_at)


# --- excursions -------------------------------------------------------------------------------


def _single(rule: AlarmRule, fired: _Fired) -> Excursion:
    started_at, ended_at, duration_us, peak, peak_at = fired
    return Excursion(
        kind="single", rule_key=rule.key, started_at=started_at,
        alarm_at=started_at + rule.after_us, ended_at=ended_at,
        duration_min=duration_us / US_PER_MIN, peak_c=peak, peak_at=peak_at,
        direction=rule.direction, threshold_c=rule.threshold_c, after_min=rule.after_min,
        severity=rule.severity,
    )


def _cumulative_excursion(rule: AlarmRule, rs: RuleState) -> Excursion:
    assert rs.first_at is not None and rs.alarm_at is not None
    return Excursion(
        kind="cumulative", rule_key=rule.key, started_at=rs.first_at, alarm_at=rs.alarm_at,
        ended_at=None, duration_min=rs.breach_us / US_PER_MIN, peak_c=rs.peak,
        peak_at=rs.peak_at, direction=rule.direction, threshold_c=rule.threshold_c,
        after_min=rule.after_min, severity=rule.severity,
    )


def _mkt_excursion(profile: Profile, at: int, value: float | None) -> Excursion:
    return Excursion(
        kind="mkt", rule_key="mkt", started_at=at, alarm_at=at, ended_at=None, duration_min=0.0,
        peak_c=value, peak_at=at, direction="above", threshold_c=profile.mkt_max_c,
        after_min=None, severity="warning",
    )


def _gap_excursion(profile: Profile, gap_us: int, start: int, end: int) -> Excursion:
    return Excursion(
        kind="gap", rule_key="gap", started_at=start, alarm_at=start + gap_us, ended_at=end,
        duration_min=(end - start) / US_PER_MIN, peak_c=None, peak_at=None, direction=None,
        threshold_c=None, after_min=profile.max_gap_min, severity="warning",
    )


def _tilt_excursion(profile: Profile, fired: _Fired) -> Excursion:
    started_at, ended_at, duration_us, peak, peak_at = fired
    after_min = profile.tilt_after_min or 0.0
    return Excursion(
        kind="tilt", rule_key="tilt", started_at=started_at,
        alarm_at=started_at + minutes_to_us(after_min), ended_at=ended_at,
        duration_min=duration_us / US_PER_MIN, peak_c=peak, peak_at=peak_at,
        direction="above", threshold_c=profile.max_tilt_deg, after_min=after_min,
        severity="warning",
    )


def _battery_excursion(profile: Profile, at: int, pct: float) -> Excursion:
    return Excursion(
        kind="battery", rule_key="battery", started_at=at, alarm_at=at, ended_at=None,
        duration_min=0.0, peak_c=pct, peak_at=at, direction="below",
        threshold_c=profile.min_battery_pct, after_min=None, severity="warning",
    )


def _carried_excursions(profile: Profile, state: State) -> tuple[Excursion, ...]:
    """The excursions open in ``state``, for a batch without readings."""
    excursions: list[Excursion] = []
    for rule, rs in zip(profile.rules, state.rules, strict=True):
        if rule.kind == "single":
            if rs.run is not None and state.last_at is not None:
                excursions.extend(_single(rule, f)
                                  for f in _carried_run(rs.run, rule.after_us, state.last_at))
        elif rs.alarm_at is not None:
            excursions.append(_cumulative_excursion(rule, rs))
    if state.mkt_alarm_at is not None:
        excursions.append(_mkt_excursion(profile, state.mkt_alarm_at, state.mkt_alarm_c))
    if state.tilt_run is not None and state.tilt_last_at is not None:
        after_us = minutes_to_us(profile.tilt_after_min or 0.0)
        excursions.extend(_tilt_excursion(profile, f)
                          for f in _carried_run(state.tilt_run, after_us, state.tilt_last_at))
    if state.battery_alarm_at is not None and state.battery_alarm_pct is not None:
        excursions.append(_battery_excursion(profile, state.battery_alarm_at,
                                             state.battery_alarm_pct))
    excursions.sort(key=lambda ex: (ex.started_at, ex.rule_key))
    return tuple(excursions)


def _stats(profile: Profile, state: State) -> Stats:
    breach_min = {rule.key: rs.breach_us / US_PER_MIN
                  for rule, rs in zip(profile.rules, state.rules, strict=True)}
    if state.count == 0 or state.last_c is None or state.first_at is None \
            or state.last_at is None:
        return Stats(count=0, first_at=None, last_at=None, min_c=None, min_at=None, max_c=None,
                     max_at=None, mean_c=None, mkt_c=None, last_c=None, tor_min=0.0,
                     largest_gap_min=None, breach_min=breach_min)
    if state.count == 1:
        mkt_c = state.last_c
    else:
        k = profile.k_kelvin
        weight = state.last_hold_us
        last = math.exp(-k / kelvin(state.last_c) - state.mkt_shift)
        mean = (state.mkt_sum + weight * last) / (state.last_at - state.first_at + weight)
        mkt_c = mkt_from_mean(k, state.mkt_shift, mean)
    return Stats(
        count=state.count, first_at=state.first_at, last_at=state.last_at,
        min_c=state.min_c, min_at=state.min_at, max_c=state.max_c, max_at=state.max_at,
        mean_c=state.sum_c / state.count, mkt_c=mkt_c, last_c=state.last_c,
        tor_min=state.tor_us / US_PER_MIN, largest_gap_min=state.largest_gap_us / US_PER_MIN,
        breach_min=breach_min,
    )
