"""The returns consumer on both buses, over a real ERP and WMS: a receipt booked at the dock is
recorded and credited once however often its milestone comes, the receiveReturn workflow and
the milestone make one credit memo between them whichever goes first, goods awaiting inspection
are not credited, and an ERP that refuses is retried, dead-lettered and replayed after the fix.
The last test runs the whole way over HTTP: the WMS's signed webhook, the intake, Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from cache import MemoryCache, RedisCache
from connectors.settings import system_client
from connectors.wms.webhooks import WmsWebhook, normalize
from consumers import RETURNS_GROUP, MilestoneConsumers
from crossdock.settings import Settings
from events import RedisStreamBus
from monitoring import MONITORING_GROUP, Monitor
from monitoring.settings import MonitoringSettings
from monitoring.sqlite_store import SqliteMonitoringStore
from resolvers.journal import SqliteJournal, WorkflowState
from resolvers.service import OrdersService
from resolvers.systems import Systems as WorkflowSystems
from schema.events import FulfillmentMilestone, MilestoneType
from subgraphs.apps import create_subgraph_app
from systems.apps import create_system_app
from systems.world_records import OrderRecord, World
from tests.consumers.conftest import Systems, consumer_of, consumers, publish
from tests.events.harness import FAST, BusSubject
from tests.orchestration.conftest import copy_world
from tests.orchestration.test_returns import shipped_orders
from tests.subgraphs.wms.test_intake import SECRET, post, receiver_app
from tests.support.rest import ok
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

# How long a wait may take on a loaded machine (a test process serving every system and
# subgraph, beside other test runs), and how long a workflow waits for a system there.
LOADED = 30.0


def patient(settings: Settings) -> Settings:
    return settings.model_copy(update={"system_timeout_seconds": LOADED})


@dataclass(frozen=True)
class Authorized:
    """A return the ERP authorized and the WMS expects."""

    id: str
    order: OrderRecord
    center: str


@pytest.fixture(scope="module")
def orders(world: World) -> Iterator[OrderRecord]:
    """Shipped orders with no return yet, one per return a test makes."""
    return iter(shipped_orders(world, newer_than=60))


def authorize(
    erp: httpx.Client, wms: httpx.Client, key: str, order: OrderRecord, lines: list[tuple[str, int]]
) -> Authorized:
    """Authorize a return of ``lines`` in the ERP and announce it to the WMS, as requestReturn
    does."""
    items = [{"item": {"refName": sku}, "quantity": n, "reason": "DAMAGED"} for sku, n in lines]
    body = {"externalId": key, "createdFrom": {"internalId": order.id}, "items": items}
    ra = ok(erp.post("/returnAuthorizations", json=body), 201)
    assert ra["custbody_status"] == "AUTHORIZED", ra
    center = ra["location"]["refName"]
    expected = {
        "rma_ref": ra["internalId"],
        "order_ref": order.id,
        "facility_id": center,
        "lines": [{"item_number": sku, "qty": n} for sku, n in lines],
    }
    ok(wms.post("/expected-returns", json=expected), 201)
    return Authorized(str(ra["internalId"]), order, center)


def book(
    wms: httpx.Client, ra: Authorized, key: str, lines: list[tuple[str, int, str]]
) -> dict[str, Any]:
    """The dock books a receipt against ``ra`` directly on the WMS."""
    body = {
        "receipt_id": key,
        "rma_ref": ra.id,
        "facility_id": ra.center,
        "lines": [
            {"item_number": sku, "qty_received": n, "disposition_code": disposition}
            for sku, n, disposition in lines
        ],
    }
    receipt: dict[str, Any] = ok(wms.post("/return-receipts", json=body), 201)
    return receipt


def return_milestones(wms: httpx.Client, ra: Authorized) -> list[FulfillmentMilestone]:
    """The canonical events of the WMS's webhooks about ``ra``, as the intake publishes them."""
    logged = ok(wms.get("/_admin/webhook-deliveries", params={"rma_ref": ra.id}))["data"]
    return [normalize(WmsWebhook.model_validate(entry["payload"])) for entry in logged]


def credit_memos(erp: httpx.Client, ra: Authorized) -> list[dict[str, Any]]:
    found = ok(erp.get("/creditMemos", params={"orderIds": ra.order.id}))["items"]
    return [memo for memo in found if memo["createdFrom"]["internalId"] == ra.id]


def ra_status(erp: httpx.Client, ra: Authorized) -> str:
    status: str = ok(erp.get(f"/returnAuthorizations/{ra.id}"))["custbody_status"]
    return status


