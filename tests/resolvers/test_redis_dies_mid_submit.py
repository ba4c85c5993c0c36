"""Redis killed (-9) in the middle of a submission, with the journal, the idempotency records
and the leases in it (``REDIS_URL``): the order is completed or compensated, never left half
done (stock allocated with no order, or an order never released), and the same key once Redis
is back makes one order; a journal that comes back (Redis restarted from an append-only file
fsynced on every write) is recovered backwards, never into a second order.

Redis is killed at the exact step by a reverse proxy in front of the system the step writes
to: it forwards the request, and once the system's answer is in hand kills Redis before
passing the answer on. So the write happened, and the journal entry that should follow it
cannot be written: the moment a workflow that only journals in Redis loses track of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.settings import SystemName
from resolvers.journal import RedisJournal
from resolvers.records import Outcome, SubmitResult
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_keys_and_recovery import redis_replica
from tests.resolvers.test_keys_survive_redis import orders_of
from tests.resolvers.test_submit import request
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.servers import serve
from tests.support.waiting import wait_until_async

PREFIX = "redis-dies:"


class KillRedisAfter:
    """A reverse proxy to ``upstream`` that kills ``redis`` once the answer to the first
    ``method path`` is in hand, and only then passes that answer on."""

    def __init__(self, upstream: str, redis: PrivateRedis, method: str, path: str) -> None:
        self.upstream, self.redis = upstream, redis
        self.method, self.path = method, path
        self.killed = False
        self.app = Starlette(routes=[Route("/{rest:path}", self.forward, methods=_METHODS)])

    async def forward(self, incoming: Request) -> Response:
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as client:
            answer = await client.request(
                incoming.method,
                incoming.url.path,
                params=incoming.query_params,
                content=await incoming.body(),
                headers={k: v for k, v in incoming.headers.items() if k.lower() not in _HOP_BY_HOP},
            )
        if (incoming.method, incoming.url.path) == (self.method, self.path) and not self.killed:
            self.killed = True
            await asyncio.to_thread(self.redis.kill)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
        return Response(answer.content, status_code=answer.status_code, headers=headers)


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "content-encoding"}


@contextmanager
def through_proxy(
    own: OwnSystems, system: SystemName, proxy: KillRedisAfter
) -> Iterator[OwnSystems]:
    """``own`` with ``system`` reached through ``proxy``."""
    with serve(proxy.app) as url:
        settings = own.settings.model_copy(update={f"{system}_url": url})
        yield OwnSystems(settings, own.urls)


def _fulfillment_orders(own: OwnSystems, order_id: str) -> list[str]:
    answer = httpx.get(
        f"{own.urls['wms']}/fulfillment-orders", params={"order_refs": order_id}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return [x["fulfillment_order_no"] for x in answer.json()["data"]]


def _erp_order(own: OwnSystems, order_id: str) -> dict[str, object]:
    answer = httpx.get(f"{own.urls['erp']}/salesOrders/{order_id}", timeout=10)
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


Step = tuple[SystemName, str, str]
"""The system a step writes to, and its request's method and path."""

RESERVE: Step = ("wms", "POST", "/reservations")
CREATE_ORDER: Step = ("erp", "POST", "/salesOrders")
RELEASE: Step = ("wms", "POST", "/fulfillment-orders/release")


def _new_orders(own: OwnSystems, account: str, before: Sequence[str]) -> list[str]:
    return [order for order in orders_of(own, account) if order not in before]


async def _submit_while_redis_dies(
    own: OwnSystems,
    server: PrivateRedis,
    step: Step,
    account: str,
    sku: str,
    key: str,
) -> SubmitResult | Exception:
    """Submit 2 units of ``sku`` under ``key`` on a replica of ``server``, Redis killed as the
    system of ``step`` answers it; the answer, or what was raised."""
    system, method, path = step
    proxy = KillRedisAfter(own.urls[system], server, method, path)
    with through_proxy(own, system, proxy) as proxied:
        # Leases short enough for another replica to take the workflow up soon after.
        service = redis_replica(proxied, server.url, PREFIX, ttl=1.0)
        try:
            return await service.submit(request(account, sku, 2), key)
        except Exception as exc:
            return exc
        finally:
            await service.aclose()
            assert proxy.killed, "the step was never reached"


async def _resubmit(
    own: OwnSystems, server: PrivateRedis, account: str, sku: str, key: str
) -> SubmitResult:
    replica = redis_replica(own, server.url, PREFIX)
    try:
        return await replica.submit(request(account, sku, 2), key)
    finally:
        await replica.aclose()


