"""A customer follows only its own account's milestones: the wms subgraph with auth on, over
real WebSockets whose ``connection_init`` carries a token the test issuer signed, fed by
signed webhooks. Another account's order, tracking number or account is refused when it
subscribes, exactly as an unknown one is; its own come through, and staff follow all."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from events import InProcessBus
from gateway.auth import AuthSettings
from subgraphs.wms.app import create_app
from subgraphs.wms.feed import MilestoneFeed
from systems.world_records import OrderRecord
from tests.consumers.conftest import Systems, systems
from tests.subgraphs.test_wms_subscriptions import (
    BY_TRACKING,
    IDS_ONLY,
    PROMPT,
    Client,
    Graph,
    closing_bus,
    webhook,
)
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

__all__ = ["systems"]


@dataclasses.dataclass(frozen=True)
class Guarded:
    graph: Graph
    issuer: TestIssuer


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def jwks(issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return issuer.jwks_file(tmp_path_factory.mktemp("wms-jwks"))


@asynccontextmanager
async def guarded_graph(systems: Systems, issuer: TestIssuer, jwks: Path) -> AsyncIterator[Guarded]:
    settings = systems.settings.model_copy(update={"redis_url": None}).subgraphs
    auth = AuthSettings(jwks=str(jwks), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    bus = InProcessBus(max_length=10_000)
    feed = MilestoneFeed(bus, block_seconds=0.5)
    app = create_app(dataclasses.replace(settings, auth=auth), bus=bus, feed=feed)
    with serve(closing_bus(app, bus)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            secret = systems.settings.wms_lifecycle.webhook_secret
            yield Guarded(Graph(url, feed, secret, http), issuer)


@asynccontextmanager
async def as_caller(graph: Graph, token: str) -> AsyncIterator[Client]:
    """A graphql-transport-ws client whose ``connection_init`` carries ``token``."""
    url = graph.url.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(orjson.dumps(init).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), PROMPT)) == {"type": "connection_ack"}
        yield Client(ws)


def customer(issuer: TestIssuer, account: str, scope: str = "orders:read") -> str:
    return issuer.token(subject=f"customer-of-{account}", scope=scope, account_id=account)


def two_accounts(systems: Systems) -> tuple[OrderRecord, OrderRecord]:
    """An order of account X, and one of another account Y that has a shipment."""
    world = systems.world
    mine = world.orders[0]
    accounts = {o.id: o.account_id for o in world.orders}
    shipped = next(s for s in world.shipments if accounts[s.order_id] != mine.account_id)
    theirs = next(o for o in world.orders if o.id == shipped.order_id)
    return mine, theirs


def tracking_of(systems: Systems, order: OrderRecord) -> str:
    return next(s.tracking_number for s in systems.world.shipments if s.order_id == order.id)


def without(message: str, *ids: str) -> str:
    for id in ids:
        message = message.replace(id, "<id>")
    return message


@pytest.fixture
async def guarded(systems: Systems, issuer: TestIssuer, jwks: Path) -> AsyncIterator[Guarded]:
    async with guarded_graph(systems, issuer, jwks) as found:
        yield found


@pytest.fixture
def orders(systems: Systems) -> Iterator[tuple[OrderRecord, OrderRecord]]:
    yield two_accounts(systems)


async def test_another_accounts_order_is_refused_as_an_unknown_one(
    guarded: Guarded, orders: tuple[OrderRecord, OrderRecord]
) -> None:
    mine, theirs = orders
    token = customer(guarded.issuer, mine.account_id)
    async with as_caller(guarded.graph, token) as ws:
        await ws.subscribe("theirs", IDS_ONLY, orderId=theirs.id)
        await ws.subscribe("unknown", IDS_ONLY, orderId="999999999")
        refused, unknown = await ws.error("theirs"), await ws.error("unknown")
        assert refused["extensions"] == unknown["extensions"] == {"code": "BAD_USER_INPUT"}
        assert without(refused["message"], theirs.id) == without(unknown["message"], "999999999")
        await ws.subscribe("their-account", IDS_ONLY, accountId=theirs.account_id)
        error = await ws.error("their-account")
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.subscribe("mixed", IDS_ONLY, orderId=theirs.id, accountId=mine.account_id)
        assert (await ws.error("mixed"))["extensions"]["code"] == "BAD_USER_INPUT"
        assert guarded.graph.feed.subscribers == 0


async def test_another_accounts_tracking_number_is_refused_as_an_unknown_one(
    systems: Systems, guarded: Guarded, orders: tuple[OrderRecord, OrderRecord]
) -> None:
    mine, theirs = orders
    number = tracking_of(systems, theirs)
    async with as_caller(guarded.graph, customer(guarded.issuer, mine.account_id)) as ws:
        await ws.subscribe("theirs", BY_TRACKING, trackingNumber=number)
        await ws.subscribe("unknown", BY_TRACKING, trackingNumber="1ZNOSUCHNUMBER")
        refused, unknown = await ws.error("theirs"), await ws.error("unknown")
        assert refused["extensions"] == unknown["extensions"] == {"code": "BAD_USER_INPUT"}
        assert without(refused["message"], number) == without(unknown["message"], "1ZNOSUCHNUMBER")
        assert guarded.graph.feed.subscribers == 0
    # The owner of that shipment may follow it.
    async with as_caller(guarded.graph, customer(guarded.issuer, theirs.account_id)) as ws:
        await ws.subscribe("own", BY_TRACKING, trackingNumber=number)
        await guarded.graph.subscribed(1)


async def test_a_customer_receives_its_own_accounts_milestones_only(
    guarded: Guarded, orders: tuple[OrderRecord, OrderRecord]
) -> None:
    mine, theirs = orders
    graph = guarded.graph
    async with as_caller(graph, customer(guarded.issuer, mine.account_id)) as ws:
        await ws.subscribe("order", IDS_ONLY, orderId=mine.id)
        await ws.subscribe("account", IDS_ONLY, accountId=mine.account_id)
        await graph.subscribed(2)
        sent = [webhook(theirs, "WV_PCK"), webhook(mine, "WV_PCK"), webhook(theirs, "WV_PKD"),
                webhook(mine, "WV_PKD")]  # fmt: skip
        for body in sent:
            await graph.post(body)
        expected = [sent[1]["event_id"], sent[3]["event_id"]]
        assert [m["eventId"] for m in await ws.milestones("order", 2)] == expected
        assert [m["eventId"] for m in await ws.milestones("account", 2)] == expected
        # Nothing of the other account slipped in: the next of each is the last sent.
        last = webhook(mine, "WV_PAK")
        await graph.post(last)
        for id in ("order", "account"):
            assert [m["eventId"] for m in await ws.milestones(id, 1)] == [last["event_id"]]


async def test_staff_follow_every_account_and_scopes_are_checked(
    guarded: Guarded, orders: tuple[OrderRecord, OrderRecord]
) -> None:
    mine, theirs = orders
    graph = guarded.graph
    reader = customer(guarded.issuer, mine.account_id, scope="accounts:read")
    async with as_caller(graph, reader) as ws:
        await ws.subscribe("no-scope", IDS_ONLY, orderId=mine.id)
        error = await ws.error("no-scope")
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "orders:read" in error["message"]
    staff = guarded.issuer.token(subject="staff-cy", scope="staff")
    async with as_caller(graph, staff) as ws:
        await ws.subscribe("theirs", IDS_ONLY, orderId=theirs.id)
        await ws.subscribe("account", IDS_ONLY, accountId=theirs.account_id)
        await graph.subscribed(2)
        body = webhook(theirs, "WV_PCK")
        await graph.post(body)
        for id in ("theirs", "account"):
            assert [m["eventId"] for m in await ws.milestones(id, 1)] == [body["event_id"]]


async def test_a_subscribers_events_carry_the_records_it_may_see(
    systems: Systems, guarded: Guarded
) -> None:
    order = systems.release("scoped-records")
    staff = guarded.issuer.token(subject="staff-dee", scope="staff")
    query = """
    subscription($orderId: ID) {
      fulfillmentMilestones(orderId: $orderId) { type fulfillmentOrder { id } }
    }"""
    async with as_caller(guarded.graph, staff) as ws:
        await ws.subscribe("order", query, orderId=order.order_id)
        await guarded.graph.subscribed(1)
        [picking, *_] = systems.advance(order, "PICKED")
        await guarded.graph.post(picking)
        [milestone] = await ws.milestones("order", 1)
        assert milestone["fulfillmentOrder"] == {"id": order.fulfillment_order}
