"""Rules that fire with time (RULES.md §5), at fixed values of now."""

from __future__ import annotations

from datetime import UTC, datetime

from shipments.monitoring import ClockFacts, evaluate_clock, to_us

T0 = to_us(datetime(2024, 3, 1, 8, 0, tzinfo=UTC))
MIN = 60_000_000
HOUR = 60 * MIN


def only(found, kind):
    (excursion,) = [e for e in found if e.kind == kind]
    return excursion


def test_silent_logger_in_transit_raises_after_max_gap():
    facts = ClockFacts(in_transit=True, last_reading_at=T0, max_gap_min=30)
    assert evaluate_clock(facts, T0 + 30 * MIN) == ()  # "more than" max_gap_min
    silent = only(evaluate_clock(facts, T0 + 45 * MIN), "silent")
    assert silent.rule_key == "silent" and silent.severity == "warning"
    assert silent.started_at == silent.alarm_at == T0 + 30 * MIN
    assert silent.is_open and silent.duration_min == 15.0


def test_silent_logger_is_the_same_excursion_on_every_sweep():
    facts = ClockFacts(in_transit=True, last_reading_at=T0, max_gap_min=30)
    first = only(evaluate_clock(facts, T0 + 31 * MIN), "silent")
    later = only(evaluate_clock(facts, T0 + 50 * MIN, [first]), "silent")
    assert later.key == first.key and later.is_open


def test_silent_logger_ends_when_data_resumes():
    facts = ClockFacts(in_transit=True, last_reading_at=T0, max_gap_min=30)
    silent = only(evaluate_clock(facts, T0 + 40 * MIN), "silent")
    resumed = ClockFacts(in_transit=True, last_reading_at=T0 + 52 * MIN, max_gap_min=30)
    (ended,) = evaluate_clock(resumed, T0 + 53 * MIN, [silent])
    assert ended.key == silent.key and ended.ended_at == T0 + 53 * MIN
    assert ended.duration_min == 23.0


def test_silent_logger_ends_when_the_shipment_leaves_transit():
    facts = ClockFacts(in_transit=True, last_reading_at=T0, max_gap_min=30)
    silent = only(evaluate_clock(facts, T0 + 40 * MIN), "silent")
    arrived = ClockFacts(in_transit=False, last_reading_at=T0, max_gap_min=30)
    (ended,) = evaluate_clock(arrived, T0 + 60 * MIN, [silent])
    assert ended.ended_at == T0 + 60 * MIN


def test_no_silence_outside_transit_or_without_a_limit():
    assert evaluate_clock(ClockFacts(in_transit=False, last_reading_at=T0, max_gap_min=30),
                          T0 + 5 * HOUR) == ()
    assert evaluate_clock(ClockFacts(in_transit=True, last_reading_at=T0), T0 + 5 * HOUR) == ()


def test_product_expired_before_delivery_is_critical():
    facts = ClockFacts(product_expires_at=T0)
    assert evaluate_clock(facts, T0 - 1) == ()
    expired = only(evaluate_clock(facts, T0 + 2 * HOUR), "expired")
    assert expired.severity == "critical" and expired.started_at == T0 and expired.is_open
    assert expired.duration_min == 120.0


def test_product_delivered_before_expiry_never_expires():
    facts = ClockFacts(product_expires_at=T0, delivered_at=T0 - HOUR)
    assert evaluate_clock(facts, T0 + 5 * HOUR) == ()


def test_expiry_counts_until_delivery_when_delivered_late():
    facts = ClockFacts(product_expires_at=T0, delivered_at=T0 + HOUR)
    expired = only(evaluate_clock(facts, T0 + 5 * HOUR), "expired")
    assert expired.duration_min == 60.0


def test_shelf_life_at_risk_when_eta_plus_margin_passes_expiry():
    facts = ClockFacts(product_expires_at=T0 + 10 * HOUR, eta=T0 + 9 * HOUR, shelf_life_margin_h=2)
    risk = only(evaluate_clock(facts, T0), "shelf_life_at_risk")
    assert risk.severity == "warning" and risk.started_at == T0 and risk.is_open
    # The next sweep keeps its identity.
    again = only(evaluate_clock(facts, T0 + MIN, [risk]), "shelf_life_at_risk")
    assert again.key == risk.key
    # Not at risk with the margin to spare.
    safe = ClockFacts(product_expires_at=T0 + 10 * HOUR, eta=T0 + 7 * HOUR, shelf_life_margin_h=2)
    assert evaluate_clock(safe, T0) == ()


def test_shelf_life_risk_ends_when_the_eta_improves():
    facts = ClockFacts(product_expires_at=T0 + 10 * HOUR, eta=T0 + 9 * HOUR, shelf_life_margin_h=2)
    risk = only(evaluate_clock(facts, T0), "shelf_life_at_risk")
    better = ClockFacts(product_expires_at=T0 + 10 * HOUR, eta=T0 + 5 * HOUR, shelf_life_margin_h=2)
    (ended,) = evaluate_clock(better, T0 + 30 * MIN, [risk])
    assert ended.key == risk.key and ended.ended_at == T0 + 30 * MIN


def test_shelf_life_risk_gives_way_to_expiry_at_the_deadline():
    facts = ClockFacts(product_expires_at=T0 + HOUR, eta=T0 + 2 * HOUR, shelf_life_margin_h=0)
    risk = only(evaluate_clock(facts, T0), "shelf_life_at_risk")
    found = evaluate_clock(facts, T0 + 90 * MIN, [risk])
    assert only(found, "shelf_life_at_risk").ended_at == T0 + HOUR
    assert only(found, "expired").started_at == T0 + HOUR


def test_hold_time_at_risk_and_exhausted():
    facts = ClockFacts(charged_at=T0, hold_time_h=48, hold_time_margin_h=6, eta=T0 + 44 * HOUR)
    assert facts.dry_out_at == T0 + 48 * HOUR
    risk = only(evaluate_clock(facts, T0 + HOUR), "hold_time_at_risk")
    assert risk.severity == "warning"
    found = evaluate_clock(facts, T0 + 48 * HOUR, [risk])
    exhausted = only(found, "hold_time_exhausted")
    assert exhausted.severity == "critical" and exhausted.started_at == T0 + 48 * HOUR
    assert only(found, "hold_time_at_risk").ended_at == T0 + 48 * HOUR


def test_hold_time_rules_are_off_without_a_charged_dewar():
    assert evaluate_clock(ClockFacts(hold_time_h=48, eta=T0), T0 + 100 * HOUR) == ()


def test_now_may_be_an_aware_datetime():
    facts = ClockFacts(product_expires_at=T0)
    now = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
    assert only(evaluate_clock(facts, now), "expired").duration_min == 60.0


def test_an_open_excursion_whose_condition_vanished_ends_now():
    facts = ClockFacts(product_expires_at=T0)
    expired = only(evaluate_clock(facts, T0 + HOUR), "expired")
    corrected = ClockFacts(product_expires_at=T0 + 100 * HOUR)
    (ended,) = evaluate_clock(corrected, T0 + 2 * HOUR, [expired])
    assert ended.key == expired.key and ended.ended_at == T0 + 2 * HOUR
