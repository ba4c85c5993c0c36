"""The CRM's consumer on both buses, over a real CRM, ERP and WMS and the crm subgraph: every
milestone an activity on the order's account, an exception, a delay or a backorder a case,
both seen through the graph; a duplicate or replayed event changing nothing; a CRM that fails
retried, dead-lettered, and the replay after the fix writing everything once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cache import MemoryCache
from cache.base import Cache
from connectors.settings import system_client
from connectors.wms.webhooks import WmsWebhook, normalize
from consumers import CRM_GROUP, CrmActivity, MilestoneConsumers
from crossdock.stack import run_consumers_beside
from events import Consumer, RedisStreamBus, idempotent
from events.idempotency import SeenEvents
from schema.events import FulfillmentMilestone, MilestoneDetail, MilestoneType
from subgraphs.apps import create_subgraph_app
from subgraphs.wms.app import create_app as create_wms_subgraph_app
from systems.apps import create_system_app
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from systems.world_records import World
from tests.consumers.conftest import Released, Systems
from tests.events.harness import FAST, BusSubject
from tests.support.graphql import data
from tests.support.rest import ok
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

ACTIVITY = (
    "id subject description type occurredAt createdAt orderNumber account { id } order { id }"
)
CASE = "id caseNumber subject description status priority origin account { id } order { id }"


@dataclass
class Crm:
    """The module's CRM (over the same copied world as its ERP and WMS) and its subgraph."""

    rest: httpx.Client
    graph: httpx.Client
    account_id: str  # whose orders ``Systems.release`` makes

    def activities(self, order_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = ok(self.rest.get("/tasks", params={"orderIds": order_id}))[
            "records"
        ]
        return records

    def cases(self, order_id: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = ok(self.rest.get("/cases", params={"orderIds": order_id}))[
            "records"
        ]
        return records

    def faults(self, **faults: object) -> None:
        body = {"latency_ms": 0, "error_rate": 0.0, "rate_limit_per_second": None, **faults}
        ok(self.rest.put("/_admin/faults", json=body))


@pytest.fixture(scope="module")
def crm(systems: Systems, world: World) -> Iterator[Crm]:
    with ExitStack() as stack:
        url = stack.enter_context(serve(create_system_app("crm", systems.settings.systems)))
        systems.settings = systems.settings.model_copy(update={"crm_url": url})
        graph_url = stack.enter_context(
            serve(create_subgraph_app("crm", systems.settings.subgraphs))
        )
        rest = stack.enter_context(httpx.Client(base_url=url, timeout=30))
        graph = stack.enter_context(httpx.Client(base_url=graph_url, timeout=30))
        account = next(a for a in world.accounts if a.active and not a.credit_hold)
        yield Crm(rest, graph, account.id)


def advance(systems: Systems, order: Released, to: str, exception: str | None = None) -> Any:
    """Move the order's fulfillment on to ``to`` (forcing ``exception`` on its way)."""
    body = {"fulfillment_order_no": order.fulfillment_order, "to": to, "exception": exception}
    return ok(systems.wms.post("/_admin/advance", json=body))["events"]


def milestones(bodies: list[dict[str, Any]], account_id: str | None) -> list[FulfillmentMilestone]:
    """The canonical events of the WMS's webhook bodies, enriched as the intake does."""
    return [normalize(WmsWebhook.model_validate(body), account_id=account_id) for body in bodies]


async def publish(subject: BusSubject, stream: str, events: list[FulfillmentMilestone]) -> None:
    for event in events:
        await subject.bus.publish(stream, event.event_id, event.to_json())


@asynccontextmanager
async def crm_consumer(
    systems: Systems, subject: BusSubject, stream: str, cache: Cache | None = None, **options: Any
) -> AsyncIterator[Consumer]:
    """The ``crm`` group's consumer alone, wrapped as ``MilestoneConsumers`` wraps it."""
    crm, erp = (
        system_client("crm", systems.settings.connectors),
        system_client("erp", systems.settings.connectors),
    )
    seen = SeenEvents(cache or subject.cache, CRM_GROUP)
    consumer = Consumer(
        subject.bus, stream, CRM_GROUP, idempotent(CrmActivity(crm, erp), seen),
        **{**FAST, **options},
    )  # fmt: skip
    try:
        async with consumer:
            yield consumer
    finally:
        await crm.aclose()
        await erp.aclose()


async def handled(consumer: Consumer, count: int, what: str) -> None:
    await wait_until_async(lambda: asyncio.sleep(0, consumer.stats.handled >= count), what=what)
    assert consumer.stats.handled == count


def account_graph(crm: Crm) -> dict[str, Any]:
    document = f"""
    query($id: ID!) {{
      account(id: $id) {{
        activities(first: 100) {{ {ACTIVITY} }}
        latest: activities(first: 2) {{ id }}
        cases(open: true) {{ {CASE} }}
      }}
    }}
    """
    found: dict[str, Any] = data(crm.graph, document, {"id": crm.account_id})["account"]
    return found


def order_graph(crm: Crm, order_id: str) -> dict[str, Any]:
    document = f"""
    query($representations: [_Any!]!) {{
      _entities(representations: $representations) {{
        ... on Order {{ cases {{ {CASE} }} activities {{ {ACTIVITY} }} }}
      }}
    }}
    """
    representations = [{"__typename": "Order", "id": order_id}]
    [found] = data(crm.graph, document, {"representations": representations})["_entities"]
    result: dict[str, Any] = found
    return result


async def test_every_milestone_is_an_activity_and_an_exception_opens_a_case(
    systems: Systems, crm: Crm, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"crm-exception-{subject.kind}")
    events = milestones(advance(systems, order, "IN_TRANSIT", "DAMAGED"), crm.account_id)
    kinds = [event.type for event in events]
    assert kinds[-1] is MilestoneType.EXCEPTION and MilestoneType.SHIPPED in kinds
    # Every event twice: a retried webhook, a redelivery after a lost acknowledgement.
    await publish(subject, stream, events + events)
    consumers = MilestoneConsumers(
        subject.bus,
        erp=system_client("erp", systems.settings.connectors),
        wms=system_client("wms", systems.settings.connectors),
        crm=system_client("crm", systems.settings.connectors),
        cache=subject.cache,
        stream=stream,
        **FAST,
    )
    async with consumers as running:
        [consumer] = [c for c in running.consumers if c.group == CRM_GROUP]
        await handled(consumer, 2 * len(events), "every delivery handled")

    activities = crm.activities(order.order_id)
    assert len(activities) == len(events)  # one per milestone, however often it came
    assert {a["External_Id__c"] for a in activities} == {f"{e.event_id}:activity" for e in events}
    assert all(a["AccountId"] == crm.account_id and a["Type"] == "Fulfillment" for a in activities)
    by_event = {a["External_Id__c"].removesuffix(":activity"): a for a in activities}
    shipped = next(e for e in events if e.type is MilestoneType.SHIPPED)
    assert by_event[shipped.event_id]["Subject"] == f"Order {order.order_number} has shipped"
    assert shipped.detail.tracking_number in by_event[shipped.event_id]["Description"]

    exception = events[-1]
    reason = exception.detail.exception_reason
    assert reason
    [case] = crm.cases(order.order_id)
    assert case["External_Id__c"] == f"{exception.event_id}:case"
    assert (case["Priority"], case["Origin"], case["Status"]) == ("High", "Warehouse", "New")
    assert (case["AccountId"], case["ERP_Order_Number__c"]) == (crm.account_id, order.order_number)
    assert case["Subject"] == (
        f"Delivery exception on order {order.order_number} "
        f"(shipment {exception.shipment_id}): {reason}"
    )
    for fact in (order.order_number, str(exception.shipment_id), reason,
                 str(exception.detail.tracking_number)):  # fmt: skip
        assert fact in case["Description"]

    # Through the crm subgraph: the account's history and open cases, the order's cases.
    account = account_graph(crm)
    mine = [a for a in account["activities"] if a["order"] == {"id": order.order_id}]
    assert [a["id"] for a in mine] == [a["Id"] for a in activities]  # newest first, as listed
    assert len(account["latest"]) == 2
    newest = account["activities"][0]
    assert newest["occurredAt"] >= account["activities"][-1]["occurredAt"]
    assert case["Id"] in {c["id"] for c in account["cases"]}
    about_order = order_graph(crm, order.order_id)
    assert about_order["cases"] == [
        {
            "id": case["Id"],
            "caseNumber": case["CaseNumber"],
            "subject": case["Subject"],
            "description": case["Description"],
            "status": "NEW",
            "priority": "HIGH",
            "origin": "WAREHOUSE",
            "account": {"id": crm.account_id},
            "order": {"id": order.order_id},
        }
    ]
    assert {a["id"] for a in about_order["activities"]} == {a["Id"] for a in activities}
    by_id = {a["Id"]: a for a in activities}
    for activity in about_order["activities"]:
        assert activity["subject"] == by_id[activity["id"]]["Subject"]
        assert activity["type"] == "FULFILLMENT"
        assert activity["orderNumber"] == order.order_number


@pytest.mark.parametrize(
    ("exception", "to", "kind", "subject_words"),
    [
        ("DELAYED", "IN_TRANSIT", MilestoneType.DELAYED, "delayed in transit"),
        ("PARTIAL_PICK", "PICKED", MilestoneType.BACKORDERED, "backordered"),
    ],
)
async def test_a_delay_or_a_backorder_opens_a_medium_case(
    systems: Systems,
    crm: Crm,
    subject: BusSubject,
    stream: str,
    exception: str,
    to: str,
    kind: MilestoneType,
    subject_words: str,
) -> None:
    order = systems.release(f"crm-{exception}-{subject.kind}", units=4)
    events = milestones(advance(systems, order, to, exception), crm.account_id)
    [event] = [e for e in events if e.type is kind]
    await publish(subject, stream, events)
    async with crm_consumer(systems, subject, stream) as consumer:
        await handled(consumer, len(events), "every milestone handled")
    [case] = crm.cases(order.order_id)
    assert (case["Priority"], case["Origin"], case["Status"]) == ("Medium", "Warehouse", "New")
    assert case["External_Id__c"] == f"{event.event_id}:case"
    assert f"Order {order.order_number} {subject_words}" in case["Subject"]
    if kind is MilestoneType.BACKORDERED:
        [short] = event.detail.quantities
        assert f"Backordered: {short.quantity} of {short.sku}." in case["Description"]
    assert len(crm.activities(order.order_id)) == len(events)


async def test_an_event_without_its_account_has_its_order_looked_up_in_the_erp(
    systems: Systems, crm: Crm, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"crm-lookup-{subject.kind}")
    events = milestones(advance(systems, order, "PICKED"), None)
    nobody = FulfillmentMilestone(
        event_id=f"orphan-{subject.kind}",
        type=MilestoneType.EXCEPTION,
        order_id="999999999",
        order_number="SO-999999",
        center_id="ATL1",
        occurred_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        detail=MilestoneDetail(exception_reason="Label unreadable"),
    )
    await publish(subject, stream, [*events, nobody])
    async with crm_consumer(systems, subject, stream) as consumer:
        await handled(consumer, len(events) + 1, "every milestone handled")
        assert consumer.stats.dead_lettered == 0  # the orphan is acknowledged, not parked
    assert {a["AccountId"] for a in crm.activities(order.order_id)} == {crm.account_id}
    assert len(crm.activities(order.order_id)) == len(events)
    assert crm.activities("999999999") == [] and crm.cases("999999999") == []


async def test_a_replayed_event_changes_nothing(
    systems: Systems, crm: Crm, subject: BusSubject, stream: str
) -> None:
    order = systems.release(f"crm-replay-{subject.kind}")
    events = milestones(advance(systems, order, "IN_TRANSIT", "DAMAGED"), crm.account_id)
    await publish(subject, stream, events)
    async with crm_consumer(systems, subject, stream) as consumer:
        await handled(consumer, len(events), "every milestone handled")
    before = (crm.activities(order.order_id), crm.cases(order.order_id))
    # The whole stream again, to a consumer whose record of seen events is gone (a replay
    # after the record expired): the CRM's own keys keep every write single.
    await subject.bus.replay_range(stream, "-", "+")
    async with crm_consumer(systems, subject, stream, cache=MemoryCache()) as again:
        await handled(again, len(events), "the replay handled")
    assert (crm.activities(order.order_id), crm.cases(order.order_id)) == before
    assert len(before[0]) == len(events) and len(before[1]) == 1


@pytest.mark.parametrize("down", ["cases", "crm"])
async def test_a_failing_crm_is_retried_then_dead_lettered_and_the_replay_writes_once(
    systems: Systems, crm: Crm, subject: BusSubject, stream: str, down: str
) -> None:
    order = systems.release(f"crm-down-{down}-{subject.kind}")
    events = milestones(advance(systems, order, "IN_TRANSIT", "DAMAGED"), crm.account_id)
    exception = events[-1]
    # Only the case write fails (the activities go in), or every write to the CRM does.
    failing = events[-1:] if down == "cases" else events
    await subject.bus.publish(stream, "not-an-event", b"{not json")
    writes = ["POST /cases"] if down == "cases" else ["POST /tasks", "POST /cases"]
    crm.faults(error_rate=1.0, routes=writes)  # the test's own reads still answer
    try:
        await publish(subject, stream, events)
        async with crm_consumer(systems, subject, stream, max_attempts=2) as consumer:
            await wait_until_async(
                lambda: asyncio.sleep(0, consumer.stats.dead_lettered == len(failing) + 1),
                what="the garbage and the failed milestones dead-lettered",
            )
            await handled(consumer, len(events) - len(failing), "the other milestones handled")
            assert consumer.stats.failed >= 2 * (len(failing) + 1)  # each tried twice
        parked = {
            letter.event_id: letter
            for letter in await subject.bus.dead_letters(stream)
            if letter.group == CRM_GROUP
        }
        assert set(parked) == {"not-an-event", *(event.event_id for event in failing)}
        assert "503" in parked[exception.event_id].error
        assert crm.cases(order.order_id) == []
        # With only the case failing, the exception's activity went in before it: once.
        expected = len(events) if down == "cases" else 0
        assert len(crm.activities(order.order_id)) == expected
    finally:
        crm.faults()
    # The fix is in (the CRM answers again): replay the milestones, not the garbage.
    await subject.bus.replay_dead_letters(stream, [parked[e.event_id].id for e in failing])
    async with crm_consumer(systems, subject, stream) as consumer:
        await handled(consumer, len(failing), "the replay handled")
    [case] = crm.cases(order.order_id)
    assert case["External_Id__c"] == f"{exception.event_id}:case"
    assert len(crm.activities(order.order_id)) == len(events)
    assert [letter.event_id for letter in await subject.bus.dead_letters(stream)] == [
        "not-an-event"
    ]


def test_milestones_through_the_webhook_intake_reach_the_crm_as_crossdock_up_runs_them(
    systems: Systems, crm: Crm, redis_url: str, redis_prefix: str
) -> None:
    """The wms subgraph's intake (which names each event's account from the ERP) and the
    consumers ``crossdock up`` builds from its settings, sharing one Redis bus."""
    settings = systems.settings.model_copy(
        update={"redis_url": redis_url, "cache_prefix": redis_prefix}
    )
    bus = RedisStreamBus(redis_url, prefix=redis_prefix)
    app = create_wms_subgraph_app(settings.subgraphs, bus=bus)
    run_consumers_beside(app, MilestoneConsumers.from_settings(bus, settings.consumers), bus)
    order = systems.release("crm-intake")
    bodies = advance(systems, order, "IN_TRANSIT", "DELAYED")
    secret = settings.wms_lifecycle.webhook_secret
    with serve(app) as url:
        for body in bodies:
            content = httpx.Request("POST", "/", json=body).content
            answer = httpx.post(
                f"{url}/webhooks/wms",
                content=content,
                headers={SIGNATURE_HEADER: signature_header(secret, content)},
                timeout=10,
            )
            assert answer.status_code == 202, answer.text
        wait_until(
            lambda: (
                len(crm.activities(order.order_id)) == len(bodies)
                and len(crm.cases(order.order_id)) == 1
            ),
            what="an activity per milestone and the delay's case",
            timeout=30,
        )
    assert {a["AccountId"] for a in crm.activities(order.order_id)} == {crm.account_id}
    [case] = crm.cases(order.order_id)
    assert (case["AccountId"], case["Priority"]) == (crm.account_id, "Medium")