def credited_lines(memo: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["item"]["refName"], line["quantity"]) for line in memo["item"]["items"]]


def assert_priced(erp: httpx.Client, memo: dict[str, Any], ra: Authorized) -> None:
    """The memo credits each unit at its order line's rate, plus the order's tax."""
    order = ok(erp.get(f"/salesOrders/{ra.order.id}"))
    rates = {line["item"]["refName"]: Decimal(line["rate"]) for line in order["item"]["items"]}
    subtotal = Decimal(0)
    for line in memo["item"]["items"]:
        rate = rates[line["item"]["refName"]]
        assert Decimal(line["rate"]) == rate
        assert Decimal(line["amount"]) == rate * line["quantity"]
        subtotal += rate * line["quantity"]
    tax = (subtotal * Decimal(order["taxRate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert (Decimal(memo["subtotal"]), Decimal(memo["taxTotal"])) == (subtotal, tax)
    assert Decimal(memo["total"]) == subtotal + tax > 0


async def handled(running: MilestoneConsumers, count: int) -> None:
    consumer = consumer_of(running, RETURNS_GROUP)
    await wait_until_async(
        lambda: asyncio.sleep(0, consumer.stats.handled == count),
        timeout=LOADED,
        what=f"{count} deliveries handled by the returns consumer",
    )


@pytest.fixture(scope="module")
def erp_subgraph(systems: Systems) -> Iterator[str]:
    with serve(create_subgraph_app("erp", systems.settings.subgraphs)) as url:
        yield url


@pytest.fixture(scope="module")
def orders_subgraph(systems: Systems) -> Iterator[str]:
    with serve(create_subgraph_app("orders", patient(systems.settings).subgraphs)) as url:
        yield url


def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables}, timeout=60)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


ORDER_CREDITS = """
query Credits($id: ID!) {
  order(id: $id) {
    creditMemos { id number total { amount } lines { quantity product { sku } } }
    returnAuthorizations { id status }
  }
}
"""


async def test_a_receipt_booked_at_the_dock_is_credited_once(
    systems: Systems,
    subject: BusSubject,
    stream: str,
    orders: Iterator[OrderRecord],
    erp_subgraph: str,
) -> None:
    order = next(orders)
    sku, units = order.lines[0].sku, min(order.lines[0].quantity, 2)
    ra = authorize(systems.erp, systems.wms, f"dock-{subject.kind}", order, [(sku, units)])
    receipt = book(systems.wms, ra, f"dock-{subject.kind}", [(sku, units, "RESTOCKED")])
    events = return_milestones(systems.wms, ra)
    assert [e.type for e in events] == [MilestoneType.RETURN_RECEIVED]
    assert events[0].detail.return_authorization_id == ra.id
    # The webhook delivered twice (a retry after a lost acknowledgement): published twice.
    await publish(subject, stream, events + events)
    async with consumers(systems, subject, stream) as running:
        await handled(running, 2)
        assert consumer_of(running, RETURNS_GROUP).stats.dead_lettered == 0
    [memo] = credit_memos(systems.erp, ra)
    assert credited_lines(memo) == [(sku, units)]
    assert_priced(systems.erp, memo, ra)
    assert ra_status(systems.erp, ra) == "CREDITED"
    received = ok(systems.erp.get(f"/returnAuthorizations/{ra.id}"))["item"]["items"]
    assert [(x["item"]["refName"], x["quantityReceived"]) for x in received] == [(sku, units)]
    assert receipt["receipt_no"].startswith("RR-")

    # Replayed later (a dead letter replayed, a new replica): nothing is written twice.
    await publish(subject, stream, events)
    async with consumers(systems, subject, stream) as running:
        await handled(running, 1)
    assert [m["internalId"] for m in credit_memos(systems.erp, ra)] == [memo["internalId"]]

    # What a user of the graph sees: the order's credit memo, its return credited.
    seen = graphql(erp_subgraph, ORDER_CREDITS, {"id": order.id})["order"]
    credits = [m for m in seen["creditMemos"] if m["id"] == memo["internalId"]]
    assert credits == [
        {
            "id": memo["internalId"],
            "number": memo["tranId"],
            "total": {"amount": memo["total"]},
            "lines": [{"quantity": units, "product": {"sku": sku}}],
        }
    ]
    assert {"id": ra.id, "status": "CREDITED"} in seen["returnAuthorizations"]


async def test_goods_awaiting_inspection_are_not_credited(
    systems: Systems,
    subject: BusSubject,
    stream: str,
    orders: Iterator[OrderRecord],
    tmp_path: Path,
) -> None:
    mixed_order = next(o for o in orders if len({line.sku for line in o.lines}) >= 2)
    a, b = sorted({line.sku for line in mixed_order.lines})[:2]
    mixed = authorize(systems.erp, systems.wms, f"mixed-{subject.kind}", mixed_order,
                      [(a, 1), (b, 1)])  # fmt: skip
    book(systems.wms, mixed, f"mixed-{subject.kind}",
         [(a, 1, "RESTOCKED"), (b, 1, "INSPECTION_REQUIRED")])  # fmt: skip
    held_order = next(orders)
    sku = held_order.lines[0].sku
    held = authorize(systems.erp, systems.wms, f"held-{subject.kind}", held_order, [(sku, 1)])
    book(systems.wms, held, f"held-{subject.kind}", [(sku, 1, "INSPECTION_REQUIRED")])
    events = return_milestones(systems.wms, mixed) + return_milestones(systems.wms, held)
    await publish(subject, stream, events)
    monitor = Monitor(SqliteMonitoringStore(tmp_path / "monitoring.sqlite3", MonitoringSettings()))
    async with consumers(systems, subject, stream, monitor=monitor) as running:
        await handled(running, 2)
        assert consumer_of(running, RETURNS_GROUP).stats.dead_lettered == 0
        recorder = consumer_of(running, MONITORING_GROUP)
        await wait_until_async(
            lambda: asyncio.sleep(0, recorder.stats.handled == 2),
            timeout=LOADED,
            what="both receipts recorded by the monitoring",
        )
    # The business monitoring (the consumers closed theirs): both received, only the one
    # with a memo credited.
    reader = SqliteMonitoringStore(tmp_path / "monitoring.sqlite3", MonitoringSettings())
    seen = {}
    for ra in (mixed, held):
        state = await reader.order(ra.order.id)
        assert state is not None
        seen[ra.id] = set(state.returns[ra.id])
    await reader.aclose()
    assert {"receivedAt", "creditedAt"} <= seen[mixed.id]
    assert "receivedAt" in seen[held.id] and "creditedAt" not in seen[held.id]
    [memo] = credit_memos(systems.erp, mixed)
    assert credited_lines(memo) == [(a, 1)]
    assert_priced(systems.erp, memo, mixed)
    assert ra_status(systems.erp, mixed) == "CREDITED"
    # Received (recorded in the ERP), nothing credited until it is inspected.
    assert credit_memos(systems.erp, held) == []
    assert ra_status(systems.erp, held) == "RECEIVED"


async def test_a_return_booked_in_parts_is_credited_per_receipt(
    systems: Systems, subject: BusSubject, stream: str, orders: Iterator[OrderRecord]
) -> None:
    order = next(o for o in orders if o.lines[0].quantity >= 2)
    sku = order.lines[0].sku
    ra = authorize(systems.erp, systems.wms, f"parts-{subject.kind}", order, [(sku, 2)])
    first = book(systems.wms, ra, f"parts-1-{subject.kind}", [(sku, 1, "RESTOCKED")])
    second = book(systems.wms, ra, f"parts-2-{subject.kind}", [(sku, 1, "RESTOCKED")])
    events = return_milestones(systems.wms, ra)
    assert [e.type for e in events] == [MilestoneType.RETURN_RECEIVED] * 2
    # The later receipt's milestone first: each event is handled, each receipt credited once.
    await publish(subject, stream, events[::-1])
    async with consumers(systems, subject, stream) as running:
        await handled(running, 2)
        assert consumer_of(running, RETURNS_GROUP).stats.dead_lettered == 0
    assert first["receipt_no"] != second["receipt_no"]
    memos = credit_memos(systems.erp, ra)
    assert [credited_lines(m) for m in memos] == [[(sku, 1)], [(sku, 1)]]
    for memo in memos:
        assert_priced(systems.erp, memo, ra)
    assert ra_status(systems.erp, ra) == "CREDITED"
    received = ok(systems.erp.get(f"/returnAuthorizations/{ra.id}"))["item"]["items"]
    assert [x["quantityReceived"] for x in received] == [2]


REQUEST = """
mutation Request($input: RequestReturnInput!, $key: String!) {
  requestReturn(input: $input, idempotencyKey: $key) {
    status returnAuthorization { id } userErrors { code }
  }
}
"""
RECEIVE = """
mutation Receive($input: ReceiveReturnInput!, $key: String!) {
  receiveReturn(input: $input, idempotencyKey: $key) {
    status creditMemo { id } userErrors { code }
  }
}
"""


async def test_the_workflow_then_the_milestone_make_one_credit_memo(
    systems: Systems,
    subject: BusSubject,
    stream: str,
    orders: Iterator[OrderRecord],
    orders_subgraph: str,
) -> None:
    order = next(orders)
    sku = order.lines[0].sku
    asked = {"orderId": order.id, "lines": [{"sku": sku, "quantity": 1, "reason": "DAMAGED"}]}
    key = f"wf-first-{subject.kind}"
    requested = graphql(orders_subgraph, REQUEST, {"input": asked, "key": key})["requestReturn"]
    assert (requested["status"], requested["userErrors"]) == ("AUTHORIZED", [])
    ra_id = requested["returnAuthorization"]["id"]
    receipt = {
        "returnAuthorizationId": ra_id,
        "lines": [{"sku": sku, "quantity": 1, "disposition": "RESTOCKED"}],
    }
    received = graphql(orders_subgraph, RECEIVE, {"input": receipt, "key": key})["receiveReturn"]
    assert (received["status"], received["userErrors"]) == ("CREDITED", [])
    ra = Authorized(ra_id, order, "")
    events = return_milestones(systems.wms, ra)
    assert [e.type for e in events] == [MilestoneType.RETURN_RECEIVED]
    await publish(subject, stream, events)
    async with consumers(systems, subject, stream) as running:
        await handled(running, 1)
        assert consumer_of(running, RETURNS_GROUP).stats.dead_lettered == 0
    [memo] = credit_memos(systems.erp, ra)
    assert memo["internalId"] == received["creditMemo"]["id"]
    assert credited_lines(memo) == [(sku, 1)]
    assert ra_status(systems.erp, ra) == "CREDITED"


async def test_the_milestone_then_the_workflow_make_one_credit_memo(
    systems: Systems,
    subject: BusSubject,
    stream: str,
    orders: Iterator[OrderRecord],
    tmp_path: Path,
) -> None:
    """The consumer credits the receipt while the workflow is between booking it in the WMS
    and recording it in the ERP; the workflow then finds the record and the memo made."""
    service = OrdersService(
        WorkflowSystems.from_settings(patient(systems.settings).workflows),
        SqliteJournal(tmp_path / "journal.sqlite3"),
        MemoryCache(),
        retention_seconds=600,
        priority=[],
    )
    order = next(orders)
    sku = order.lines[0].sku
    key = f"event-first-{subject.kind}"
    asked = {"orderId": order.id, "lines": [{"sku": sku, "quantity": 1, "reason": "DEFECTIVE"}]}
    requested = await service.request_return(asked, key)
    assert requested.status == "AUTHORIZED" and requested.return_authorization_id is not None
    ra = Authorized(requested.return_authorization_id, order, "")
    by_the_consumer: list[str] = []

    async def consumer_goes_first(finished: str, state: WorkflowState) -> None:
        if finished != "receipt":
            return
        await publish(subject, stream, return_milestones(systems.wms, ra))
        async with consumers(systems, subject, stream) as running:
            await handled(running, 1)
        [memo] = credit_memos(systems.erp, ra)
        by_the_consumer.append(memo["internalId"])

    service.returns.after_step = consumer_goes_first
    try:
        body = {
            "returnAuthorizationId": ra.id,
            "lines": [{"sku": sku, "quantity": 1, "disposition": "NOT_RESTOCKED"}],
        }
        result = await service.receive_return(body, key)
    finally:
        await service.aclose()
    assert len(by_the_consumer) == 1
    assert (result.status, result.user_errors) == ("CREDITED", ())
    assert result.credit_memo_id == by_the_consumer[0]
    [memo] = credit_memos(systems.erp, ra)
    assert memo["internalId"] == by_the_consumer[0]
    assert credited_lines(memo) == [(sku, 1)]


async def test_an_erp_refusing_the_credit_dead_letters_it_until_the_fix(
    systems: Systems, subject: BusSubject, stream: str, orders: Iterator[OrderRecord]
) -> None:
    order = next(orders)
    sku = order.lines[0].sku
    ra = authorize(systems.erp, systems.wms, f"down-{subject.kind}", order, [(sku, 1)])
    book(systems.wms, ra, f"down-{subject.kind}", [(sku, 1, "RESTOCKED")])
    [event] = return_milestones(systems.wms, ra)
    systems.faults(error_rate=1.0, routes=["POST /creditMemos"])
    try:
        await publish(subject, stream, [event])
        async with consumers(systems, subject, stream, max_attempts=2) as running:
            consumer = consumer_of(running, RETURNS_GROUP)
            await wait_until_async(
                lambda: asyncio.sleep(0, consumer.stats.dead_lettered == 1),
                timeout=LOADED,
                what="the receipt dead-lettered",
            )
            assert consumer.stats.handled == 0
        [letter] = await subject.bus.dead_letters(stream)
        assert (letter.event_id, letter.group) == (event.event_id, RETURNS_GROUP)
        assert "503" in letter.error
        # Recorded as received (that write went through), not credited.
        assert ra_status(systems.erp, ra) == "RECEIVED"
        assert credit_memos(systems.erp, ra) == []
    finally:
        systems.faults()
    await subject.bus.replay_dead_letters(stream, [letter.id])
    async with consumers(systems, subject, stream) as running:
        await handled(running, 1)
    [memo] = credit_memos(systems.erp, ra)
    assert credited_lines(memo) == [(sku, 1)]
    assert ra_status(systems.erp, ra) == "CREDITED"
    assert await subject.bus.dead_letters(stream) == []


async def test_the_whole_way_from_the_dock_over_http_and_redis(
    systems: Systems,
    orders: Iterator[OrderRecord],
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    """The dock books at a WMS that sends its webhooks; the intake publishes to Redis; the
    consumers (another process's bus, the same streams) credit the return once, even with the
    webhook delivered twice."""
    stream = "fulfillment-milestones"
    intake_app = receiver_app(
        RedisStreamBus(redis_url, prefix=redis_prefix), RedisCache(redis_url, prefix=redis_prefix),
        stream,
    )  # fmt: skip
    with serve(intake_app) as intake:
        lifecycle = systems.settings.wms_lifecycle.model_copy(
            update={
                "webhook_url": f"{intake}/webhooks/wms",
                "webhook_secret": SECRET,
                "retry_base_seconds": 0.02,
                "retry_max_seconds": 0.1,
            }
        )
        own = copy_world(systems.settings, tmp_path / "world")
        own = own.model_copy(update={"wms_lifecycle": lifecycle})
        with (
            serve(create_system_app("wms", own.systems)) as wms_url,
            httpx.Client(base_url=wms_url, timeout=30) as wms,
        ):
            order = next(orders)
            sku = order.lines[0].sku
            ra = authorize(systems.erp, wms, "http-way", order, [(sku, 1)])
            book(wms, ra, "http-way", [(sku, 1, "SCRAPPED")])

            def delivered() -> list[dict[str, Any]]:
                logged: list[dict[str, Any]] = ok(
                    wms.get("/_admin/webhook-deliveries", params={"rma_ref": ra.id})
                )["data"]
                return logged

            wait_until(
                lambda: [e["status"] for e in delivered()] == ["DELIVERED"],
                timeout=LOADED,
                what="the return milestone delivered",
            )
            [logged] = delivered()
            with httpx.Client(base_url=intake, timeout=10) as client:
                again = post(client, logged["payload"])
            assert (again.status_code, again.json()["status"]) == (200, "duplicate")
            bus = RedisStreamBus(redis_url, prefix=redis_prefix)
            cache = RedisCache(redis_url, prefix=redis_prefix)
            settings = systems.settings.model_copy(update={"wms_url": wms_url})
            running = MilestoneConsumers(
                bus,
                erp=system_client("erp", settings.connectors),
                wms=system_client("wms", settings.connectors),
                cache=cache,
                stream=stream,
                **FAST,
            )
            try:
                async with running:
                    # Its own WMS is a copy of the shared one and sends what that one had not
                    # sent yet too (other tests' receipts): wait for this return's credit.
                    async def credited() -> bool:
                        return bool(await asyncio.to_thread(credit_memos, systems.erp, ra))

                    await wait_until_async(
                        credited,
                        timeout=LOADED,
                        what="the return credited",
                    )
                    assert consumer_of(running, RETURNS_GROUP).stats.dead_lettered == 0
            finally:
                await bus.aclose()
    [memo] = credit_memos(systems.erp, ra)
    assert credited_lines(memo) == [(sku, 1)]
    assert ra_status(systems.erp, ra) == "CREDITED"
