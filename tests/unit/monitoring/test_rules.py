"""Worked examples of RULES.md §2-§5 (reading-driven rules), one behaviour per test."""

from __future__ import annotations

import json

import pytest

from shipments.monitoring import (
    AlarmRule,
    LateReadingError,
    Profile,
    Series,
    State,
    evaluate,
)

T0 = 1_700_000_000_000_000
MIN = 60_000_000


def at(minute: float) -> int:
    return T0 + int(minute * MIN)


def series(points: list[tuple[float, float]], **columns) -> Series:
    return Series.from_lists([at(m) for m, _ in points], [v for _, v in points], **columns)


def rule(kind="single", direction="above", threshold=8.0, after=0.0, severity="warning", key="r1"):
    return AlarmRule(key=key, kind=kind, direction=direction, threshold_c=threshold, after_min=after,
                     severity=severity)


def profile(*rules: AlarmRule, **settings) -> Profile:
    return Profile(min_c=2.0, max_c=8.0, rules=rules, **settings)


# --- single -----------------------------------------------------------------------------------


def test_single_rule_fires_when_run_reaches_delay():
    readings = series([(0, 5), (1, 9), (2, 9.5), (3, 9), (4, 9), (5, 5)])
    (excursion,) = evaluate(profile(rule(after=3)), readings).excursions
    assert excursion.kind == "single" and excursion.rule_key == "r1"
    assert excursion.started_at == at(1)
    assert excursion.alarm_at == at(4)  # t_s + D
    assert excursion.ended_at == at(5)  # the first reading that no longer breaches
    assert excursion.duration_min == 4.0
    assert (excursion.peak_c, excursion.peak_at) == (9.5, at(2))
    assert (excursion.direction, excursion.threshold_c, excursion.after_min) == ("above", 8.0, 3)
    assert excursion.severity == "warning"
    assert not excursion.is_open


def test_single_rule_run_shorter_than_delay_is_no_excursion():
    readings = series([(0, 5), (1, 9), (3, 9), (3.5, 5)])  # breaching over [1, 3.5): 2.5 min
    assert evaluate(profile(rule(after=3)), readings).excursions == ()


def test_single_rule_run_reaching_delay_exactly_fires():
    readings = series([(0, 9), (3, 5)])
    (excursion,) = evaluate(profile(rule(after=3)), readings).excursions
    assert excursion.duration_min == 3.0 and excursion.alarm_at == at(3)


def test_single_rule_open_run_lasts_until_the_last_reading_and_grows():
    rules = profile(rule(after=3))
    first = evaluate(rules, series([(0, 5), (1, 9), (3, 9)]))
    assert first.excursions == ()  # 2 minutes so far: not yet an excursion
    assert first.state.rules[0].run is not None  # but the run is remembered
    second = evaluate(rules, series([(4, 10), (6, 9)]), first.state)
    (excursion,) = second.excursions
    assert excursion.is_open and excursion.duration_min == 5.0
    assert excursion.alarm_at == at(4) and (excursion.peak_c, excursion.peak_at) == (10, at(4))
    third = evaluate(rules, series([(7, 5)]), second.state)
    (closed,) = third.excursions
    assert closed.key == excursion.key and closed.ended_at == at(7) and closed.duration_min == 6.0


def test_each_run_is_its_own_excursion():
    readings = series([(0, 9), (1, 5), (2, 9), (3, 9), (4, 5)])
    found = evaluate(profile(rule(after=0)), readings).excursions
    assert [(e.started_at, e.ended_at) for e in found] == [(at(0), at(1)), (at(2), at(4))]


def test_threshold_itself_is_in_range():
    readings = series([(0, 8.0), (10, 8.0), (20, 2.0), (30, 2.0)])
    evaluation = evaluate(profile(rule(after=0), rule(direction="below", threshold=2.0, key="r2")),
                          readings)
    assert evaluation.excursions == ()
    assert evaluation.stats.tor_min == 0.0
    assert evaluation.stats.breach_min == {"r1": 0.0, "r2": 0.0}


def test_zero_delay_fires_on_the_first_breaching_reading():
    (excursion,) = evaluate(profile(rule(after=0)), series([(0, 5), (1, 8.1)])).excursions
    assert excursion.started_at == excursion.alarm_at == at(1)
    assert excursion.is_open and excursion.duration_min == 0.0


