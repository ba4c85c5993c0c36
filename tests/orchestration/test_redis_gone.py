"""Every mutation with its Redis gone: a clear error to retry, and nothing changed anywhere.

With ``REDIS_URL`` set, the orders subgraph claims every idempotency key in Redis before it
writes. A Redis that is down (here a private one, killed -9) must read to the client as
``SERVICE_UNAVAILABLE`` with a message saying to retry, not as a bare ``INTERNAL``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from tests.orchestration.conftest import OwnWorld, copy_world, running_world
from tests.orchestration.picks import Picker, line, order_input
from tests.orchestration.test_cancel_order import CANCEL
from tests.orchestration.test_release_order import RELEASE
from tests.orchestration.test_returns import RECEIVE, REQUEST
from tests.orchestration.test_submit_order import SUBMIT, submit
from tests.support.private_redis import PrivateRedis, private_redis


@pytest.fixture(scope="module")
def redis_world(
    base_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnWorld, PrivateRedis]]:
    folder = tmp_path_factory.mktemp("redis-gone")
    with private_redis(folder / "redis") as redis:
        settings = base_settings.model_copy(
            update={"redis_url": redis.url, "system_timeout_seconds": 30.0}
        )
        copied = copy_world(settings, folder / "world")
        (folder / "gateway").mkdir()
        with running_world(copied, folder / "gateway") as world:
            yield world, redis


def _erp_orders_of(world: OwnWorld, account: str) -> list[str]:
    response = httpx.get(
        f"{world.systems['erp']}/salesOrders", params={"customerExternalIds": account, "limit": 200}
    )
    assert response.status_code == 200, response.text
    return sorted(x["internalId"] for x in response.json()["items"])


def _available(world: OwnWorld, sku: str) -> int:
    response = httpx.get(f"{world.systems['wms']}/inventory", params={"items": sku})
    return sum(x["qty_available"] for x in response.json()["data"])


def _unavailable(body: dict[str, Any], field: str) -> None:
    assert body.get("data") in (None, {field: None}), body
    errors: list[dict[str, Any]] = body["errors"]
    [error] = errors
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert "retry" in error["message"], error
    assert "Traceback" not in str(body) and "Internal server error" not in str(body)


def test_the_mutations_without_redis_say_retry_and_change_nothing(
    redis_world: tuple[OwnWorld, PrivateRedis], picker: Picker
) -> None:
    world, redis = redis_world
    account, sku = picker.account(), picker.stocked()
    # While Redis answers, an order goes through (the stack really runs on this Redis).
    placed = submit(world, order_input(account, line(sku, 1)), "redis-gone-before")["order"]
    orders, stock = _erp_orders_of(world, account), _available(world, sku)
    redis.kill()
    body = world.graphql(
        SUBMIT, {"input": order_input(account, line(sku, 2)), "key": "redis-gone-1"}
    )
    _unavailable(body, "submitOrder")
    body = world.graphql(CANCEL, {"orderId": placed["id"], "lines": None, "key": "redis-gone-2"})
    _unavailable(body, "cancelOrder")
    body = world.graphql(RELEASE, {"orderId": placed["id"], "key": "redis-gone-3"})
    _unavailable(body, "releaseOrder")
    asked = {"orderId": placed["id"], "lines": [{"sku": sku, "quantity": 1, "reason": "DAMAGED"}]}
    _unavailable(world.graphql(REQUEST, {"input": asked, "key": "redis-gone-4"}), "requestReturn")
    received = {
        "returnAuthorizationId": "400001",
        "lines": [{"sku": sku, "quantity": 1, "disposition": "RESTOCKED"}],
    }
    body = world.graphql(RECEIVE, {"input": received, "key": "redis-gone-5"})
    _unavailable(body, "receiveReturn")
    assert _erp_orders_of(world, account) == orders
    erp = httpx.get(f"{world.systems['erp']}/salesOrders/{placed['id']}").json()
    assert erp["custbody_status"] == "CONFIRMED" and erp["custbody_cancel_reason"] is None
    returns = httpx.get(
        f"{world.systems['erp']}/returnAuthorizations", params={"orderIds": placed["id"]}
    ).json()
    assert returns["items"] == []
    assert _available(world, sku) == stock
    # Back (empty), the same key is taken as new and the order goes through once.
    redis.start()
    payload = submit(world, order_input(account, line(sku, 2)), "redis-gone-1")
    assert payload["userErrors"] == [] and payload["outcome"] == "CONFIRMED"
    assert _available(world, sku) == stock - 2
