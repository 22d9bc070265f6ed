from __future__ import annotations

import pytest

from .builders import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def evaluated(django_capture_on_commit_callbacks):
    """Run what commits would queue (evaluation, then alerts) inside a non-transactional test."""

    def run(build):
        with django_capture_on_commit_callbacks(execute=True):
            return build()

    return run
