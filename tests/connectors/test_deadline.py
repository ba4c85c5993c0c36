"""The request's deadline over system calls: a call started late gets only the time left."""

from __future__ import annotations

import asyncio
import time

import pytest

from connectors import SystemUnavailable
from connectors.deadline import no_deadline, remaining, request_deadline
from tests.support.fake_system import (
    CLIENT_TIMEOUT,
    PATIENT_TIMEOUT,
    FakeSystem,
    fake_system_client,
)
from tests.support.waiting import wait_until, wait_until_async

# What a call may take beyond its deadline: scheduling and closing on a loaded machine.
MARGIN = 0.5


async def called(system: FakeSystem) -> None:
    """Wait (letting the loop run the call) until the system has the call to ``/slow``."""

    async def arrived() -> bool:
        return system.hits("/slow") == 1

    await wait_until_async(arrived, what="the call to reach the system")


def test_no_deadline_unless_a_request_sets_one() -> None:
    assert remaining() is None
    with request_deadline(None):
        assert remaining() is None


def test_a_deadline_counts_down_and_nested_ones_only_shorten_it() -> None:
    with request_deadline(10.0):
        left = remaining()
        assert left is not None and 9.0 < left <= 10.0
        with request_deadline(60.0):
            longer = remaining()
            assert longer is not None and longer <= 10.0  # a callee cannot extend its caller
        with request_deadline(1.0):
            shorter = remaining()
            assert shorter is not None and shorter <= 1.0
            with no_deadline():
                assert remaining() is None
            assert remaining() is not None
        restored = remaining()
        assert restored is not None and restored > 1.0
    assert remaining() is None


async def test_tasks_started_under_a_deadline_keep_it() -> None:
    async def left() -> float | None:
        return remaining()

    with request_deadline(5.0):
        inherited = await asyncio.create_task(left())
        with no_deadline():
            freed = await asyncio.create_task(left())
    assert inherited is not None and 0 < inherited <= 5.0
    assert freed is None


async def test_a_call_gets_only_the_time_left(fake_system: FakeSystem) -> None:
    client = fake_system_client(fake_system, max_retries=0, timeout=PATIENT_TIMEOUT)
    started = time.monotonic()
    with request_deadline(0.3), pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/slow")
    assert 0.3 <= time.monotonic() - started < 0.3 + MARGIN
    assert raised.value.message == "erp timed out at the request's deadline"
    # The system saw the call abandoned when its time was up.
    wait_until(lambda: fake_system.abandoned() == 1, what="the system call abandoned")
    await client.aclose()


async def test_a_deadline_further_than_the_timeout_leaves_the_timeout(
    fake_system: FakeSystem,
) -> None:
    client = fake_system_client(fake_system, max_retries=0)
    with request_deadline(PATIENT_TIMEOUT), pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/slow")
    assert raised.value.message == f"erp timed out after {CLIENT_TIMEOUT}s"
    await client.aclose()


async def test_a_call_after_the_deadline_never_reaches_the_system(
    fake_system: FakeSystem,
) -> None:
    client = fake_system_client(fake_system, max_retries=0)
    with request_deadline(0.0), pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/items/A1")
    assert raised.value.message == "erp was not called: the request's deadline passed"
    assert fake_system.hits("/items/A1") == 0
    assert client.calls == 0
    await client.aclose()


async def test_a_429_wait_past_the_deadline_is_not_waited(fake_system: FakeSystem) -> None:
    # Retry-After: 1 (capped at 0.3s) would outlast the 0.2s left: give up at once.
    client = fake_system_client(
        fake_system, max_retries=3, max_retry_after=0.3, timeout=PATIENT_TIMEOUT
    )
    started = time.monotonic()
    with request_deadline(0.2), pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/limited")
    assert time.monotonic() - started < 0.2 + MARGIN
    assert raised.value.message == "erp is rate limiting (429) past the request's deadline"
    assert fake_system.hits("/limited") == 1
    await client.aclose()


async def test_stopping_the_request_fails_its_calls_in_flight(fake_system: FakeSystem) -> None:
    client = fake_system_client(fake_system, max_retries=0, timeout=PATIENT_TIMEOUT)
    with request_deadline(None) as scope:
        call = asyncio.create_task(client.get_json("/slow"))
        await called(fake_system)
        scope.stop()
        # Failed, not cancelled: whoever awaits it (a loader's fields) gets an answer.
        with pytest.raises(SystemUnavailable) as raised:
            await call
        assert raised.value.message == "erp call stopped: the request was stopped"
        with pytest.raises(SystemUnavailable) as refused:
            await client.get_json("/items/A1")
        assert refused.value.message == "erp was not called: the request was stopped"
    assert fake_system.hits("/items/A1") == 0
    wait_until(lambda: fake_system.abandoned() == 1, what="the system call abandoned")
    await client.aclose()


async def test_no_call_outlives_its_request(fake_system: FakeSystem) -> None:
    # A loader's batch runs in a task of its own, which the request does not await.
    client = fake_system_client(fake_system, max_retries=0, timeout=PATIENT_TIMEOUT)
    with request_deadline(None):
        batch = asyncio.create_task(client.get_json("/slow"))
        await called(fake_system)
    with pytest.raises(SystemUnavailable, match="the request was stopped"):
        await batch
    wait_until(lambda: fake_system.abandoned() == 1, what="the system call abandoned")
    await client.aclose()


async def test_a_call_cancelled_from_elsewhere_is_cancelled(fake_system: FakeSystem) -> None:
    client = fake_system_client(fake_system, max_retries=0, timeout=PATIENT_TIMEOUT)
    with request_deadline(None):
        call = asyncio.create_task(client.get_json("/slow"))
        await called(fake_system)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    await client.aclose()


async def test_work_outside_any_request_is_not_stopped_with_it(fake_system: FakeSystem) -> None:
    client = fake_system_client(fake_system, max_retries=0)
    with request_deadline(0.0) as scope:
        scope.stop()
        with no_deadline():
            assert remaining() is None
            assert await client.get_json("/items/A1") == {"id": "A1", "name": "Item A1"}
    await client.aclose()
