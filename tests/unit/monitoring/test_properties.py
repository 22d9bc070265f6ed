"""The engine's central property (RULES.md §2), proved against the oracle: the fast engine
agrees with the plain reading-by-reading one, and any chunking, arrival order or repetition of
a series gives what evaluating it whole gives."""

from __future__ import annotations

import json
import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipments.monitoring import Profile, State, evaluate, merge_excursions

from . import oracle
from .agreement import assert_same_excursions, assert_same_stats
from .driver import Driver, series_of
from .strategies import cases

PROPERTY = settings(max_examples=int(os.environ.get("MONITORING_EXAMPLES", "300")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def whole(profile: Profile, rows: list[oracle.Reading]):
    return evaluate(profile, series_of(rows))


@PROPERTY
@given(cases())
def test_engine_agrees_with_the_oracle(case):
    profile, rows = case
    expected = oracle.evaluate(profile, rows)
    got = whole(profile, rows)
    assert_same_excursions(got.excursions, expected.excursions)
    assert_same_stats(got.stats, expected.stats)


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_any_chunking_gives_the_whole_result(case, rnd: random.Random):
    profile, rows = case
    cuts = sorted(rnd.sample(range(len(rows) + 1), k=rnd.randint(0, min(6, len(rows) + 1))))
    bounds = [0, *cuts, len(rows)]
    series = series_of(rows)
    state: State | None = None
    known: dict = {}
    for a, b in zip(bounds, bounds[1:], strict=False):
        evaluation = evaluate(profile, series[a:b], state)
        merged = merge_excursions(known, evaluation, full=False)
        assert not merged.withdrawn
        known.update({e.key: e for e in merged.new + merged.changed})
        # The state survives a trip through JSON text, as it will through the database.
        state = State.from_json(json.dumps(evaluation.state.to_json(), allow_nan=False))
        last_stats = evaluation.stats
    expected = whole(profile, rows)
    assert_same_excursions(known.values(), expected.excursions)
    if rows:
        assert_same_stats(last_stats, expected.stats)


@PROPERTY
@given(cases(max_size=40), st.randoms(use_true_random=False))
def test_any_arrival_order_and_repetition_gives_the_whole_result(case, rnd: random.Random):
    profile, rows = case
    arrivals = rows + rnd.sample(rows, k=rnd.randint(0, len(rows)))  # repetitions, same values
    rnd.shuffle(arrivals)
    # Mostly in order, like a live feed with a late USB read-out, sometimes fully shuffled.
    if rnd.random() < 0.5:
        arrivals.sort(key=lambda r: r[0] + rnd.choice([0, 0, 0, 10**12]))
    driver = Driver(profile)
    i = 0
    while i < len(arrivals):
        size = rnd.randint(1, 8)
        driver.receive(arrivals[i:i + size], now=i)
        i += size
    expected = whole(profile, rows)
    assert_same_excursions(driver.known.values(), expected.excursions)
    if rows:
        assert driver.stats is not None
        assert_same_stats(driver.stats, expected.stats)


@settings(max_examples=100, deadline=None)
@given(cases(max_size=30))
def test_an_empty_batch_changes_nothing(case):
    profile, rows = case
    first = whole(profile, rows)
    again = evaluate(profile, series_of([]), first.state)
    assert again.state == first.state
    assert_same_stats(again.stats, first.stats)
    assert_same_excursions(again.excursions, [e for e in first.excursions if e.is_open])
