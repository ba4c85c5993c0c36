"""An idempotency key outlives its Redis: the ERP keeps the key with the order, so the same
key after Redis restarts empty (kill -9, no persistence) answers the first order again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from cache.memory import MemoryCache
from resolvers.journal import WorkflowState
from resolvers.records import LineRequest, OrderRequest, Outcome, SubmitResult
from resolvers.workflow import KEY_REUSED
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_keys_and_recovery import redis_replica
from tests.resolvers.test_submit import NEWARK, request, service
from tests.support.private_redis import private_redis

PREFIX = "keys-survive:"


def orders_of(own: OwnSystems, account: str) -> list[str]:
    """The ids of the account's orders in the ERP, newest first."""
    answer = httpx.get(
        f"{own.urls['erp']}/salesOrders",
        params={"customerExternalIds": account, "limit": 100},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return [order["internalId"] for order in answer.json()["items"]]


async def test_the_same_key_after_redis_restarts_empty_answers_the_first_order(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before = own_systems.available(sku)
    orders_before = orders_of(own_systems, account)
    with private_redis(tmp_path / "redis") as server:
        service = redis_replica(own_systems, server.url, PREFIX)
        try:
            first = await service.submit(request(account, sku, 2), "survive-1")
            assert first.outcome is Outcome.CONFIRMED
            server.kill()
            server.start()  # empty: the key's record and the journal are gone
            again = await service.submit(request(account, sku, 2), "survive-1")
        finally:
            await service.aclose()
        # A replica started after the loss, with nothing of its own, answers the same.
        replica = redis_replica(own_systems, server.url, PREFIX)
        try:
            server.kill()
            server.start()
            third = await replica.submit(request(account, sku, 2), "survive-1")
            other = OrderRequest(account, (LineRequest(sku, 3),), NEWARK)
            reused = await replica.submit(other, "survive-1")
        finally:
            await replica.aclose()
    assert again == first
    assert third == first
    assert reused.user_errors == (KEY_REUSED,)
    assert orders_of(own_systems, account) == [first.order_id, *orders_before]
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2


async def _raced(
    own_systems: OwnSystems, tmp_path: Path, account: str, sku: str, key: str, retried_units: int
) -> tuple[SubmitResult, SubmitResult]:
    """A submission of 3 units paused after reserving, while a service with records of its
    own (a replica, as after a Redis loss) submits ``retried_units`` under the same key; the
    first's answer once let go, and the retry's."""
    reserved, go_on = asyncio.Event(), asyncio.Event()

    async def pause(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            reserved.set()
            await go_on.wait()

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = service(own_systems, tmp_path / "a" / "journal.sqlite3", MemoryCache(), pause)
    second = service(own_systems, tmp_path / "b" / "journal.sqlite3", MemoryCache())
    try:
        running = asyncio.ensure_future(first.submit(request(account, sku, 3), key))
        await asyncio.wait_for(reserved.wait(), 10)
        retried = await second.submit(request(account, sku, retried_units), key)
        assert retried.outcome is Outcome.CONFIRMED
        go_on.set()
        answered = await running
    finally:
        go_on.set()
        await first.aclose()
        await second.aclose()
    return answered, retried


async def test_a_workflow_whose_key_got_an_order_meanwhile_answers_that_order(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """Records lost mid-flight: while the first workflow waits after reserving, a retry that
    finds no record (a replica with records of its own, as after a Redis loss) enters the
    key's order; the first workflow's create is answered with that order, so it gives its
    stock back and answers the same order."""
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before = own_systems.available(sku)
    answered, retried = await _raced(own_systems, tmp_path, account, sku, "midflight-1", 3)
    assert answered == retried
    # One order's stock is taken: the first workflow's reservation went back.
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 3


async def test_a_workflow_whose_key_got_another_inputs_order_meanwhile_is_refused(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    """As above, but the retry asked for something else under the key: the ERP refuses the
    first workflow's order for the key, and it gives its stock back and answers the reuse."""
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before = own_systems.available(sku)
    refused, _ = await _raced(own_systems, tmp_path, account, sku, "midflight-2", 1)
    assert refused.user_errors == (KEY_REUSED,)
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 1
