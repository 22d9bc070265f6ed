"""One delivery's cycle (RULES.md §6): written before anything is sent, claimed by a conditional
update, sent, marked; transient errors retried with back-off, permanent ones recorded; a claim
never marked is retaken by the sweep after DELIVERY_CLAIM_TIMEOUT_S, with the same key."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from alerts import services
from alerts.channels import TransportError
from alerts.channels.email import message_id
from alerts.models import Alert, Delivery, DeliveryStatus
from tests.alerts_factories import T0

NOW = T0 + timedelta(minutes=10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(net, contact, excursion):
    contact(name="Lena L1", channels=["email"])
    excursion()
    with time_machine.travel(NOW, tick=False):
        services.alerts_reconcile(shipment_id=net["shipment"].pk)
    return Delivery.objects.get()


class Flaky:
    def __init__(self, *errors):
        self.errors = list(errors)

    def send(self, delivery, facts):
        if self.errors:
            raise self.errors.pop(0)
        return "provider-42"


def test_the_row_is_written_before_anything_is_sent(delivery):
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (DeliveryStatus.PENDING, 0, None)
    assert delivery.idempotency_key == f"alert{delivery.alert_id}.opened.0.email.c{delivery.contact_id}"
    assert mail.outbox == []


def test_a_delivery_is_sent_once_and_marked(delivery):
    assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "sent"
    assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert delivery.provider_id == message_id(delivery.idempotency_key)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id(delivery.idempotency_key)


def test_a_delivery_claimed_by_another_worker_is_left_to_it(delivery):
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, claimed_at=NOW)
    assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
    assert mail.outbox == []


def test_transient_errors_are_retried_with_exponential_back_off_then_given_up(delivery, monkeypatch):
    transport = Flaky(*[TransportError("SMTP 451: try later")] * services.MAX_ATTEMPTS)
    monkeypatch.setattr(services, "transport_for", lambda channel: transport)
    at = NOW
    waits = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        with time_machine.travel(at, tick=False):
            attempt = services.delivery_attempt(delivery_id=delivery.pk)
            assert attempt.outcome == "retrying"
            waits.append(attempt.retry_in)
            # Not due yet: a duplicate task does nothing.
            assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.next_attempt_at) == (DeliveryStatus.RETRYING, at + timedelta(seconds=attempt.retry_in))
        at = delivery.next_attempt_at

    assert waits == [10, 20, 40, 80, 160, 320, 640]
    with time_machine.travel(at, tick=False):
        assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error == f"attempt {services.MAX_ATTEMPTS}: SMTP 451: try later (gave up after 8 attempts)"


def test_a_transient_error_then_success_sends_it(delivery, monkeypatch):
    transport = Flaky(TransportError("timeout"))
    monkeypatch.setattr(services, "transport_for", lambda channel: transport)
    with time_machine.travel(NOW, tick=False):
        assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "retrying"
    with time_machine.travel(NOW + timedelta(seconds=10), tick=False):
        assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.provider_id) == (DeliveryStatus.SENT, 2, "provider-42")


def test_a_permanent_error_is_recorded_and_not_retried(delivery, monkeypatch):
    monkeypatch.setattr(services, "transport_for",
                        lambda channel: Flaky(TransportError("550 no such mailbox", permanent=True)))
    assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "failed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.error) == (DeliveryStatus.FAILED, "attempt 1: 550 no such mailbox")
    assert services.delivery_attempt(delivery_id=delivery.pk).outcome == "skipped"


def test_a_claim_never_marked_is_retaken_after_the_timeout_and_sent_with_the_same_key(delivery, settings):
    settings.DELIVERY_CLAIM_TIMEOUT_S = 120
    # A worker claimed it at NOW and died before sending.
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING, claimed_at=NOW, attempts=1)

    with time_machine.travel(NOW + timedelta(seconds=119), tick=False):
        assert services.alerts_sweep()["retaken"] == 0
    assert mail.outbox == []
    with time_machine.travel(NOW + timedelta(seconds=121), tick=False):
        assert services.alerts_sweep()["retaken"] == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message_id(delivery.idempotency_key)]


def test_a_delivery_whose_task_was_lost_is_queued_again_by_the_sweep(delivery):
    assert delivery.created_at == NOW
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert services.alerts_sweep()["requeued"] == 0
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert services.alerts_sweep()["requeued"] == 1
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_an_escalation_claimed_after_the_acknowledgement_is_cancelled_not_sent(delivery, django_user_model):
    alert = Alert.objects.get()
    escalated = Delivery.objects.create(alert=alert, contact=delivery.contact, channel="email", message="escalated",
                                        level=2, address=delivery.address, idempotency_key="k-escalated")
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=NOW)  # acknowledged meanwhile

    assert services.delivery_attempt(delivery_id=escalated.pk).outcome == "cancelled"
    assert mail.outbox == []


def test_a_failed_delivery_sent_again_from_the_admin_keeps_its_key(delivery, django_capture_on_commit_callbacks):
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, attempts=1, error="550")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.deliveries_resend(ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id(delivery.idempotency_key)
