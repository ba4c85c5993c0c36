"""The intake over a Redis of the test's own, killed (-9) and started again empty: no webhook
answered 2xx is lost, a consumer handles each once, and duplicates and reused ids are still
told apart, since the record of them is the outbox and not Redis."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql
from starlette.applications import Starlette

from cache import MemoryCache, RedisCache
from connectors.settings import system_client
from consumers import MilestoneConsumers
from consumers.erp import ERP_GROUP
from crossdock.settings import Settings, WmsIntake, WmsLifecycle
from events import Consumer, RedisStreamBus, SeenEvents, idempotent
from events.postgres_outbox import table_name
from events.relay import OutboxRelay
from schema.events import MILESTONE_STREAM
from subgraphs.wms.intake import mount_webhook_intake
from tests.consumers.conftest import Released, Systems, systems
from tests.events.harness import FAST, Recorder
from tests.subgraphs.wms.test_intake import SECRET, post, webhook
from tests.support.ports import reserve_port
from tests.support.postgres import POSTGRES_URL, require_postgres
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

__all__ = ["systems"]


@dataclass
class Served:
    url: str
    app: Starlette
    settings: Settings

    @property
    def relay(self) -> OutboxRelay:
        relay: OutboxRelay = self.app.state.wms_intake_relay
        return relay

    def bus(self) -> RedisStreamBus:
        """A bus of the test's own onto the intake's streams."""
        assert self.settings.redis_url is not None
        return RedisStreamBus(
            self.settings.redis_url, prefix=self.settings.event_streams_prefix, timeout_seconds=0.5
        )


@pytest.fixture
def redis_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis without persistence (killed, it comes back empty), or with ``"aof"`` as the
    test's parameter one with an append-only file fsynced every second (killed, it comes back
    with what the file kept)."""
    aof = getattr(request, "param", "none") == "aof"
    with private_redis(tmp_path / "redis", aof=aof) as server:
        yield server


@pytest.fixture
def outbox_backend(request: pytest.FixtureRequest) -> str:
    """Where the intake's outbox is: ``"sqlite"`` (its file in the data dir, the default) or,
    as the test's parameter, ``"postgres"`` (a table in the test PostgreSQL)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def intake(
    settings: Settings, redis_server: PrivateRedis, tmp_path: Path, outbox_backend: str
) -> Iterator[Served]:
    """The intake as the wms subgraph mounts it, on the private Redis, its outbox in tmp_path
    (or in PostgreSQL) and its account lookups against the running ERP."""
    on_postgres = outbox_backend == "postgres"
    settings = settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "events_prefix": f"durability-{uuid.uuid4().hex[:8]}:",
            "data_dir": tmp_path,
            "wms_lifecycle": WmsLifecycle(webhook_secret=SECRET),
            "wms_intake": WmsIntake(outbox=require_postgres() if on_postgres else None),
        }
    )
    app = Starlette()
    mount_webhook_intake(app, settings.subgraphs, MemoryCache())
    try:
        with serve(app) as url:
            yield Served(url, app, settings)
    finally:
        if on_postgres:
            table = table_name(settings.event_streams_prefix)
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                found = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))
            assert found is not None and found[0] == table
            assert settings.wms_intake_outbox_path is None
    if not on_postgres:
        outbox = settings.wms_intake_outbox_path
        assert outbox is not None and outbox.exists()


@dataclass
class Load:
    """Sends ``count`` webhooks, one every ``interval`` seconds, from a thread; records each
    event id with the status it was answered (``None``: no answer)."""

    url: str
    count: int = 200
    interval: float = 0.02
    answered: list[tuple[str, int | None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            start = time.monotonic()
            for n in range(self.count):
                body = webhook(order_ref=str(900_000 + n % 7))
                try:
                    status: int | None = post(client, body).status_code
                except httpx.HTTPError:
                    status = None
                with self._lock:
                    self.answered.append((body["event_id"], status))
                # A steady rate, whatever each answer took.
                time.sleep(max(0.0, start + (n + 1) * self.interval - time.monotonic()))

    def sent(self) -> int:
        with self._lock:
            return len(self.answered)


@pytest.fixture
def aof_redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A Redis with an append-only file fsynced every second: killed, it comes back with what
    the file kept."""
    with private_redis(tmp_path / "redis", aof=True) as server:
        yield server


