"""Reconciling an evaluation with the excursions already stored (RULES.md §2)."""

from __future__ import annotations

from dataclasses import replace

from shipments.monitoring import (
    AlarmRule,
    ClockFacts,
    Excursion,
    Profile,
    Series,
    evaluate,
    evaluate_clock,
    merge_excursions,
)

MIN = 60_000_000
PROFILE = Profile(min_c=2, max_c=8, rules=(AlarmRule("r1", "single", "above", 8.0, 0, "warning"),))


def readings(*points: tuple[int, float]) -> Series:
    return Series.from_lists([m * MIN for m, _ in points], [v for _, v in points])


def test_new_excursions_are_stamped_with_detected_at():
    evaluation = evaluate(PROFILE, readings((0, 9), (1, 5)))
    merged = merge_excursions({}, evaluation, full=False, now=123)
    (new,) = merged.new
    assert new.detected_at == 123 and merged.changed == merged.unchanged == merged.withdrawn == ()


def test_a_grown_excursion_is_changed_and_keeps_its_detected_at():
    first = evaluate(PROFILE, readings((0, 9), (1, 9)))
    (known,) = merge_excursions({}, first, full=False, now=1).new
    later = evaluate(PROFILE, readings((2, 5)), first.state)
    merged = merge_excursions({known.key: known}, later, full=False, now=2)
    (changed,) = merged.changed
    assert changed.key == known.key and changed.ended_at == 2 * MIN and changed.detected_at == 1


def test_an_identical_excursion_is_unchanged():
    evaluation = evaluate(PROFILE, readings((0, 9), (1, 5)))
    (known,) = evaluation.excursions
    stored = replace(known, detected_at=7)
    merged = merge_excursions({known.key: stored}, evaluation, full=True)
    assert merged.unchanged == (stored,) and merged.new == merged.changed == merged.withdrawn == ()


def test_full_evaluation_withdraws_what_late_data_removed():
    # A late breaching reading just before a run moves its start earlier: the excursion known
    # under the old start is withdrawn, the one under the new start is raised.
    before = evaluate(PROFILE, readings((1, 9), (2, 5)))
    known = {e.key: e for e in before.excursions}
    after = evaluate(PROFILE, readings((0, 9), (1, 9), (2, 5)))
    merged = merge_excursions(known, after, full=True)
    assert [e.key for e in merged.withdrawn] == [("r1", 1 * MIN)]
    assert [e.key for e in merged.new] == [("r1", 0)]


def test_incremental_evaluation_never_withdraws():
    before = evaluate(PROFILE, readings((1, 9), (2, 5)))
    known = {e.key: e for e in before.excursions}
    later = evaluate(PROFILE, readings((3, 5)), before.state)
    assert merge_excursions(known, later, full=False).withdrawn == ()


def test_clock_excursions_are_never_withdrawn_by_a_reading_evaluation():
    silent = evaluate_clock(ClockFacts(in_transit=True, last_reading_at=0, max_gap_min=1), 10 * MIN)
    known: dict[tuple[str, int], Excursion] = {e.key: e for e in silent}
    assert merge_excursions(known, evaluate(PROFILE, readings((0, 5))), full=True).withdrawn == ()


def test_merge_accepts_a_plain_sequence_of_excursions():
    found = evaluate_clock(ClockFacts(product_expires_at=0), MIN)
    assert [e.kind for e in merge_excursions({}, found, full=False).new] == ["expired"]


def test_excursion_round_trips_through_plain_data():
    (excursion,) = evaluate(PROFILE, readings((0, 9), (1, 5))).excursions
    assert Excursion.from_dict(excursion.as_dict()) == excursion
