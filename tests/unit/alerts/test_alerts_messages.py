"""What people read (DESIGN.md "Recipients of alerts"): subjects with what, where and how bad;
SMS texts of at most 160 GSM-7 characters whatever the data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts import messages
from alerts.models import Alert, Message
from alerts.selectors import alert_facts
from shipments.choices import ExcursionStatus
from shipments.models import Reading
from tests.alerts_factories import T0, ExcursionFactory, FacilityFactory, ShipmentFactory

NOW = T0 + timedelta(minutes=40)
pytestmark = pytest.mark.django_db


def facts_for(shipment, logger, **excursion):
    alert = Alert.objects.create(shipment=shipment, logger=logger, severity=excursion.get("severity", "warning"),
                                 opened_at=T0 + timedelta(minutes=10), code="K7P3QD")
    alert.excursions.add(ExcursionFactory(shipment=shipment, logger=logger, **excursion))
    return alert_facts(alert)


@pytest.mark.parametrize("message", [m for m in Message.values if m != Message.ACKNOWLEDGED])
def test_an_sms_fits_in_160_gsm7_characters_whatever_the_data(net, message):
    long = "X" * 64
    destination = FacilityFactory(code="TC-" + "Q" * 28, name="Ω centre " + "é" * 150, region=net["south"])
    shipment = ShipmentFactory(tracking_number="T" + long[1:], coi="C" + long[1:], destination=destination,
                               origin=net["origin"])
    Reading.objects.create(logger=net["logger"], recorded_at=T0, temperature_c=-112.44)
    facts = facts_for(shipment, net["logger"], severity="critical", threshold_c=-120.0, peak_c=-98.25,
                      duration_min=12345.0)

    text = messages.sms(facts, message, level=3, round=12, now=NOW)

    assert messages.gsm7_length(text) <= 160
    assert text == messages.gsm7(text)
    assert not set(text) & set("°≤≥−–—Ω")
    if message not in (Message.ENDED, Message.WITHDRAWN):
        assert text.endswith("Reply ACK K7P3QD <comment>")


def test_a_short_sms_keeps_every_detail(net):
    Reading.objects.create(logger=net["logger"], recorded_at=T0, temperature_c=-112.44)
    facts = facts_for(net["shipment"], net["logger"], severity="critical", threshold_c=-120.0, peak_c=-98.25,
                      duration_min=12.0)
    assert messages.sms(facts, Message.ESCALATED, level=2, round=0, now=NOW) == (
        "CRITICAL, level 2, unacknowledged 30 min TRK-0001 COI COI-77 temperature above -120.0 C for 12 min, "
        "now -112.4 C, peak -98.2 C. Reply ACK K7P3QD <comment>"
    )


def test_gsm7_spells_out_what_the_alphabet_lacks():
    assert messages.gsm7("−150 °C ≤ x ≥ y – ok…") == "-150 C <= x >= y - ok..."
    assert messages.gsm7_length("[x]€") == 7
    assert messages.fit([(0, "keep"), (2, "drop me first " * 20), (1, "then me")], limit=20) == "keep then me"
    assert messages.fit([(0, "x" * 200), (messages.KEEP_WHOLE, "ACK ABC")], limit=20) == "x" * 10 + ".. ACK ABC"


@pytest.mark.parametrize(("message", "prefix"), [
    (Message.OPENED, "[WARNING]"),
    (Message.ESCALATED, "[WARNING, level 2, unacknowledged 30 min]"),
    (Message.SEVERITY_RAISED, "[NOW WARNING]"),
    (Message.REMINDER, "[REMINDER 3: WARNING, unacknowledged 30 min]"),
    (Message.ENDED, "[ENDED]"),
    (Message.WITHDRAWN, "[WITHDRAWN]"),
])
def test_the_subject_says_what_where_and_how_bad(net, message, prefix):
    facts = facts_for(net["shipment"], net["logger"])
    assert messages.subject(facts, message, level=2, round=3, now=NOW) == (
        f"{prefix} TRK-0001: temperature above -150.0 °C for 12 min, peak -131.5 °C — in North, "
        "to Treatment centre South")


def test_the_ended_mail_gives_durations_and_peaks(net):
    facts = facts_for(net["shipment"], net["logger"], status=ExcursionStatus.CLOSED,
                      ended_at=T0 + timedelta(minutes=34), duration_min=34.0)
    rendered = messages.email(facts, Message.ENDED, level=1, round=0, now=NOW, ack_url="https://x/ack/t/")
    assert rendered.subject.startswith("[ENDED] TRK-0001: temperature above -150.0 °C lasted 34 min")
    assert "It has ended." in rendered.text
    assert ("- temperature above -150.0 °C lasted 34 min (warning, Closed): from 27 Nov 04:00 CET to "
            "27 Nov 04:34 CET, 34 min, peak -131.5 °C at 27 Nov 04:04 CET") in rendered.text
    assert "https://x/ack/t/" in rendered.text and "https://x/ack/t/" in rendered.html


@pytest.mark.parametrize(("kind", "words"), [
    ("silent", "logger silent for 45 min"),
    ("gap", "data gap of 45 min"),
    ("hold_time_exhausted", "ln2 hold time exhausted"),
    ("expired", "shelf life expired"),
    ("tilt", "shipper tilted beyond 45°"),
])
def test_each_kind_is_named_in_words(net, kind, words):
    facts = facts_for(net["shipment"], None if kind in ("hold_time_exhausted", "expired") else net["logger"],
                      kind=kind, rule_key=kind, duration_min=45.0, threshold_c=45.0 if kind == "tilt" else None,
                      peak_c=None, direction=None)
    assert words in messages.subject(facts, Message.OPENED, level=1, round=0, now=NOW)
    assert messages.what_to_do(facts.headline) in messages.email(
        facts, Message.OPENED, level=1, round=0, now=NOW, ack_url=None).text.replace("\n", " ")
