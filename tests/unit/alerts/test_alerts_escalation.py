"""Escalation (RULES.md §6): unacknowledged ``escalate_after_min`` after a level was told, the
next level is told; after the top level everyone told is reminded at that interval; an
acknowledgement stops it. Time is frozen with time-machine; the sweep reads the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from alerts import services
from alerts.channels import TransportError
from alerts.models import Alert, Delivery, DeliveryStatus, Message
from tests.alerts_factories import T0, ExcursionFactory, ShipmentFactory
from tests.alerts_support import told

NOW = T0 + timedelta(minutes=10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(net, contact):
    return {
        "l1": contact(name="Lena L1"),
        "l2": contact(name="Omar L2", level=2, region=net["north"], on_call=True),
        "l3": contact(name="Ines L3", level=3),
    }


@pytest.fixture
def alert(net, people, excursion):
    excursion()
    with time_machine.travel(NOW, tick=False):
        services.alerts_reconcile(shipment_id=net["shipment"].pk)
    return Alert.objects.get()


def sweep_at(minutes: float) -> dict:
    with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
        return services.alerts_sweep()


def test_nothing_happens_before_the_interval(alert):
    assert sweep_at(29.9)["escalated"] == 0
    assert Delivery.objects.count() == 2


def test_unacknowledged_after_the_destination_regions_interval_the_next_level_is_told(alert):
    assert sweep_at(30)["escalated"] == 1

    alert.refresh_from_db()
    assert alert.level == 2
    assert told("escalated") == {"Omar L2"}
    assert alert.escalate_at == NOW + timedelta(minutes=60)


def test_after_the_top_level_every_level_told_is_reminded_at_that_interval(alert):
    sweep_at(30)
    sweep_at(60)
    assert told("escalated") == {"Omar L2", "Ines L3"}
    sweep_at(75)  # not due
    assert not Delivery.objects.filter(message=Message.REMINDER).exists()

    sweep_at(90)
    sweep_at(120)

    alert.refresh_from_db()
    assert alert.reminders == 2
    assert told("reminder", round=1) == told("reminder", round=2) == {"Lena L1", "Omar L2", "Ines L3"}
    assert alert.escalate_at == NOW + timedelta(minutes=150)


def test_an_acknowledgement_stops_escalation_and_cancels_what_has_not_gone_out(alert, django_user_model):
    sweep_at(30)
    with time_machine.travel(NOW + timedelta(minutes=31), tick=False):
        services.alert_acknowledge(alert=alert, comment="Courier reached; dewar recharged.", via="api",
                                   user=django_user_model.objects.create_user("coord"))
    assert set(Delivery.objects.filter(message=Message.ESCALATED).values_list("status", flat=True)) == {
        DeliveryStatus.CANCELLED}

    assert sweep_at(60)["escalated"] == 0
    assert sweep_at(600)["escalated"] == 0
    assert not Delivery.objects.filter(message=Message.REMINDER).exists()


def test_people_already_told_are_not_told_again_when_their_level_comes(net, contact, excursion):
    contact(name="Lena L1", email="lena@example.org")
    contact(name="Lena also L2", email="LENA@example.org", level=2)
    contact(name="Ines L3", level=3)
    excursion()
    services.alerts_reconcile(shipment_id=net["shipment"].pk, now=NOW)

    services.alert_escalate(alert_id=Alert.objects.get().pk, now=NOW + timedelta(minutes=30))

    assert told("escalated") == {"Ines L3"}
    assert Alert.objects.get().level == 3


def test_the_sweep_asks_the_same_few_queries_however_many_alerts_wait(net, people, django_assert_num_queries):
    def open_alerts(n):
        for _ in range(n):
            shipment = ShipmentFactory(origin=net["origin"], destination=net["destination"])
            ExcursionFactory(shipment=shipment)
            services.alerts_reconcile(shipment_id=shipment.pk, now=NOW)

    open_alerts(1)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False), django_assert_num_queries(5):
        services.alerts_sweep()
    open_alerts(20)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False), django_assert_num_queries(5):
        services.alerts_sweep()


class Refusing:
    """A transport refusing every message for good (the real error mapping is tested per channel)."""

    def send(self, delivery, facts):
        raise TransportError(f"{delivery.address} does not exist", permanent=True)


def test_a_contact_unreachable_on_every_channel_is_passed_over_to_the_next_level_at_once(alert, monkeypatch):
    monkeypatch.setattr(services, "transport_for", lambda channel: Refusing())
    email, sms = Delivery.objects.filter(contact__name="Lena L1").order_by("channel")

    services.delivery_attempt(delivery_id=email.pk, now=NOW)
    assert not Delivery.objects.filter(message=Message.ESCALATED).exists()  # SMS may still get through
    services.delivery_attempt(delivery_id=sms.pk, now=NOW)

    assert told("escalated") == {"Omar L2"}
    alert.refresh_from_db()
    assert alert.level == 2
    assert set(Delivery.objects.filter(contact__name="Lena L1").values_list("status", "error")) == {
        (DeliveryStatus.FAILED, f"attempt 1: {email.address} does not exist"),
        (DeliveryStatus.FAILED, f"attempt 1: {sms.address} does not exist"),
    }


def test_a_contact_reachable_on_one_channel_is_not_passed_over(alert, monkeypatch):
    monkeypatch.setattr(services, "transport_for", lambda channel: Refusing())
    email = Delivery.objects.get(contact__name="Lena L1", channel="email")
    services.delivery_attempt(delivery_id=email.pk, now=NOW)
    assert not Delivery.objects.filter(message=Message.ESCALATED).exists()
