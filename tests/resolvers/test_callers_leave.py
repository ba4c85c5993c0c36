"""A workflow outlives its caller: the orders subgraph finishes a submission whose caller hung
up, or whose deadline passed, since it has written to the systems and may have to undo it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cache.memory import MemoryCache
from resolvers.journal import WorkflowState
from subgraphs.common.deadline import TIMEOUT_HEADER
from subgraphs.orders.app import create_app
from tests.orchestration.picks import Picker, line, order_input
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_submit import Hook, service
from tests.support.loops import LoopProbe
from tests.support.servers import serve
from tests.support.transports import PATIENCE, hang_up
from tests.support.waiting import wait_until

# As the gateway asks the orders subgraph (the order's other fields are the ERP's).
SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) { outcome order { id } userErrors { code } }
}
"""


def submit(url: str, variables: dict[str, Any], **headers: str) -> dict[str, Any]:
    body = {"query": SUBMIT, "variables": variables}
    response = httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=PATIENCE)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def reserved() -> threading.Event:
    return threading.Event()


@pytest.fixture
def go_on() -> threading.Event:
    return threading.Event()


def orders_subgraph(
    own_systems: OwnSystems, tmp_path: Path, hook: Hook
) -> Iterator[tuple[str, LoopProbe]]:
    orders = service(own_systems, tmp_path / "journal.sqlite3", MemoryCache(), hook)
    probe = LoopProbe(create_app(own_systems.settings.subgraphs, service=orders))
    with serve(probe) as url:
        yield url, probe


@pytest.fixture
def paused(
    own_systems: OwnSystems, tmp_path: Path, reserved: threading.Event, go_on: threading.Event
) -> Iterator[tuple[str, LoopProbe]]:
    """The orders subgraph, its submissions held after their stock is reserved until
    ``go_on`` (the hook runs in the server's thread: it polls the event)."""

    async def pause(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            reserved.set()
            while not go_on.is_set():
                await asyncio.sleep(0.01)

    yield from orders_subgraph(own_systems, tmp_path, pause)


def test_a_submission_whose_caller_hangs_up_is_finished(
    paused: tuple[str, LoopProbe],
    own_systems: OwnSystems,
    picker: Picker,
    reserved: threading.Event,
    go_on: threading.Event,
) -> None:
    url, probe = paused
    sku, account = picker.stocked(), picker.account()
    before = own_systems.available(sku)
    variables = {"input": order_input(account, line(sku, 2)), "key": "left-1"}
    try:
        with hang_up("post", url, SUBMIT, variables) as leave:
            assert reserved.wait(PATIENCE), "the submission did not reach its first step"
            leave()
        # The subgraph knows its caller left (and stops the request) mid-workflow.
        wait_until(lambda: probe.told_gone() == 1, what="the subgraph told of the hang-up")
    finally:
        go_on.set()
    wait_until(lambda: probe.serving() == 0, what="the workflow finished")
    # The order was placed once: the same key answers it, and the stock moved once.
    payload = submit(url, variables)["data"]["submitOrder"]
    assert payload["outcome"] == "CONFIRMED"
    assert payload["order"]["id"]
    assert sum(own_systems.available(sku).values()) == sum(before.values()) - 2


def test_a_submission_past_its_deadline_is_finished(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    async def slow_reservation(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            await asyncio.sleep(0.5)  # past the 200 ms the caller gives it, on any machine

    sku, account = picker.stocked(), picker.account()
    variables = {"input": order_input(account, line(sku, 1)), "key": "late-1"}
    for url, _ in orders_subgraph(own_systems, tmp_path, slow_reservation):
        body = submit(url, variables, **{TIMEOUT_HEADER: "200"})
        assert "errors" not in body, body
        assert body["data"]["submitOrder"]["outcome"] == "CONFIRMED"