def test_below_rule_peaks_at_the_minimum():
    readings = series([(0, 5), (1, 1.5), (2, 0.5), (3, 0.5), (4, 1.0), (5, 3)])
    (excursion,) = evaluate(profile(rule(direction="below", threshold=2.0, after=2)),
                            readings).excursions
    assert (excursion.peak_c, excursion.peak_at) == (0.5, at(2))  # earliest reading at the peak


def test_fractional_delay_is_used_to_the_microsecond():
    readings = series([(0, 9), (0.25, 9), (0.5, 5)])
    (excursion,) = evaluate(profile(rule(after=0.5)), readings).excursions
    assert excursion.alarm_at == at(0.5)
    assert evaluate(profile(rule(after=0.5000001)), readings).excursions == ()


# --- cumulative -------------------------------------------------------------------------------


def test_cumulative_alarm_at_lies_inside_the_crossing_hold():
    # Breaching holds: 3 min, then 4 min; D = 5 is crossed 2 min into the second one.
    readings = series([(0, 9), (3, 5), (5, 9), (9, 5)])
    (excursion,) = evaluate(profile(rule(kind="cumulative", after=5, severity="critical")),
                            readings).excursions
    assert excursion.kind == "cumulative"
    assert excursion.started_at == at(0)
    assert excursion.alarm_at == at(7)
    assert excursion.duration_min == 7.0
    assert excursion.ended_at is None  # time spent is never given back
    assert excursion.severity == "critical"


def test_cumulative_does_not_exist_before_it_fires():
    readings = series([(0, 9), (3, 5), (5, 9), (6, 5)])  # 4 minutes in all
    evaluation = evaluate(profile(rule(kind="cumulative", after=5)), readings)
    assert evaluation.excursions == ()
    assert evaluation.stats.breach_min == {"r1": 4.0}


def test_cumulative_crossing_is_known_once_the_next_reading_arrives():
    rules = profile(rule(kind="cumulative", after=5))
    first = evaluate(rules, series([(0, 9)]))
    assert first.excursions == ()  # the last reading holds no time yet
    (excursion,) = evaluate(rules, series([(10, 5)]), first.state).excursions
    assert excursion.alarm_at == at(5) and excursion.duration_min == 10.0


def test_cumulative_with_zero_delay_fires_on_the_first_breaching_reading():
    (excursion,) = evaluate(profile(rule(kind="cumulative", after=0)),
                            series([(0, 5), (2, 9)])).excursions
    assert excursion.started_at == excursion.alarm_at == at(2)


def test_cumulative_keeps_growing_and_reports_its_extreme():
    rules = profile(rule(kind="cumulative", after=1))
    first = evaluate(rules, series([(0, 9), (2, 5)]))
    later = evaluate(rules, series([(10, 12), (11, 9), (12, 5)]), first.state)
    (excursion,) = later.excursions
    assert excursion.started_at == at(0) and excursion.alarm_at == at(1)
    assert excursion.duration_min == 4.0
    assert (excursion.peak_c, excursion.peak_at) == (12, at(10))


# --- figures ----------------------------------------------------------------------------------


def test_last_reading_holds_no_time_until_the_next_arrives():
    first = evaluate(profile(rule()), series([(0, 5), (1, 9)]))
    assert first.stats.tor_min == 0.0 and first.stats.breach_min == {"r1": 0.0}
    later = evaluate(profile(rule()), series([(4, 5)]), first.state)
    assert later.stats.tor_min == 3.0 and later.stats.breach_min == {"r1": 3.0}


def test_time_out_of_range_is_step_hold_time_outside_the_labelled_range():
    readings = series([(0, 5), (10, 1.9), (15, 5), (20, 8.5), (50, 8.0), (60, 9)])
    assert evaluate(profile(), readings).stats.tor_min == 5 + 30


def test_single_reading_series():
    stats = evaluate(profile(rule()), series([(0, 4.5)])).stats
    assert stats.count == 1 and stats.first_at == stats.last_at == at(0)
    assert stats.mkt_c == stats.mean_c == stats.min_c == stats.max_c == 4.5
    assert stats.tor_min == 0.0 and stats.largest_gap_min == 0.0


def test_empty_series_has_no_figures():
    stats = evaluate(profile(rule()), Series.empty()).stats
    assert stats.count == 0 and stats.mkt_c is None and stats.mean_c is None
    assert stats.as_dict()["breach_min"] == {"r1": 0.0}


def test_stats_report_extremes_at_their_earliest_reading():
    stats = evaluate(profile(), series([(0, 5), (1, 9), (2, 1), (3, 9), (4, 1)])).stats
    assert (stats.max_c, stats.max_at, stats.min_c, stats.min_at) == (9, at(1), 1, at(2))
    assert stats.mean_c == 5.0 and stats.last_c == 1


