"""Who is told (RULES.md §6): the destination facility's contacts ∪ the on-call contacts of the
region the shipment is in now, per level, deduplicated by person."""

from __future__ import annotations

import pytest

from alerts.selectors import escalation_region, recipients_at, shipment_region_now
from tests.alerts_factories import FacilityFactory, RegionFactory


def names(recipients) -> set[str]:
    return {r.contact.name for r in recipients}


@pytest.mark.django_db
def test_before_any_position_the_region_is_the_origins(net):
    assert shipment_region_now(net["shipment"]) == net["north"]


@pytest.mark.django_db
def test_destination_contacts_and_on_call_contacts_of_the_current_region_are_told(net, contact):
    contact(name="Dest L1")
    contact(name="Dest L1 on call", on_call=True)
    contact(name="North desk on call", region=net["north"], on_call=True)
    contact(name="North factory on call", facility=net["origin"], on_call=True)
    contact(name="North desk off duty", region=net["north"], on_call=False)
    contact(name="North factory off duty", facility=net["origin"], on_call=False)
    contact(name="South depot on call", facility=net["depot"], on_call=True)  # not where it is now
    contact(name="Dest L2", level=2)
    contact(name="Dest inactive", active=False)

    assert names(recipients_at(net["shipment"], (1,))) == {
        "Dest L1", "Dest L1 on call", "North desk on call", "North factory on call",
    }


@pytest.mark.django_db
def test_the_current_region_follows_the_shipment(net, contact):
    contact(name="North on call", region=net["north"], on_call=True)
    contact(name="South depot on call", facility=net["depot"], on_call=True)
    shipment = net["shipment"]
    shipment.current_region = net["south"]
    shipment.save()

    assert names(recipients_at(shipment, (1,))) == {"South depot on call"}


@pytest.mark.django_db
def test_a_person_listed_twice_is_told_once_and_keeps_every_channel(net, contact):
    # The same person as a destination contact (e-mail only) and the region's on-call (SMS only,
    # e-mail typed differently): one person, both channels.
    first = contact(name="Ana", email="Ana.Silva@example.org", phone="", channels=["email"])
    second = contact(name="Ana (on call)", email=" ana.silva@EXAMPLE.org", phone="+41 79 555 00 11",
                     channels=["sms"], region=net["north"], on_call=True)
    third = contact(name="Ana phone twin", email="", phone="+41795550011", channels=["sms"],
                    facility=net["origin"], on_call=True)

    people = recipients_at(net["shipment"], (1,))

    assert len(people) == 1
    assert people[0].contact == first
    assert people[0].by_channel == {"email": first, "sms": second}
    assert third.person_keys & second.person_keys


@pytest.mark.django_db
def test_a_channel_without_an_address_is_not_used(net, contact):
    contact(name="No phone", phone="", channels=["email", "sms"])
    contact(name="Nothing usable", email="", phone="", channels=["email"])

    people = recipients_at(net["shipment"], (1,))

    assert [(p.contact.name, p.channels) for p in people] == [("No phone", ["email"])]


@pytest.mark.django_db
def test_two_levels_at_once_tell_a_person_on_both_once(net, contact):
    contact(name="Lead", email="lead@example.org", level=1)
    contact(name="Lead as L2", email="LEAD@example.org", level=2, region=net["north"], on_call=True)
    contact(name="Head", level=2)

    people = recipients_at(net["shipment"], (1, 2))

    assert names(people) == {"Lead", "Head"}


@pytest.mark.django_db
def test_recipients_exclude_people_already_told(net, contact):
    told = contact(name="Told", level=2)
    contact(name="New", level=2)

    people = recipients_at(net["shipment"], (2,), exclude_keys=told.person_keys)

    assert names(people) == {"New"}


@pytest.mark.django_db
def test_escalation_is_paced_by_the_destinations_region(net):
    shipment = net["shipment"]
    shipment.current_region = RegionFactory(code="EAST", escalate_after_min=5)
    shipment.save()
    assert escalation_region(shipment) == net["south"]


@pytest.mark.django_db
def test_contacts_of_facilities_in_another_region_are_not_on_call_here(net, contact):
    elsewhere = FacilityFactory(code="TC-E", region=RegionFactory(code="EAST"))
    contact(name="East on call", facility=elsewhere, on_call=True)
    assert names(recipients_at(net["shipment"], (1,))) == set()
