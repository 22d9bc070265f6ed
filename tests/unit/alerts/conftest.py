"""Fixtures of the alerts unit tests: a small network, contacts, excursions, and tasks run in
this process (eagerly) whatever broker the session was given."""

from __future__ import annotations

import pytest

from tests.alerts_factories import ContactFactory, ExcursionFactory, network


@pytest.fixture(autouse=True)
def _eager_tasks():
    from coldchain.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def net(db):
    return network()


@pytest.fixture
def contact(net):
    """Factory: a contact of the destination facility unless a region or facility is given."""

    def make(**kwargs):
        if "region" not in kwargs and "facility" not in kwargs:
            kwargs["facility"] = net["destination"]
        return ContactFactory(**kwargs)

    return make


@pytest.fixture
def excursion(net):
    def make(**kwargs):
        kwargs.setdefault("shipment", net["shipment"])
        kwargs.setdefault("logger", net["logger"])
        return ExcursionFactory(**kwargs)

    return make

