"""A subgraph request's time: its own timeout or the gateway's time left bounds its system
calls, and a gateway that hangs up stops them (the tiny subgraph over the fake system)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.executor import TIMEOUT_HEADER as GATEWAY_TIMEOUT_HEADER
from subgraphs.common import create_graphql_app
from subgraphs.common.deadline import GRACE, TIMEOUT_HEADER, request_timeout
from tests.subgraphs.common.tiny import context_getter, schema
from tests.support.fake_system import PATIENT_TIMEOUT, FakeSystem, fake_system_client
from tests.support.loops import LoopProbe
from tests.support.servers import serve
from tests.support.transports import hang_up
from tests.support.waiting import wait_until

STALLED = '{ stalled item(id: "A") { name } }'
# What an answer may take beyond its deadline on a loaded machine (a full suite beside other
# work took 3.7 s for the 3.3 s of the fan-out case); still well under the 10 s the fake
# system's client would wait (PATIENT_TIMEOUT) if the deadline did not stop the request.
MARGIN = 4.0
# Well before the fake system client's own timeout (PATIENT_TIMEOUT).
SOON = 5.0


def test_the_subgraph_reads_the_header_the_gateway_sends() -> None:
    assert TIMEOUT_HEADER == GATEWAY_TIMEOUT_HEADER


@pytest.mark.parametrize(
    ("header", "own", "expected"),
    [
        (None, 30.0, 30.0),
        (None, None, None),
        ("250", 30.0, 0.25),
        ("250", None, 0.25),
        ("250", 0.1, 0.1),
        ("0", 30.0, 0.0),
        (" 1500 ", 30.0, 1.5),
        ("1.5", 30.0, 30.0),
        ("-5", 30.0, 30.0),
        ("soon", 30.0, 30.0),
        ("²", 30.0, 30.0),
        ("9" * 13, 30.0, 30.0),
    ],
)
def test_a_request_takes_the_shorter_of_its_own_timeout_and_the_callers(
    header: str | None, own: float | None, expected: float | None
) -> None:
    headers = {} if header is None else {TIMEOUT_HEADER: header}
    assert request_timeout(headers, own) == expected


def serve_tiny(system: FakeSystem, own: float | None) -> Iterator[tuple[str, LoopProbe]]:
    # The client itself would wait 10 s: only the request's time ends a stalled call sooner.
    client = fake_system_client(system, max_retries=0, timeout=PATIENT_TIMEOUT)
    app = create_graphql_app(
        schema,
        name="tiny",
        context_getter=lambda actor: context_getter(client),
        on_shutdown=[client.aclose],
        request_timeout=own,
    )
    probe = LoopProbe(app)
    with serve(probe) as url:
        yield url, probe


@pytest.fixture(scope="module")
def patient(fake_system_server: FakeSystem) -> Iterator[tuple[str, LoopProbe]]:
    """The tiny subgraph with a request timeout longer than the client's own."""
    yield from serve_tiny(fake_system_server, 30.0)


@pytest.fixture(scope="module")
def hasty(fake_system_server: FakeSystem) -> Iterator[tuple[str, LoopProbe]]:
    """The tiny subgraph whose requests may take 0.3 s."""
    yield from serve_tiny(fake_system_server, 0.3)


def post(url: str, query: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers=headers, timeout=PATIENT_TIMEOUT * 2
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CUT = {
    "data": {"stalled": None, "item": {"name": "Item A"}},
    "errors": [
        {
            "message": "erp is unavailable: erp timed out at the request's deadline",
            "locations": [{"line": 1, "column": 3}],
            "path": ["stalled"],
            "extensions": {"code": "SUBGRAPH_ERROR", "system": "erp"},
        }
    ],
}


def test_the_gateways_time_left_bounds_the_system_calls(
    patient: tuple[str, LoopProbe], fake_system: FakeSystem
) -> None:
    url, _ = patient
    gc.collect()  # the item's call must answer within the 0.3 s (see the fan-out test below)
    started = time.monotonic()
    body = post(url, STALLED, {TIMEOUT_HEADER: "300"})
    assert 0.3 <= time.monotonic() - started < 0.3 + MARGIN
    assert body == CUT
    wait_until(lambda: fake_system.abandoned() == 1, what="the stalled call abandoned")


def test_its_own_timeout_bounds_them_without_the_gateway(
    hasty: tuple[str, LoopProbe], fake_system: FakeSystem
) -> None:
    url, _ = hasty
    started = time.monotonic()
    body = post(url, STALLED)
    assert 0.3 <= time.monotonic() - started < 0.3 + MARGIN
    assert body == CUT
    # And a longer time left from the gateway does not lengthen it.
    assert post(url, STALLED, {TIMEOUT_HEADER: "60000"}) == CUT


def test_requests_in_time_are_untouched(hasty: tuple[str, LoopProbe]) -> None:
    url, _ = hasty
    assert post(url, '{ item(id: "A") { name } }', {TIMEOUT_HEADER: "5000"}) == {
        "data": {"item": {"name": "Item A"}}
    }


@pytest.mark.parametrize("hangup", ["post", "get"])
def test_a_caller_that_hangs_up_stops_the_system_calls(
    patient: tuple[str, LoopProbe], fake_system: FakeSystem, hangup: str
) -> None:
    url, probe = patient
    baseline: list[int] = []
    with hang_up(
        hangup, url, "{ stalled }", before=lambda: baseline.append(probe.tasks())
    ) as leave:
        wait_until(lambda: fake_system.hits("/slow") == 1, what="the system called")
        leave()
        # The subgraph cancelled its request, and the call it had in flight with it (long
        # before the client's own 10 s timeout would have).
        wait_until(
            lambda: fake_system.abandoned() == 1, timeout=SOON, what="the system call abandoned"
        )
        wait_until(lambda: probe.tasks() == baseline[0], what="the subgraph's tasks ended")


# 8^6 items, all from memory: no system call that a deadline could end, half a minute of
# work (more than that: the garbage collector's pauses grow with the heap, a second or more).
FAN_OUT = '{ item(id: "A") { ' + "twins { " * 6 + "id" + " }" * 6 + " } }"
# What a small request may take while another fans out.
MEANWHILE = 10.0


def test_a_request_still_running_past_its_deadline_is_stopped(
    hasty: tuple[str, LoopProbe], fake_system: FakeSystem
) -> None:
    url, probe = hasty
    # The item's one system call must start well within the 0.3 s: collect now rather than in
    # a full collection of this test process's heap during the request (CI once saw the call
    # refused, the deadline passed before it started).
    gc.collect()
    started = time.monotonic()
    body = post(url, FAN_OUT)
    took = time.monotonic() - started
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "The request was still running past its deadline and was stopped.",
                "extensions": {"code": "DEADLINE_EXCEEDED"},
            }
        ],
    }
    assert 0.3 + GRACE <= took < 0.3 + GRACE + MARGIN
    wait_until(lambda: probe.serving() == 0, timeout=SOON, what="the subgraph idle")


def test_other_requests_are_answered_while_one_fans_out(
    patient: tuple[str, LoopProbe], fake_system: FakeSystem
) -> None:
    url, probe = patient
    with hang_up("post", url, FAN_OUT) as leave:
        wait_until(lambda: probe.started() > 0 and probe.serving() == 1, what="fanning out")
        started = time.monotonic()
        assert post(url, '{ item(id: "B") { name } }') == {"data": {"item": {"name": "Item B"}}}
        assert time.monotonic() - started < MEANWHILE
        leave()
        # Most of its work left: the caller's leaving ends it now.
        wait_until(lambda: probe.serving() == 0, timeout=SOON, what="the subgraph idle")
