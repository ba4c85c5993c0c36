"""``POST /webhooks/wms`` on an app of its own, served on loopback over each real ``EventBus``:
signed milestones are normalized and published once; bad ones are refused and publish nothing.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cache import Cache, MemoryCache, RedisCache
from crossdock.settings import Settings, WmsLifecycle
from events import EventBus, EventBusUnavailable, InProcessBus, RedisStreamBus
from events.outbox import Outbox
from events.relay import OutboxRelay
from events.sqlite_outbox import SqliteOutbox
from schema.events import FulfillmentMilestone, MilestoneType
from subgraphs.wms.intake import (
    MAX_BODY_BYTES,
    WEBHOOK_PATH,
    AccountLookup,
    mount_webhook_intake,
    webhook_route,
)
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from systems.world_records import World
from tests.support.redis import require_redis, unique_prefix
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

SECRET = "test-webhook-secret"


@dataclass
class LoseAcks:
    """ASGI wrapper: the first ``remaining`` webhooks are handled, then answered 500 (the
    acknowledgement is lost on the way back); records every webhook it saw."""

    app: ASGIApp
    remaining: int = 0
    seen: list[tuple[str | None, bytes]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != WEBHOOK_PATH:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording() -> Message:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.remaining <= 0:
            await self.app(scope, recording, send)
        else:
            self.remaining -= 1

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, recording, swallow)
            await Response(b"lost", status_code=500)(scope, receive, send)
        self.seen.append((headers.get(SIGNATURE_HEADER.lower()), b"".join(chunks)))


def receiver_app(
    bus: EventBus,
    cache: Cache,
    stream: str,
    *,
    lose_acks: int = 0,
    account_of: AccountLookup | None = None,
    outbox: Outbox | None = None,
) -> LoseAcks:
    """The intake route alone over an outbox (``outbox``, else one in memory) relayed to
    ``bus``, plus ``GET /entries`` listing what ``stream`` holds once the relay has caught up
    (read in the server's own loop); closes ``bus`` and ``cache`` when it stops."""
    box = SqliteOutbox(":memory:") if outbox is None else outbox
    relay = OutboxRelay(box, bus, check_interval_seconds=0.05)

    async def entries(request: Request) -> Response:
        async def relayed() -> bool:
            return (await box.status()).unrelayed == 0

        await wait_until_async(relayed, what="the outbox relayed")
        group = f"reader-{uuid.uuid4().hex[:8]}"
        await bus.ensure_group(stream, group, start_id="0")
        read = await bus.read(stream, group, "reader", count=10_000)
        return JSONResponse([orjson.loads(d.data) | {"_event_id": d.event_id} for d in read])

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await box.open()
            relay.start()
            yield
        finally:
            await relay.aclose()
            await box.aclose()
            await bus.aclose()
            await cache.aclose()

    route = webhook_route(box, relay, secret=SECRET, stream=stream, account_of=account_of)
    app = Starlette(routes=[route, Route("/entries", entries)], lifespan=lifespan)
    return LoseAcks(app, remaining=lose_acks)


@contextmanager
def bus_and_cache(kind: str) -> Iterator[tuple[EventBus, Cache]]:
    """A fresh bus and cache of ``kind`` (Redis under a prefix deleted afterwards)."""
    if kind == "memory":
        yield InProcessBus(max_length=10_000), MemoryCache()
        return
    url = require_redis()
    with unique_prefix(url) as prefix:
        yield RedisStreamBus(url, prefix=prefix), RedisCache(url, prefix=prefix)


@contextmanager
def receiver(kind: str, *, lose_acks: int = 0) -> Iterator[tuple[str, LoseAcks]]:
    """The base URL of a served receiver over a bus of ``kind`` on a stream of its own."""
    stream = f"fulfillment-milestones-{uuid.uuid4().hex[:12]}"
    with bus_and_cache(kind) as (bus, cache):
        app = receiver_app(bus, cache, stream, lose_acks=lose_acks)
        with serve(app) as url:
            yield url, app


def entries(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/entries")
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.json()
    return found


def webhook(event_code: str = "WV_PKD", **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": f"wev_{uuid.uuid4().hex}",
        "event_code": event_code,
        "event_ts": "2025-03-01T10:00:00Z",
        "facility_id": "ATL1",
        "order_ref": "900001",
        "order_number": "SO-900001",
        "fulfillment_order_no": "FO-1000777",
        "shipment_no": None,
        "tracking_no": None,
        "carrier_scac": None,
        "service_level": None,
        "est_delivery_date": None,
        "lines": [{"item_number": "SKU-1", "qty": 3}],
        "exception_code": None,
        "exception_desc": None,
    }
    return body | fields


def shipped(**fields: Any) -> dict[str, Any]:
    parcel = {"shipment_no": "SH-2000001", "tracking_no": "1Z999AA10312345678",
              "carrier_scac": "UPSN", "service_level": "UPS Ground",
              "est_delivery_date": "2025-03-04"}  # fmt: skip
    return webhook(**({"event_code": "SH_SHP"} | parcel | fields))


def post(
    client: httpx.Client,
    body: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signed: bool = True,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    headers = {"Content-Type": "application/json"}
    if signed:
        headers[SIGNATURE_HEADER] = signature_header(secret, raw, timestamp=timestamp)
    return client.post(WEBHOOK_PATH, content=raw, headers=headers)


@pytest.fixture(params=["memory", "redis"])
def intake(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    with receiver(request.param) as (url, _), httpx.Client(base_url=url, timeout=10) as client:
        yield client


def test_a_signed_milestone_is_normalized_and_published(intake: httpx.Client) -> None:
    body = shipped()
    answer = post(intake, body)
    assert answer.status_code == 202
    assert answer.json()["event_id"] == body["event_id"]
    [entry] = entries(intake)
    assert entry.pop("_event_id") == body["event_id"]
    event = FulfillmentMilestone.model_validate(entry)
    assert event.type is MilestoneType.SHIPPED
    assert (event.order_id, event.order_number) == ("900001", "SO-900001")
    assert (event.fulfillment_order_id, event.shipment_id) == ("FO-1000777", "SH-2000001")
    assert (event.center_id, event.source, event.account_id) == ("ATL1", "wms", None)
    assert event.occurred_at.isoformat() == "2025-03-01T10:00:00+00:00"
    assert event.detail.carrier == "UPS"
    assert event.detail.tracking_number == "1Z999AA10312345678"
    assert event.detail.service == "UPS Ground"
    assert event.detail.estimated_delivery is not None
    assert event.detail.estimated_delivery.date().isoformat() == "2025-03-04"
    assert [(q.sku, q.quantity) for q in event.detail.quantities] == [("SKU-1", 3)]


def test_an_exception_carries_its_reason(intake: httpx.Client) -> None:
    body = shipped(event_code="SH_EXC", exception_code="DMG", exception_desc="Package damaged")
    assert post(intake, body).status_code == 202
    [entry] = entries(intake)
    assert entry["type"] == "EXCEPTION"
    assert entry["detail"]["exception_reason"] == "Package damaged"


def test_a_duplicate_is_acknowledged_and_not_published_again(intake: httpx.Client) -> None:
    body = webhook()
    assert post(intake, body).status_code == 202
    again = post(intake, body)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert [e["event_id"] for e in entries(intake)] == [body["event_id"]]


def test_replays_out_of_order_publish_each_milestone_once(intake: httpx.Client) -> None:
    bodies = [webhook("WV_PCK"), webhook("WV_PKD"), webhook("WV_PAK"), shipped()]
    for body in reversed(bodies):
        assert post(intake, body).status_code == 202
    for body in [bodies[2], bodies[0], bodies[3], bodies[1]]:
        assert post(intake, body).status_code == 200
    published = [e["event_id"] for e in entries(intake)]
    assert sorted(published) == sorted(b["event_id"] for b in bodies)
    assert len(published) == len(bodies)


@pytest.mark.parametrize(
    ("how", "problem"),
    [
        ("unsigned", "missing signature"),
        ("wrong secret", "does not match"),
        ("stale", "stale"),
        ("future", "stale"),
        ("garbled header", "malformed"),
        ("tampered body", "does not match"),
    ],
)
def test_unauthenticated_webhooks_are_refused(intake: httpx.Client, how: str, problem: str) -> None:
    body = orjson.dumps(webhook())
    if how == "unsigned":
        answer = post(intake, body, signed=False)
    elif how == "wrong secret":
        answer = post(intake, body, secret="not-the-secret")
    elif how in ("stale", "future"):
        skew = -3600 if how == "stale" else 3600
        answer = post(intake, body, timestamp=int(time.time()) + skew)
    elif how == "garbled header":
        answer = intake.post(WEBHOOK_PATH, content=body, headers={SIGNATURE_HEADER: "v1=abc"})
    else:
        header = signature_header(SECRET, body)
        tampered = body.replace(b"SO-900001", b"SO-900002")
        answer = intake.post(WEBHOOK_PATH, content=tampered, headers={SIGNATURE_HEADER: header})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert problem in answer.json()["error"]["message"]
    assert entries(intake) == []


def _bad_headers() -> list[tuple[str, bytes]]:
    now = int(time.time())
    digest = b"0" * 64
    return [
        ("non-ASCII digest", b"t=%d,v1=\xe9" % now),
        ("non-ASCII in a 64-char digest", b"t=%d,v1=%s\xe9" % (now, digest[:-1])),
        ("Unicode digit timestamp", b"t=\xb2,v1=" + digest),  # "²": isdigit() is true
        ("5000-digit timestamp", b"t=" + b"9" * 5000 + b",v1=" + digest),
        ("13-digit timestamp", b"t=" + b"1" * 13 + b",v1=" + digest),
        ("short digest", b"t=%d,v1=abc" % now),
        ("uppercase digest", b"t=%d,v1=%s" % (now, b"A" * 64)),
    ]


@pytest.mark.parametrize(("how", "header"), _bad_headers(), ids=[h for h, _ in _bad_headers()])
def test_malformed_signature_headers_are_401_not_500(
    intake: httpx.Client, how: str, header: bytes
) -> None:
    body = orjson.dumps(webhook())
    answer = intake.post(
        WEBHOOK_PATH,
        content=body,
        headers=[(b"content-type", b"application/json"), (SIGNATURE_HEADER.encode(), header)],
    )
    assert answer.status_code == 401, how
    assert answer.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "malformed signature header" in answer.json()["error"]["message"]
    assert entries(intake) == []


def _without(key: str) -> dict[str, Any]:
    body = webhook()
    del body[key]
    return body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"[]", "WmsWebhook"),
        (_without("event_id"), "event_id"),
        (_without("order_ref"), "order_ref"),
        (_without("event_ts"), "event_ts"),
        (webhook(event_ts="2025-03-01T10:00:00"), "event_ts"),
        (webhook(lines=[{"item_number": "SKU-1", "qty": -1}]), "qty"),
        (webhook("XX_NOPE"), "unknown event_code"),
        (shipped(carrier_scac="ZZZZ"), "unknown carrier_scac"),
        (shipped(tracking_no=None), "tracking_number"),
        (webhook("SH_IT"), "shipment_id"),
        (webhook("SH_EXC", shipment_no="SH-1"), "exception_reason"),
    ],
)
def test_malformed_webhooks_are_refused(
    intake: httpx.Client, body: dict[str, Any] | bytes, problem: str
) -> None:
    answer = post(intake, body)
    assert answer.status_code == 400
    assert problem in answer.json()["error"]["message"]
    assert entries(intake) == []


def test_a_refused_webhook_does_not_mark_its_id_seen(intake: httpx.Client) -> None:
    body = webhook()
    assert post(intake, body, secret="wrong").status_code == 401
    assert post(intake, {**body, "event_ts": "nope"}).status_code == 400
    assert post(intake, body).status_code == 202
    assert len(entries(intake)) == 1


def test_an_unreachable_bus_is_still_accepted_and_relayed_when_it_is_back() -> None:
    class Flaky(InProcessBus):
        failures = 3

        async def publish(
            self, stream: str, event_id: str, data: bytes, *, traceparent: str | None = None
        ) -> str:
            if self.failures:
                self.failures -= 1
                raise EventBusUnavailable("down")
            return await super().publish(stream, event_id, data)

    stream = f"fulfillment-milestones-{uuid.uuid4().hex[:12]}"
    bus = Flaky(max_length=100)
    app = receiver_app(bus, MemoryCache(), stream)
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        body = webhook()
        # Durable in the outbox: the bus being down is no reason to have the WMS retry.
        assert post(client, body).status_code == 202
        assert post(client, body).status_code == 200
        assert [e["event_id"] for e in entries(client)] == [body["event_id"]]
        assert bus.failures == 0


def test_an_outbox_that_cannot_be_written_is_503_and_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    stream = f"fulfillment-milestones-{uuid.uuid4().hex[:12]}"
    outbox = SqliteOutbox(path, timeout_seconds=0.2)
    app = receiver_app(InProcessBus(), MemoryCache(), stream, outbox=outbox)
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        # Another process holds the outbox's write lock beyond the timeout.
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            body = webhook()
            answer = post(client, body)
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "UNAVAILABLE"
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert entries(client) == []
        # Nothing was recorded: the retry is a new event, not a duplicate.
        assert post(client, body).status_code == 202
        assert [e["event_id"] for e in entries(client)] == [body["event_id"]]


def test_a_lost_acknowledgement_is_redelivered_and_dropped() -> None:
    with (
        receiver("memory", lose_acks=1) as (url, app),
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        body = webhook()
        assert post(client, body).status_code == 500
        assert post(client, body).status_code == 200
        assert [e["event_id"] for e in entries(client)] == [body["event_id"]]
        assert len(app.seen) == 2


def test_an_account_lookup_enriches_the_event() -> None:
    async def account_of(order_id: str) -> str | None:
        return {"900001": "001CD000000000042A"}.get(order_id)

    stream = f"fulfillment-milestones-{uuid.uuid4().hex[:12]}"
    app = receiver_app(InProcessBus(), MemoryCache(), stream, account_of=account_of)
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert post(client, webhook()).status_code == 202
        assert post(client, webhook(order_ref="900002")).status_code == 202
        accounts = [e.get("account_id") for e in entries(client)]
        assert accounts == ["001CD000000000042A", None]


def test_mounting_the_intake_takes_one_call(settings: Settings) -> None:
    async def home(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/health", home)])
    settings = settings.model_copy(
        update={"redis_url": None, "wms_lifecycle": WmsLifecycle(webhook_secret=SECRET)}
    )
    mount_webhook_intake(app, settings.subgraphs, MemoryCache())
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert post(client, webhook()).status_code == 202
        assert post(client, webhook(), secret="wrong").status_code == 401
        assert client.get("/health").json() == {"ok": True}


def test_the_mounted_intake_names_the_account_the_erp_records(
    settings: Settings, world: World
) -> None:
    order = world.orders[0]
    bus = InProcessBus()
    stream = "fulfillment-milestones"
    app = Starlette()
    settings = settings.model_copy(
        update={"redis_url": None, "wms_lifecycle": WmsLifecycle(webhook_secret=SECRET)}
    )
    mount_webhook_intake(app, settings.subgraphs, MemoryCache(), bus=bus)

    async def published() -> list[FulfillmentMilestone]:
        await bus.ensure_group(stream, "reader", start_id="0")
        read = await bus.read(stream, "reader", "r", count=100)
        return [FulfillmentMilestone.from_json(d.data) for d in read]

    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        assert post(client, webhook(order_ref=order.id)).status_code == 202
        assert post(client, webhook(order_ref="999999999")).status_code == 202
    events = asyncio.run(published())
    assert [e.account_id for e in events] == [order.account_id, None]


def test_an_intake_that_cannot_reach_the_erp_publishes_without_the_account(
    base_settings: Settings,
) -> None:
    # base_settings point at no running ERP: the account cannot be looked up. Refusing the
    # webhook would have the WMS retry until it gives up and the milestone is lost.
    bus = InProcessBus()
    app = Starlette()
    settings = base_settings.model_copy(
        update={"redis_url": None, "wms_lifecycle": WmsLifecycle(webhook_secret=SECRET)}
    )
    mount_webhook_intake(app, settings.subgraphs, MemoryCache(), bus=bus)
    body = webhook()
    with serve(app) as url, httpx.Client(base_url=url, timeout=20) as client:
        assert post(client, body).status_code == 202

    async def published() -> list[FulfillmentMilestone]:
        await bus.ensure_group("fulfillment-milestones", "reader", start_id="0")
        read = await bus.read("fulfillment-milestones", "reader", "r", count=100)
        return [FulfillmentMilestone.from_json(d.data) for d in read]

    [event] = asyncio.run(published())
    assert event.event_id == body["event_id"]
    assert event.account_id is None


def test_an_oversized_body_is_refused_before_it_is_read_whole() -> None:
    stream = f"fulfillment-milestones-{uuid.uuid4().hex[:12]}"
    app = receiver_app(InProcessBus(), MemoryCache(), stream)
    huge = webhook() | {"padding": "x" * (MAX_BODY_BYTES + 1)}
    with serve(app) as url, httpx.Client(base_url=url, timeout=20) as client:
        answer = post(client, huge)
        assert answer.status_code == 413
        assert answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
        unsigned = client.post(WEBHOOK_PATH, content=b"{}")
        assert unsigned.status_code == 401
        assert entries(client) == []


def test_an_id_reused_for_another_event_is_refused_and_logged(
    intake: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    body = webhook()
    assert post(intake, body).status_code == 202
    other = webhook(**{"event_id": body["event_id"], "lines": [{"item_number": "SKU-2", "qty": 9}]})
    answer = post(intake, other)
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "EVENT_ID_REUSED"
    assert any("already received with another body" in r.getMessage() for r in caplog.records)
    # Still only the first event, and the first body is still a plain duplicate.
    assert [e["detail"]["quantities"] for e in entries(intake)] == [
        [{"sku": "SKU-1", "quantity": 3}]
    ]
    assert post(intake, body).json()["status"] == "duplicate"


def test_a_sender_that_hangs_up_mid_body_leaves_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = orjson.dumps(webhook())
    head = (
        f"POST {WEBHOOK_PATH} HTTP/1.1\r\nhost: wms\r\ncontent-type: application/json\r\n"
        f"{SIGNATURE_HEADER}: {signature_header(SECRET, raw)}\r\n"
        f"content-length: {len(raw)}\r\n\r\n"
    ).encode()
    with receiver("memory") as (url, _):
        host, port = url.removeprefix("http://").split(":")
        with caplog.at_level(logging.INFO):
            with socket.create_connection((host, int(port))) as sock:
                sock.sendall(head + raw[: len(raw) // 2])
            wait_until(
                lambda: any(
                    "disconnected before the whole body" in r.getMessage() for r in caplog.records
                ),
                what="the hang-up logged",
            )
        with httpx.Client(base_url=url, timeout=10) as client:
            assert entries(client) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
