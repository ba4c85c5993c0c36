"""Sales orders under a submission key: one open order per key, whatever the external id,
found again by the key with what its caller left with it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.world_records import World
from tests.support.rest import ok, refused
from tests.systems.harness import concurrently, private_system
from tests.systems.test_erp_writes_orders import order_body


@pytest.fixture
def erp(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("erp", base_settings, tmp_path) as client:
        yield client


def keyed(world: World, external_id: str, key: str = "K-1", asked: str = "fp-1") -> Any:
    return order_body(
        world,
        external_id,
        custbody_idempotency_key=key,
        custbody_request_fingerprint=asked,
        custbody_submission={"plan": {"note": external_id}},
    )


def by_key(erp: httpx.Client, *keys: str) -> list[Any]:
    return list(ok(erp.get("/salesOrders", params={"idempotencyKeys": ",".join(keys)}))["items"])


def test_another_external_id_under_an_open_orders_key_answers_that_order(
    erp: httpx.Client, world: World
) -> None:
    first = ok(erp.post("/salesOrders", json=keyed(world, "WF-1")), 201)
    again = ok(erp.post("/salesOrders", json=keyed(world, "WF-2")), 200)
    assert again["internalId"] == first["internalId"]
    assert again["externalId"] == "WF-1"  # who entered it: the caller can tell it is not its own
    assert again["custbody_submission"] == {"plan": {"note": "WF-1"}}
    [found] = by_key(erp, "K-1")
    assert (found["internalId"], found["externalId"]) == (first["internalId"], "WF-1")
    assert found["custbody_request_fingerprint"] == "fp-1"


def test_the_key_asked_for_another_request_is_a_conflict(erp: httpx.Client, world: World) -> None:
    ok(erp.post("/salesOrders", json=keyed(world, "WF-1")), 201)
    refused(
        erp.post("/salesOrders", json=keyed(world, "WF-2", asked="fp-other")),
        409,
        "IDEMPOTENCY_KEY_REUSED",
    )


def test_concurrent_creates_under_one_key_enter_one_order(erp: httpx.Client, world: World) -> None:
    counter = iter(range(100))

    def create(own: httpx.Client) -> httpx.Response:
        return own.post("/salesOrders", json=keyed(world, f"WF-{next(counter)}"))

    answers = concurrently(erp, 10, create)
    assert sorted(a.status_code for a in answers) == [200] * 9 + [201]
    assert len({a.json()["internalId"] for a in answers}) == 1


def test_a_cancelled_order_lets_go_of_its_key(erp: httpx.Client, world: World) -> None:
    first = ok(erp.post("/salesOrders", json=keyed(world, "WF-1")), 201)
    cancel = {"requestId": "X-1", "lines": None, "reason": "the submission failed"}
    ok(erp.post(f"/salesOrders/{first['internalId']}/cancel", json=cancel))
    second = ok(erp.post("/salesOrders", json=keyed(world, "WF-2", asked="fp-2")), 201)
    assert second["internalId"] != first["internalId"]
    [found] = by_key(erp, "K-1")
    assert found["internalId"] == second["internalId"]


def test_a_key_comes_with_its_fingerprint(erp: httpx.Client, world: World) -> None:
    body = order_body(world, "WF-1", custbody_idempotency_key="K-1")
    refused(erp.post("/salesOrders", json=body), 422, "INVALID_PARAMETER")
    assert by_key(erp, "K-1") == []


def test_a_submission_over_its_size_is_refused(erp: httpx.Client, world: World) -> None:
    body = keyed(world, "WF-1")
    body["custbody_submission"] = {"plan": "x" * (64 * 1024)}
    refused(erp.post("/salesOrders", json=body), 422, "INVALID_PARAMETER")
    assert by_key(erp, "K-1") == []