async def test_redis_killed_after_the_reservation_releases_it_and_the_retry_orders_once(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before, orders = own_systems.available(sku), orders_of(own_systems, account)
    with private_redis(tmp_path / "redis") as server:
        failed = await _submit_while_redis_dies(
            own_systems, server, RESERVE, account, sku, "dies-after-reserve"
        )
        # Told to retry (the subgraph's SERVICE_UNAVAILABLE), with nothing held anywhere.
        assert isinstance(failed, RedisConnectionError)
        assert own_systems.available(sku) == before
        assert _new_orders(own_systems, account, orders) == []
        server.start()  # empty
        retried = await _resubmit(own_systems, server, account, sku, "dies-after-reserve")
    assert retried.outcome is Outcome.CONFIRMED
    assert _new_orders(own_systems, account, orders) == [retried.order_id]
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2


async def test_redis_killed_after_the_order_was_entered_cancels_it_and_the_retry_orders_once(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before, orders = own_systems.available(sku), orders_of(own_systems, account)
    with private_redis(tmp_path / "redis") as server:
        failed = await _submit_while_redis_dies(
            own_systems, server, CREATE_ORDER, account, sku, "dies-after-create"
        )
        assert isinstance(failed, RedisConnectionError)
        [entered] = _new_orders(own_systems, account, orders)
        # Not left confirmed with its stock and never released: cancelled, the stock back.
        assert _erp_order(own_systems, entered)["custbody_status"] == "CANCELLED"
        assert _fulfillment_orders(own_systems, entered) == []
        assert own_systems.available(sku) == before
        server.start()  # empty
        retried = await _resubmit(own_systems, server, account, sku, "dies-after-create")
    assert retried.outcome is Outcome.CONFIRMED and retried.order_id != entered
    assert _new_orders(own_systems, account, orders) == [retried.order_id, entered]
    assert _fulfillment_orders(own_systems, retried.order_id or "") != []
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2


async def test_redis_killed_after_the_release_answers_the_order_and_the_retry_the_same(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before, orders = own_systems.available(sku), orders_of(own_systems, account)
    with private_redis(tmp_path / "redis") as server:
        answered = await _submit_while_redis_dies(
            own_systems, server, RELEASE, account, sku, "dies-after-release"
        )
        # Complete in the systems: answered as such, though the journal could not take it.
        assert isinstance(answered, SubmitResult), answered
        assert answered.outcome is Outcome.CONFIRMED
        assert _fulfillment_orders(own_systems, answered.order_id or "") != []
        server.start()  # empty
        retried = await _resubmit(own_systems, server, account, sku, "dies-after-release")
    assert retried == answered
    assert _new_orders(own_systems, account, orders) == [answered.order_id]
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2


@pytest.mark.parametrize("step", [RESERVE, CREATE_ORDER], ids=["after-reserve", "after-create"])
async def test_a_journal_that_comes_back_is_recovered_backwards_by_another_replica(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path, step: Step
) -> None:
    """Undone while Redis was down, the workflow is still RUNNING in the journal Redis brings
    back from its file: another replica's recovery must not carry it forward into an order
    (the WMS answers its reservation released, the ERP its order cancelled)."""
    sku, account = picker.stocked(), picker.account(region="SOUTHEAST")
    before, orders = own_systems.available(sku), orders_of(own_systems, account)
    key = f"comes-back-{step[0]}"
    with private_redis(tmp_path / "redis", aof=True, fsync="always") as server:
        failed = await _submit_while_redis_dies(own_systems, server, step, account, sku, key)
        assert isinstance(failed, RedisConnectionError)
        server.start()  # with everything it had acknowledged
        journal = RedisJournal(server.url, prefix=PREFIX)
        replica = redis_replica(own_systems, server.url, PREFIX)
        try:
            [running] = await journal.unfinished()
            assert running.data.get("writing") and not running.data.get("compensating")

            async def recovered() -> bool:
                # The dead request's lease (1 s) expires, then a sweep (or the start-up
                # recovery the first sweep runs) takes it up.
                await replica.sweep()
                ended = await journal.load(running.id)
                return ended is not None and ended.status != "RUNNING"

            await wait_until_async(recovered, timeout=20, what="the workflow recovered")
            ended = await journal.load(running.id)
            assert ended is not None and ended.status == "COMPENSATED"
            assert await journal.unfinished() == []
            entered = _new_orders(own_systems, account, orders)
            assert all(
                _erp_order(own_systems, order)["custbody_status"] == "CANCELLED"
                for order in entered
            )
            assert own_systems.available(sku) == before
            # The key is free again: a retry orders once.
            retried = await replica.submit(request(account, sku, 2), key)
        finally:
            await replica.aclose()
            await journal.aclose()
    assert retried.outcome is Outcome.CONFIRMED
    assert _new_orders(own_systems, account, orders) == [retried.order_id, *entered]
    assert own_systems.available(sku)["EWR1"] == before["EWR1"] - 2
