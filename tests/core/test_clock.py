"""The clock: Asia/Shanghai dates, and a moment set for writing past events through the services."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import SHANGHAI, clock_at, shanghai_date
from core.db import utcnow


def test_clock_at_sets_now_inside_the_block_only() -> None:
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
    with clock_at(moment):
        assert utcnow() == moment and utcnow().tzinfo is UTC
        assert shanghai_date() == moment.date()
        with clock_at(moment + timedelta(days=2)):
            assert shanghai_date() == (moment + timedelta(days=2)).date()
        assert utcnow() == moment  # the outer moment comes back
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


def test_clock_at_is_not_seen_by_another_thread() -> None:
    seen: list[datetime] = []
    with clock_at(datetime(2025, 1, 1, tzinfo=UTC)):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()
    assert abs(seen[0] - datetime.now(UTC)) < timedelta(seconds=5)  # the wall clock there


def test_clock_at_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError), clock_at(datetime(2026, 1, 1)):
        pass  # pragma: no cover