# --- mkt, gap, tilt, battery ------------------------------------------------------------------


def test_mkt_excursion_fires_once_when_mkt_so_far_exceeds_the_limit():
    readings = series([(0, 5), (10, 5), (20, 25), (30, 25), (40, 5)])
    evaluation = evaluate(profile(mkt_max_c=8.0), readings)
    (excursion,) = evaluation.excursions
    assert excursion.kind == excursion.rule_key == "mkt"
    assert excursion.started_at == excursion.alarm_at == at(20)
    assert excursion.peak_c is not None and excursion.peak_c > 8.0
    assert excursion.is_open and excursion.severity == "warning"


def test_mkt_at_the_limit_does_not_fire():
    assert evaluate(profile(mkt_max_c=8.0), series([(0, 8.0), (10, 8.0), (20, 8.0)])).excursions == ()


def test_gap_between_readings_raises_a_closed_gap_excursion():
    readings = series([(0, 5), (10, 5), (41, 5), (71, 5)])
    (gap,) = evaluate(profile(max_gap_min=30), readings).excursions
    assert gap.kind == "gap" and (gap.started_at, gap.ended_at) == (at(10), at(41))
    assert gap.alarm_at == at(40) and gap.duration_min == 31.0 and gap.severity == "warning"


def test_gap_across_batches_is_found():
    first = evaluate(profile(max_gap_min=30), series([(0, 5)]))
    (gap,) = evaluate(profile(max_gap_min=30), series([(45, 5)]), first.state).excursions
    assert (gap.started_at, gap.ended_at) == (at(0), at(45))


def test_tilt_is_a_run_over_readings_that_have_a_tilt():
    readings = series([(0, 5), (1, 5), (2, 5), (3, 5), (4, 5), (5, 5)],
                      tilt=[0, 60, None, 70, None, 10])
    (tilt,) = evaluate(profile(max_tilt_deg=45, tilt_after_min=2), readings).excursions
    assert tilt.kind == "tilt" and (tilt.started_at, tilt.ended_at) == (at(1), at(5))
    assert (tilt.peak_c, tilt.peak_at, tilt.alarm_at) == (70, at(3), at(3))


def test_tilt_without_delay_fires_at_once():
    readings = series([(0, 5), (1, 5)], tilt=[None, 46])
    (tilt,) = evaluate(profile(max_tilt_deg=45), readings).excursions
    assert tilt.started_at == tilt.alarm_at == at(1) and tilt.is_open


def test_battery_below_minimum_raises_one_excursion():
    rules = profile(min_battery_pct=20)
    first = evaluate(rules, series([(0, 5), (1, 5), (2, 5)], battery=[50, None, 19]))
    (battery,) = first.excursions
    assert battery.kind == "battery" and battery.started_at == at(2) and battery.peak_c == 19
    again = evaluate(rules, series([(3, 5)], battery=[10]), first.state)
    assert again.excursions == (battery,)  # still the same one, never a second


# --- state ------------------------------------------------------------------------------------


def test_reading_not_after_the_state_is_late():
    first = evaluate(profile(rule()), series([(0, 5), (10, 5)]))
    with pytest.raises(LateReadingError):
        evaluate(profile(rule()), series([(10, 5)]), first.state)
    with pytest.raises(ValueError):
        evaluate(profile(rule()), series([(5, 5)]), first.state)


def test_state_of_another_profile_is_refused():
    first = evaluate(profile(rule(after=1)), series([(0, 5)]))
    with pytest.raises(ValueError, match="another profile"):
        evaluate(profile(rule(after=2)), series([(1, 5)]), first.state)


def test_state_is_plain_json_and_does_not_grow_with_history():
    rules = profile(rule(after=10), rule(kind="cumulative", key="r2"), mkt_max_c=8.0,
                    max_gap_min=5, max_tilt_deg=45, min_battery_pct=20)
    short = evaluate(rules, series([(m, 5.0) for m in range(10)], tilt=[1.0] * 10))
    long = evaluate(rules, series([(m, 5.0) for m in range(10_000)], tilt=[1.0] * 10_000))
    short_text = json.dumps(short.state.to_json(), allow_nan=False)
    long_text = json.dumps(long.state.to_json(), allow_nan=False)
    assert abs(len(long_text) - len(short_text)) < 40  # only the digits of the figures differ
    assert State.from_json(long_text) == long.state