@pytest.mark.parametrize(
    ("redis_server", "outbox_backend"),
    [("none", "sqlite"), ("aof", "sqlite"), ("none", "postgres")],
    indirect=True,
)
async def test_redis_killed_under_load_and_restarted_loses_no_acknowledged_event(
    intake: Served, redis_server: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    bus = intake.bus()
    recorder = Recorder()
    handler = idempotent(recorder, SeenEvents(MemoryCache(), "durability"))
    load = Load(intake.url)
    with caplog.at_level(logging.INFO, logger="crossdock.events"):
        async with Consumer(bus, MILESTONE_STREAM, "recorder", handler, **FAST):
            sending = asyncio.create_task(asyncio.to_thread(load.run))

            async def sent(n: int) -> bool:
                return load.sent() >= n

            await wait_until_async(lambda: sent(60), timeout=30, what="60 webhooks sent")
            redis_server.kill()
            await wait_until_async(lambda: sent(120), timeout=30, what="120 webhooks sent")
            await asyncio.to_thread(redis_server.start)
            await sending

            acknowledged = {event_id for event_id, status in load.answered if status == 202}

            async def all_handled() -> bool:
                return acknowledged <= set(recorder.processed)

            await wait_until_async(all_handled, timeout=60, what="every acknowledged event")
    try:
        # Redis being down was no reason to refuse a webhook: every one was accepted.
        assert [s for _, s in load.answered] == [202] * load.count
        assert len(acknowledged) == load.count
        assert recorder.duplicates() == []
        assert set(recorder.processed) == acknowledged
        in_stream = {e.event_id for e in await bus.entries(MILESTONE_STREAM, after_id="0-0",
                                                            count=10_000)}  # fmt: skip
        assert acknowledged <= in_stream
        messages = [r.getMessage() for r in caplog.records]
        assert len([m for m in messages if "cannot relay now" in m]) == 1
        lost = [m for m in messages if "lost events relayed" in m]
        if not redis_server.aof:
            # Restarted empty: everything relayed before was lost, and relayed again.
            assert len(lost) == 1 and intake.relay.losses == 1
        else:
            # The file kept all but perhaps its last second: relayed again if so.
            assert len(lost) == intake.relay.losses <= 1
        assert (intake.relay.unrelayed, intake.relay.last_error) == (0, None)
    finally:
        await bus.aclose()


@pytest.mark.parametrize("outbox_backend", ["sqlite", "postgres"], indirect=True)
async def test_duplicates_and_reused_ids_are_told_apart_after_redis_lost_everything(
    intake: Served, redis_server: PrivateRedis
) -> None:
    bus = intake.bus()
    body = webhook()
    other = webhook(event_id=body["event_id"], lines=[{"item_number": "SKU-2", "qty": 9}])
    try:
        with httpx.Client(base_url=intake.url, timeout=10) as client:
            first = post(client, body)
            assert first.status_code == 202
            assert first.json()["message"] == "published"
            assert await bus.find(MILESTONE_STREAM, body["event_id"]) == first.json()["entry_id"]
            redis_server.kill()
            redis_server.start()
            assert await bus.find(MILESTONE_STREAM, body["event_id"]) is None

            # Nobody sends anything: the relay sees the loss on its own and relays again.
            async def republished() -> bool:
                return await bus.find(MILESTONE_STREAM, body["event_id"]) is not None

            await wait_until_async(republished, timeout=20, what="the lost event relayed again")
            again = post(client, body)
            assert again.status_code == 200
            assert again.json()["status"] == "duplicate"
            reused = post(client, other)
            assert reused.status_code == 409
            assert reused.json()["error"]["code"] == "EVENT_ID_REUSED"
        entries = await bus.entries(MILESTONE_STREAM, after_id="0-0", count=100)
        assert [e.event_id for e in entries] == [body["event_id"]]
    finally:
        await bus.aclose()


@contextmanager
def wms_subgraph_process(settings: Settings, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``crossdock subgraph wms`` as an operator runs it, on ``settings``' Redis, data dir and
    ERP; yields once it answers ``/health``; killed -9 on leaving if still running."""
    assert settings.redis_url is not None and settings.events_prefix is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env.pop("REDIS_URL", None)
    env |= {
        "REDIS_URL": settings.redis_url,
        "CROSSDOCK_EVENTS_PREFIX": settings.events_prefix,
        "CROSSDOCK_DATA_DIR": str(settings.data_dir),
        "CROSSDOCK_ERP_URL": settings.system_url("erp"),
        "CROSSDOCK_WMS_URL": settings.system_url("wms"),
        "CROSSDOCK_CRM_URL": settings.system_url("crm"),
        "CROSSDOCK_WMS_LIFECYCLE__WEBHOOK_SECRET": SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "subgraph", "wms", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def healthy() -> bool:
        assert process.poll() is None, "the wms subgraph exited"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=60, what="the wms subgraph process")
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


async def test_events_acknowledged_while_redis_was_down_survive_a_kill_of_the_intake(
    settings: Settings, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    settings = settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "events_prefix": f"durability-{uuid.uuid4().hex[:8]}:",
            "data_dir": tmp_path / "data",
        }
    )
    port = reserve_port()
    url = f"http://127.0.0.1:{port}"
    bodies = [webhook() for _ in range(10)]
    with wms_subgraph_process(settings, port) as process:
        redis_server.kill()
        with httpx.Client(base_url=url, timeout=10) as client:
            assert [post(client, body).status_code for body in bodies] == [202] * len(bodies)
        # kill -9: whatever the process held in memory is gone; the outbox is on disk.
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    redis_server.start()  # empty
    bus = RedisStreamBus(redis_server.url, prefix=settings.event_streams_prefix)
    try:
        with wms_subgraph_process(settings, port):

            async def relayed() -> bool:
                found = await bus.entries(MILESTONE_STREAM, after_id="0-0", count=100)
                return len(found) >= len(bodies)

            await wait_until_async(relayed, timeout=30, what="the outbox relayed by the restart")
            with httpx.Client(base_url=url, timeout=10) as client:
                assert post(client, bodies[0]).status_code == 200
        entries = await bus.entries(MILESTONE_STREAM, after_id="0-0", count=100)
        assert [e.event_id for e in entries] == [body["event_id"] for body in bodies]
    finally:
        await bus.aclose()


async def test_the_real_consumers_invoice_each_shipment_once_across_a_redis_loss(
    systems: Systems, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    # Everything on the private Redis, the consumers' records of events seen included: they
    # go with it, and only the ERP's one invoice per shipment keeps the replay harmless.
    settings = systems.settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "cache_prefix": f"durability-{uuid.uuid4().hex[:8]}:",
            "data_dir": tmp_path,
        }
    )
    app = Starlette()
    mount_webhook_intake(app, settings.subgraphs, MemoryCache())
    prefix = settings.event_streams_prefix
    bus = RedisStreamBus(redis_server.url, prefix=prefix, timeout_seconds=0.5)
    consumers = MilestoneConsumers(
        bus,
        erp=system_client("erp", settings.connectors),
        wms=system_client("wms", settings.connectors),
        cache=RedisCache(redis_server.url, prefix=settings.reference_cache_prefix),
        **FAST,
    )
    orders = [systems.release(f"durability-{uuid.uuid4().hex[:8]}") for _ in range(3)]
    shipped = [systems.advance(order, "SHIPPED") for order in orders]
    secret = settings.wms_lifecycle.webhook_secret

    def send(client: httpx.Client, bodies: list[dict[str, Any]]) -> None:
        for body in bodies:
            assert post(client, body, secret=secret).status_code == 202

    def invoiced(order: Released) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return len(await asyncio.to_thread(systems.invoices, order.order_id)) >= 1

        return check

    try:
        with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
            async with consumers:
                send(client, shipped[0])
                await wait_until_async(invoiced(orders[0]), timeout=30, what="the 1st invoice")
                redis_server.kill()
                send(client, shipped[1])  # accepted while Redis is down
                await asyncio.to_thread(redis_server.start)  # empty
                send(client, shipped[2])
                for order in orders[1:]:
                    await wait_until_async(invoiced(order), timeout=60, what="the invoices")
                relay: OutboxRelay = app.state.wms_intake_relay
                assert relay.losses == 1

                # The first order's milestones were relayed again and handled again, with
                # nothing of the consumers' records left: the ERP answered the one invoice.
                [erp] = [c for c in consumers.consumers if c.group == ERP_GROUP]

                async def replayed() -> bool:
                    return erp.stats.handled >= sum(len(bodies) for bodies in shipped) + len(
                        shipped[0]
                    )

                await wait_until_async(replayed, timeout=30, what="the replay handled")
        for order in orders:
            [invoice] = systems.invoices(order.order_id)
            assert invoice["item"]["items"][0]["quantity"] == order.units
    finally:
        await bus.aclose()


def test_a_postgres_outbox_down_at_start_is_one_line_and_503s_until_it_answers(
    settings: Settings, redis_server: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """The graph starts all the same; a webhook is answered 503 (nothing recorded, the WMS
    retries), the relay shows failing for /ready, and no log line holds the password."""
    down = "postgresql://crossdock:s3cret@127.0.0.1:1/crossdock"
    settings = settings.model_copy(
        update={
            "redis_url": redis_server.url,
            "events_prefix": f"pg-down-{uuid.uuid4().hex[:8]}:",
            "wms_lifecycle": WmsLifecycle(webhook_secret=SECRET),
            "wms_intake": WmsIntake(outbox=down, outbox_timeout_seconds=0.5),
        }
    )
    app = Starlette()
    mount_webhook_intake(app, settings.subgraphs, MemoryCache())
    with caplog.at_level(logging.WARNING), serve(app) as url:
        with httpx.Client(base_url=url, timeout=10) as client:
            answer = post(client, webhook())
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "UNAVAILABLE"
        relay: OutboxRelay = app.state.wms_intake_relay
        wait_until(lambda: relay.state == "failing", what="the relay failing")
        assert relay.last_error is not None and "cannot be reached" in relay.last_error
    opened = [r for r in caplog.records if "the outbox cannot be opened" in r.getMessage()]
    assert len(opened) == 1 and opened[0].exc_info is None
    assert all("s3cret" not in r.getMessage() for r in caplog.records)
    assert "s3cret" not in (relay.last_error or "")
