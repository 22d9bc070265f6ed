"""From excursions to alerts and who hears what (RULES.md §6): opening, flood control,
severity raised, ended, withdrawn, closing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from alerts import services
from alerts.models import Alert, AlertStatus, Delivery, DeliveryStatus, Message, Resolution
from shipments.choices import ExcursionKind, ExcursionStatus
from shipments.models import AuditEntry
from shipments.signals import excursions_changed
from tests.alerts_factories import T0, LoggerFactory, SponsorWebhookFactory
from tests.alerts_support import deliveries, told

NOW = T0 + timedelta(minutes=10)
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(net, contact):
    return {
        "l1": contact(name="Lena L1"),
        "l2": contact(name="Omar L2", level=2),
        "l3": contact(name="Ines L3", level=3, email="ines@example.org", phone="", channels=["email"]),
    }


def reconcile(net, now=NOW):
    return services.alerts_reconcile(shipment_id=net["shipment"].pk, now=now)


def test_a_warning_excursion_opens_an_alert_and_tells_level_1_on_every_channel(net, people, excursion):
    exc = excursion()

    reconcile(net)

    alert = Alert.objects.get()
    assert (alert.severity, alert.status, alert.ongoing, alert.level) == ("warning", "open", True, 1)
    assert list(alert.excursions.all()) == [exc]
    assert alert.opened_at == NOW
    assert alert.escalate_at == NOW + timedelta(minutes=30)  # the destination's region (SOUTH)
    assert deliveries() == [("Lena L1", "email", "opened"), ("Lena L1", "sms", "opened")]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_a_critical_excursion_tells_levels_1_and_2_at_once(net, people, excursion):
    excursion(severity="critical", rule_key="r2", threshold_c=-120.0, after_min=0)

    reconcile(net)

    alert = Alert.objects.get()
    assert (alert.severity, alert.level) == ("critical", 2)
    assert told("opened") == {"Lena L1", "Omar L2"}


def test_a_level_with_nobody_on_it_is_passed_over_at_once(net, contact, excursion):
    contact(name="Omar L2", level=2)
    excursion()

    reconcile(net)

    assert told("opened") == {"Omar L2"}
    assert Alert.objects.get().level == 2


def test_excursions_of_one_logger_gather_in_its_open_alert_without_telling_again(net, people, excursion):
    excursion()
    reconcile(net)
    second = excursion(started_at=T0 + timedelta(minutes=30), kind=ExcursionKind.CUMULATIVE, rule_key="r3")

    reconcile(net, NOW + timedelta(minutes=25))

    alert = Alert.objects.get()
    assert second in alert.excursions.all()
    assert Delivery.objects.count() == 2


def test_a_new_excursion_notifies_again_only_when_it_raises_the_severity(net, people, excursion):
    excursion()
    reconcile(net)
    excursion(started_at=T0 + timedelta(minutes=2), severity="critical", rule_key="r2")
    reconcile(net, NOW + timedelta(minutes=1))

    alert = Alert.objects.get()
    assert alert.severity == "critical"
    assert alert.level == 2  # critical: level 2 is told too
    assert told("severity_raised") == {"Lena L1", "Omar L2"}
    assert alert.escalate_at == NOW + timedelta(minutes=31)

    excursion(started_at=T0 + timedelta(minutes=3), severity="critical", rule_key="r4")
    reconcile(net, NOW + timedelta(minutes=2))

    assert Delivery.objects.filter(message=Message.SEVERITY_RAISED).count() == 4  # nothing new


def test_another_logger_has_its_own_alert(net, people, excursion):
    excursion()
    excursion(logger=LoggerFactory(serial="LG-B"))

    reconcile(net)

    assert Alert.objects.count() == 2
    assert Delivery.objects.filter(message=Message.OPENED).count() == 4


def test_reconciling_again_decides_nothing_new(net, people, excursion):
    excursion()
    first = reconcile(net)
    second = reconcile(net)
    assert len(first) == 2 and second == []
    assert Alert.objects.count() == 1


def test_when_no_ongoing_excursion_is_left_everyone_told_hears_it_ended(net, people, excursion):
    exc = excursion()
    reconcile(net)
    Delivery.objects.update(status=DeliveryStatus.SENT)
    exc.status, exc.ended_at, exc.duration_min = ExcursionStatus.CLOSED, T0 + timedelta(minutes=34), 34.0
    exc.save()

    reconcile(net, NOW + timedelta(minutes=24))

    alert = Alert.objects.get()
    assert (alert.ongoing, alert.status, alert.ended_at) == (False, "open", NOW + timedelta(minutes=24))
    assert deliveries(message="ended") == [("Lena L1", "email", "ended"), ("Lena L1", "sms", "ended")]
    # Not acknowledged: it keeps escalating.
    assert alert.escalate_at is not None


def test_an_alert_that_never_was_ongoing_does_not_end(net, people, excursion):
    excursion(kind=ExcursionKind.CUMULATIVE, rule_key="r3", status=ExcursionStatus.OPEN)
    reconcile(net)
    alert = Alert.objects.get()
    assert alert.ongoing is False
    reconcile(net)
    assert not Delivery.objects.filter(message=Message.ENDED).exists()


def test_an_acknowledged_alert_closes_when_it_ends(net, people, excursion, django_user_model):
    exc = excursion()
    reconcile(net)
    user = django_user_model.objects.create_user("coord")
    services.alert_acknowledge(alert=Alert.objects.get(), comment="Courier recharging the dewar.", via="api",
                               user=user, now=NOW + timedelta(minutes=5))
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED

    exc.status, exc.ended_at = ExcursionStatus.CLOSED, T0 + timedelta(minutes=40)
    exc.save()
    reconcile(net, NOW + timedelta(minutes=30))

    alert = Alert.objects.get()
    assert (alert.status, alert.resolution, alert.closed_at) == ("closed", Resolution.ACKNOWLEDGED,
                                                                  NOW + timedelta(minutes=30))
    assert told("ended") == {"Lena L1"}


def test_a_closed_alert_leaves_room_for_a_new_one(net, people, excursion, django_user_model):
    exc = excursion(status=ExcursionStatus.CLOSED, ended_at=T0 + timedelta(minutes=12))
    reconcile(net)
    services.alert_acknowledge(alert=Alert.objects.get(), comment="Seen; checked with courier.", via="api",
                               user=django_user_model.objects.create_user("coord"))
    assert Alert.objects.get().status == AlertStatus.CLOSED  # acknowledged and not ongoing
    excursion(started_at=exc.started_at + timedelta(hours=2))

    reconcile(net, NOW + timedelta(hours=2))

    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
    assert Alert.objects.count() == 2


def test_a_severity_raise_reopens_an_acknowledged_alert(net, people, excursion, django_user_model):
    excursion()
    reconcile(net)
    services.alert_acknowledge(alert=Alert.objects.get(), comment="Watching it.", via="api",
                               user=django_user_model.objects.create_user("coord"))
    excursion(started_at=T0 + timedelta(minutes=20), severity="critical", rule_key="r2")

    reconcile(net, NOW + timedelta(minutes=20))

    alert = Alert.objects.get()
    assert (alert.status, alert.acknowledged_at, alert.comment) == ("open", None, "")
    assert alert.escalate_at == NOW + timedelta(minutes=50)
    assert told("severity_raised") == {"Lena L1", "Omar L2"}
    reopened = AuditEntry.objects.get(action="alert.reopen")
    assert reopened.data["comment"] == "Watching it."


def test_an_alert_whose_excursions_are_all_withdrawn_is_resolved_as_withdrawn(net, people, excursion):
    first = excursion()
    second = excursion(started_at=T0 + timedelta(minutes=15), rule_key="r2", severity="critical")
    reconcile(net)
    Delivery.objects.filter(contact__name="Lena L1").update(status=DeliveryStatus.SENT)

    first.status = ExcursionStatus.SUPERSEDED
    first.save()
    reconcile(net, NOW + timedelta(minutes=1))
    assert Alert.objects.get().status == AlertStatus.OPEN  # one excursion left

    second.status = ExcursionStatus.SUPERSEDED
    second.save()
    reconcile(net, NOW + timedelta(minutes=2))

    alert = Alert.objects.get()
    assert (alert.status, alert.resolution, alert.escalate_at) == ("closed", Resolution.WITHDRAWN, None)
    # Omar's opened message had not gone out: cancelled, and he hears nothing more.
    assert set(Delivery.objects.filter(contact__name="Omar L2", message="opened")
               .values_list("status", flat=True)) == {DeliveryStatus.CANCELLED}
    assert told("withdrawn") == {"Lena L1"}


def test_a_withdrawn_excursion_that_reappears_opens_a_new_alert(net, people, excursion):
    exc = excursion()
    reconcile(net)
    exc.status = ExcursionStatus.SUPERSEDED
    exc.save()
    reconcile(net)
    exc.status = ExcursionStatus.OPEN
    exc.save()

    reconcile(net)

    assert Alert.objects.filter(status=AlertStatus.OPEN).get().excursions.get() == exc


def test_a_clock_rule_excursion_without_a_logger_opens_a_shipment_level_alert(net, people, excursion):
    excursion(logger=None, kind=ExcursionKind.HOLD_TIME_EXHAUSTED, rule_key="hold_time_exhausted",
              severity="critical", direction=None, threshold_c=None, after_min=None, peak_c=None, peak_at=None)
    excursion()

    reconcile(net)

    assert sorted((a.logger_id is None, a.severity, a.ongoing) for a in Alert.objects.all()) == [
        (False, "warning", True), (True, "critical", False)]


def test_sponsor_webhooks_hear_the_lifecycle_but_not_escalations(net, people, excursion):
    SponsorWebhookFactory(sponsor=net["shipment"].sponsor, url="http://127.0.0.1:9/qms")
    excursion()
    reconcile(net)
    assert deliveries(channel="webhook") == [("http://127.0.0.1:9/qms", "webhook", "opened")]
    services.alert_escalate(alert_id=Alert.objects.get().pk, now=NOW + timedelta(minutes=30))
    assert deliveries(channel="webhook") == [("http://127.0.0.1:9/qms", "webhook", "opened")]


def test_the_signal_queues_the_alerts_side_after_commit_and_the_mail_goes_out(
        net, people, excursion, django_capture_on_commit_callbacks):
    exc = excursion()

    with django_capture_on_commit_callbacks(execute=True):
        excursions_changed.send(sender=None, shipment_id=net["shipment"].pk, changes=[("raised", exc.pk)])

    assert Alert.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[people["l1"].email]]
    assert "TRK-0001" in mail.outbox[0].subject
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_the_sweep_finds_what_a_lost_task_missed(net, people, excursion):
    exc = excursion()
    assert services.shipments_to_reconcile() == {net["shipment"].pk}
    services.alerts_sweep(now=NOW)
    assert Alert.objects.count() == 1
    assert services.shipments_to_reconcile() == set()

    exc.status, exc.ended_at = ExcursionStatus.CLOSED, NOW
    exc.save()
    assert services.shipments_to_reconcile() == {net["shipment"].pk}
    services.alerts_sweep(now=NOW + timedelta(minutes=1))
    assert told("ended") == {"Lena L1"}
    assert Alert.objects.get().ongoing is False
