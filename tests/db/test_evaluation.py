"""Evaluation against the database: late data, supersession, windows, the minute sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from shipments import services
from shipments.choices import ExcursionStatus
from shipments.models import (
    AlarmRule,
    Excursion,
    Logger,
    MonitorState,
)
from shipments.signals import excursions_changed
from shipments.sweep import clock_rules

from .conftest import T0, make_shipment

pytestmark = pytest.mark.django_db(transaction=True)
def post(logger, minutes_values):
    return services.readings_ingest(logger=logger, readings=[
        {"recorded_at": T0 + timedelta(minutes=m), "temperature_c": v, "latitude": None, "longitude": None,
         "tilt_deg": None, "battery_pct": None, "humidity_pct": None} for m, v in minutes_values])


def test_late_readings_withdraw_an_excursion_and_keep_it_superseded(world):
    logger = Logger.objects.create(serial="LG-1")
    shipment = make_shipment(world, 1, logger=logger)
    events = []
    excursions_changed.connect(lambda **kw: events.extend(kw["changes"]), weak=False, dispatch_uid="t1")
    try:
        # Live feed: breaching 0-5, silence, in range from 12: the reading at 5 holds until 12.
        post(logger, [(m, -140.0) for m in range(0, 6)] + [(m, -180.0) for m in range(12, 20)])
        excursion = Excursion.objects.get(shipment=shipment)
        assert (excursion.started_at, excursion.ended_at) == (T0, T0 + timedelta(minutes=12))
        assert excursion.status == ExcursionStatus.CLOSED
        # The USB read-out fills the hole with in-range values: the run ends at 6, under 10 min.
        post(logger, [(m, -180.0) for m in range(6, 12)])
        excursion.refresh_from_db()
        assert excursion.status == ExcursionStatus.SUPERSEDED
        assert [e for e, _ in events] == ["raised", "withdrawn"]
    finally:
        excursions_changed.disconnect(dispatch_uid="t1")


def test_late_readings_can_raise_an_excursion_in_the_past(world):
    logger = Logger.objects.create(serial="LG-1")
    shipment = make_shipment(world, 1, logger=logger)
    post(logger, [(m, -180.0) for m in range(0, 5)] + [(m, -180.0) for m in range(30, 35)])
    assert not Excursion.objects.filter(shipment=shipment, kind="single").exists()
    post(logger, [(m, -140.0) for m in range(5, 30)])
    excursion = Excursion.objects.get(shipment=shipment, kind="single")
    assert excursion.started_at == T0 + timedelta(minutes=5)
    assert excursion.duration_min == pytest.approx(25.0)


def test_incremental_batches_equal_one_evaluation(world):
    values = [-180.0 + (12 if 20 <= m < 45 else 0) * 3 for m in range(90)]
    whole_logger = Logger.objects.create(serial="LG-W")
    chunked_logger = Logger.objects.create(serial="LG-C")
    whole = make_shipment(world, 1, logger=whole_logger)
    chunked = make_shipment(world, 2, logger=chunked_logger)
    post(whole_logger, list(enumerate(values)))
    for start in range(0, 90, 7):
        post(chunked_logger, list(enumerate(values))[start:start + 7])

    def shape(shipment):
        return [(e.kind, e.started_at, e.ended_at, e.duration_min, e.peak_c, e.status)
                for e in Excursion.objects.filter(shipment=shipment).order_by("started_at", "rule_key")]

    assert shape(whole) == shape(chunked)
    a = MonitorState.objects.get(shipment=whole).stats
    b = MonitorState.objects.get(shipment=chunked).stats
    assert a["count"] == b["count"] == 90
    assert a["mkt_c"] == pytest.approx(b["mkt_c"], rel=1e-9)
    assert a["tor_min"] == pytest.approx(b["tor_min"], rel=1e-9)


def test_a_changed_window_re_evaluates_the_shipment(world):
    logger = Logger.objects.create(serial="LG-1")
    shipment = make_shipment(world, 1, logger=logger)
    post(logger, [(m, -140.0) for m in range(0, 20)] + [(20, -180.0)])
    assert Excursion.objects.get(shipment=shipment).status == ExcursionStatus.CLOSED
    assignment = shipment.assignments.get()
    services.assignment_update(assignment=assignment, assigned_at=T0 + timedelta(minutes=15))
    assert Excursion.objects.get(shipment=shipment).status == ExcursionStatus.SUPERSEDED


def test_excursion_keeps_the_thresholds_that_raised_it(world):
    logger = Logger.objects.create(serial="LG-1")
    shipment = make_shipment(world, 1, logger=logger)
    post(logger, [(m, -140.0) for m in range(0, 12)])
    rule = AlarmRule.objects.get()
    rule.threshold_c = -100
    rule.save()
    excursion = Excursion.objects.get(shipment=shipment)
    assert excursion.threshold_c == -150
    assert excursion.evidence["rule"]["threshold_c"] == -150


# --- Clock rules -------------------------------------------------------------------------------


def test_sweep_raises_expired_and_hold_time_and_silence(world):
    from shipments.models import Dewar

    logger = Logger.objects.create(serial="LG-1")
    dewar = Dewar.objects.create(serial="DW", model="m", hold_time_h=10, charged_at=T0 - timedelta(hours=9))
    with time_machine.travel(T0, tick=False):
        shipment = make_shipment(world, 1, logger=logger, dewar=dewar, product_expires_at=T0 + timedelta(hours=3),
                                 planned_arrival=T0 + timedelta(hours=2))
        services.custody_event_record(shipment=shipment, type="departed", occurred_at=T0)
        post(logger, [(0, -180.0)])
    # ETA (T0+2h) + 2 h margin passes dry-out at T0+1h and expiry at T0+3h: both at risk at once.
    clock_rules(T0 + timedelta(minutes=5))
    kinds = set(Excursion.objects.filter(shipment=shipment, status="open").values_list("kind", flat=True))
    assert kinds == {"hold_time_at_risk", "shelf_life_at_risk"}
    # 31 minutes without a reading is more than max_gap_min (30): silent.
    clock_rules(T0 + timedelta(minutes=31))
    assert Excursion.objects.filter(shipment=shipment, kind="silent", status="open", logger=logger).exists()
    # Dry-out passes: exhausted (critical); the at-risk one ends.
    clock_rules(T0 + timedelta(hours=1, minutes=1))
    exhausted = Excursion.objects.get(shipment=shipment, kind="hold_time_exhausted")
    assert exhausted.severity == "critical" and exhausted.started_at == T0 + timedelta(hours=1)
    assert Excursion.objects.get(shipment=shipment, kind="hold_time_at_risk").status == "closed"
    # Data resumes: the silence ends with the next sweep.
    with time_machine.travel(T0 + timedelta(hours=1, minutes=2), tick=False):
        post(logger, [(62, -180.0)])
    clock_rules(T0 + timedelta(hours=1, minutes=3))
    assert Excursion.objects.get(shipment=shipment, kind="silent").status == "closed"


def test_sweep_is_idempotent_within_a_state(world):
    shipment = make_shipment(world, 1, product_expires_at=T0)
    assert clock_rules(T0 + timedelta(minutes=1))
    assert clock_rules(T0 + timedelta(minutes=2)) == []
    assert Excursion.objects.filter(shipment=shipment, kind="expired").count() == 1


def test_sweep_queries_do_not_grow_with_shipments(world, django_assert_max_num_queries):
    for number in range(40):
        make_shipment(world, number, product_expires_at=T0 + timedelta(days=5))
    with django_assert_max_num_queries(6):
        assert clock_rules(T0) == []
