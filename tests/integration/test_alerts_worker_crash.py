"""A worker killed in the middle of a delivery (RULES.md §6): the message always arrives, and
arrives once, except when the worker dies after the provider accepted it and before the row was
marked; then it arrives twice, with the same Message-ID / idempotency key.

Real parts: PostgreSQL, Redis, `celery worker` subprocesses (solo pool, so ``os._exit`` kills the
whole worker), the loopback SMTP server, a local stand-in for Twilio's API (the SDK pointed at it)
and a local webhook receiver. The test-only hook ``COLDCHAIN_ALERTS_CRASH_AT=<point>`` makes the
worker exit at that point of a delivery's first attempt. These workers consume a queue of their
own, so a worker the rest of the suite started never takes their messages."""

from __future__ import annotations

import contextlib
import time

import pytest
from django.utils import timezone

from alerts import services
from alerts.channels.email import message_id
from alerts.models import Delivery, DeliveryStatus
from tests.alerts_factories import ContactFactory, ExcursionFactory, SponsorWebhookFactory, network
from tests.alerts_support import LoopbackServer, twilio_message
from tests.conftest import start_worker, stop_worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

QUEUE = "alerts_crashtest"
CHANNELS = ("email", "sms", "webhook")


@pytest.fixture
def own_queue(_broker_mode, settings):
    """Alerts tasks queued by this process go to QUEUE while the test runs."""
    app = _broker_mode
    previous = app.conf.task_routes
    app.conf.update(task_routes={**settings.CELERY_TASK_ROUTES, "alerts.tasks.*": {"queue": QUEUE}})
    with app.connection_for_write() as conn, contextlib.suppress(Exception):  # a new queue: nothing to purge
        conn.default_channel.queue_purge(QUEUE)
    yield
    app.conf.update(task_routes=previous)


@pytest.fixture
def receivers(smtp_server):
    smtp_server.messages.clear()
    with LoopbackServer(responses=[(201, twilio_message(sid="SMcrash"))]) as twilio, \
            LoopbackServer(responses=[(200, {})]) as qms:
        yield {"smtp": smtp_server, "twilio": twilio, "qms": qms}


@pytest.fixture
def alert_deliveries(receivers, own_queue):
    """An open alert whose three deliveries (e-mail, SMS, webhook) are queued on commit."""
    net = network()
    ContactFactory(name="Lena L1", email="lena.crash@example.org", phone="+41795550011", channels=["email", "sms"],
                   facility=net["destination"])
    SponsorWebhookFactory(sponsor=net["shipment"].sponsor, url=receivers["qms"].url + "/qms")
    ExcursionFactory(shipment=net["shipment"], logger=net["logger"], detected_at=timezone.now())
    services.alerts_reconcile(shipment_id=net["shipment"].pk)
    return list(Delivery.objects.order_by("id"))


def twilio_env(receivers, **extra) -> dict:
    """The worker's SMS settings: Twilio's SDK, pointed at the local stand-in."""
    return {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": "AC_test", "TWILIO_AUTH_TOKEN": "tok",
            "TWILIO_FROM_NUMBER": "+15005550006", "TWILIO_API_BASE": receivers["twilio"].url, **extra}


def arrivals(receivers) -> dict[str, list[str]]:
    """Per channel, the idempotency keys (e-mail: Message-IDs) of what each receiver got."""
    return {
        "email": [m["message"]["Message-ID"] for m in receivers["smtp"].messages if "lena.crash@example.org" in m["to"]],
        "sms": [r.headers["Idempotency-Key"] for r in receivers["twilio"].requests],
        "webhook": [r.headers["Idempotency-Key"] for r in receivers["qms"].requests],
    }


def run_until_it_dies(env: dict, log_path) -> int:
    """Start a worker and wait for it to exit (it may die before it even reports ready)."""
    try:
        worker = start_worker(env, log_path, queues=QUEUE)
    except RuntimeError as exc:
        if "exited with" not in str(exc):
            raise
        return int(str(exc).split("exited with ", 1)[1].split(":", 1)[0])
    try:
        return worker.process.wait(timeout=60)
    finally:
        stop_worker(worker)


def provider_key(delivery: Delivery) -> str:
    return message_id(delivery.idempotency_key) if delivery.channel == "email" else delivery.idempotency_key


@pytest.mark.parametrize(("point", "copies"), [("after_claim", 1), ("after_send", 2)])
def test_a_worker_killed_mid_delivery_never_loses_a_message(
        point, copies, alert_deliveries, receivers, worker_env, tmp_path, settings):
    assert sorted(d.channel for d in alert_deliveries) == sorted(CHANNELS)
    crashing = worker_env | twilio_env(receivers, COLDCHAIN_ALERTS_CRASH_AT=point)

    # One worker dies on each delivery's first attempt, at the named point.
    for n in range(len(alert_deliveries)):
        assert run_until_it_dies(crashing, tmp_path / f"crash-{n}.log") == 17
    assert set(Delivery.objects.values_list("status", "attempts")) == {(DeliveryStatus.SENDING, 1)}
    sent_before_sweep = arrivals(receivers)
    assert all(len(keys) == (1 if point == "after_send" else 0) for keys in sent_before_sweep.values()), \
        sent_before_sweep

    healthy = start_worker(worker_env | twilio_env(receivers), tmp_path / "healthy.log", queues=QUEUE)
    try:
        # Redis would hand the dead workers' messages back only after its visibility timeout (an
        # hour): nothing happens until the sweep retakes the stale claims.
        time.sleep(2)
        assert arrivals(receivers) == sent_before_sweep
        settings.DELIVERY_CLAIM_TIMEOUT_S = 1
        assert services.alerts_sweep()["retaken"] == len(CHANNELS)
        wait_until(lambda: set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT},
                   timeout=60, message=f"every delivery sent\n{healthy.log()[-3000:]}")
    finally:
        stop_worker(healthy)

    got = arrivals(receivers)
    for delivery in Delivery.objects.all():
        assert delivery.attempts == 2
        # Arrived, `copies` times, every copy under the same provider idempotency key.
        assert got[delivery.channel] == [provider_key(delivery)] * copies, got

