"""The WMS's milestone webhooks delivered to the real intake on loopback: signed, retried with
backoff until acknowledged, logged, and published on the bus exactly once per milestone even
when an acknowledgement is lost or deliveries are replayed out of order."""

from __future__ import annotations

import random
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from connectors.wms.signature import verify
from crossdock.settings import Settings
from systems.wms.webhooks import backoff_seconds
from systems.world_records import World
from tests.subgraphs.wms.test_intake import SECRET, entries, post, receiver
from tests.support.rest import ok
from tests.support.waiting import wait_until
from tests.systems.harness import private_system
from tests.systems.test_wms_lifecycle import CODES, advance, lifecycle_settings, log, release

MILESTONES = ["RELEASED", "PICKING", "PICKED", "PACKED", "SHIPPED", "IN_TRANSIT",
              "OUT_FOR_DELIVERY", "DELIVERED"]  # fmt: skip
FAST = {"retry_base_seconds": 0.02, "retry_max_seconds": 0.1, "webhook_secret": SECRET}


@contextmanager
def wms_sending_to(
    base: Settings, directory: Path, url: str, **fields: Any
) -> Iterator[httpx.Client]:
    settings = lifecycle_settings(base, webhook_url=url, **(FAST | fields))
    with private_system("wms", settings, directory) as wms:
        yield wms


def all_delivered(wms: httpx.Client, number: str, count: int) -> None:
    def done() -> bool:
        found = log(wms, number)
        return len(found) == count and all(e["status"] == "DELIVERED" for e in found)

    wait_until(done, timeout=20, what=f"{count} webhooks of {number} delivered")


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_every_milestone_is_signed_delivered_and_published_once(
    base_settings: Settings, tmp_path: Path, world: World, kind: str
) -> None:
    with (
        receiver(kind) as (url, app),
        httpx.Client(base_url=url, timeout=10) as intake,
        wms_sending_to(base_settings, tmp_path, url + "/webhooks/wms") as wms,
    ):
        number = release(wms, world, "hook-1")
        advance(wms, number, to="DELIVERED")
        all_delivered(wms, number, len(CODES))
        logged = log(wms, number)
        assert [e["attempts"] for e in logged] == [1] * len(CODES)
        assert all(e["last_status_code"] == 202 and e["delivered_ts"] for e in logged)
        published = entries(intake)
        assert [e["type"] for e in published] == MILESTONES
        assert [e["event_id"] for e in published] == [e["event_id"] for e in logged]
        assert {e["fulfillment_order_id"] for e in published} == {number}
        shipment_ids = {e.get("shipment_id") for e in published[4:]}
        assert len(shipment_ids) == 1 and None not in shipment_ids
        assert len(app.seen) == len(CODES)
        for header, body in app.seen:
            verify(SECRET, header, body)


def test_a_lost_acknowledgement_is_retried_and_published_once(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    with (
        receiver("redis", lose_acks=1) as (url, app),
        httpx.Client(base_url=url, timeout=10) as intake,
        wms_sending_to(base_settings, tmp_path, url + "/webhooks/wms") as wms,
    ):
        number = release(wms, world, "hook-2")
        all_delivered(wms, number, 1)
        [first] = log(wms, number)
        assert first["attempts"] == 2
        assert first["last_status_code"] == 200  # the retry was a duplicate, acknowledged
        assert "HTTP 500" in first["last_error"]
        advance(wms, number, to="DELIVERED")
        all_delivered(wms, number, len(CODES))
        assert [e["type"] for e in entries(intake)] == MILESTONES
        assert len(app.seen) == len(CODES) + 1


def test_replayed_out_of_order_deliveries_publish_nothing_again(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    with (
        receiver("redis") as (url, _),
        httpx.Client(base_url=url, timeout=10) as intake,
        wms_sending_to(base_settings, tmp_path, url + "/webhooks/wms") as wms,
    ):
        number = release(wms, world, "hook-3")
        advance(wms, number, to="DELIVERED")
        all_delivered(wms, number, len(CODES))
        payloads = [e["payload"] for e in log(wms, number)]
        random.Random(5).shuffle(payloads)
        for payload in payloads:
            answer = post(intake, orjson.dumps(payload))
            assert answer.status_code == 200 and answer.json()["status"] == "duplicate"
        assert [e["type"] for e in entries(intake)] == MILESTONES


def test_out_of_order_first_deliveries_are_each_published_once(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    """Milestones reaching the intake in another order than they happened are each kept."""
    with (
        receiver("memory") as (url, _),
        httpx.Client(base_url=url, timeout=10) as intake,
        private_system("wms", base_settings, tmp_path) as wms,  # sends nothing itself
    ):
        number = release(wms, world, "hook-4")
        advance(wms, number, to="DELIVERED")
        payloads = [e["payload"] for e in log(wms, number)]
        for payload in reversed(payloads):
            assert post(intake, orjson.dumps(payload)).status_code == 202
        for payload in payloads:
            assert post(intake, orjson.dumps(payload)).status_code == 200
        published = entries(intake)
        assert [e["type"] for e in published] == list(reversed(MILESTONES))


def test_an_unreachable_receiver_is_retried_then_given_up(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    try:
        url = f"http://127.0.0.1:{port}/webhooks/wms"
        with wms_sending_to(base_settings, tmp_path, url, max_attempts=3) as wms:
            number = release(wms, world, "hook-5")

            def failed() -> bool:
                return bool(log(wms, number)[0]["status"] == "FAILED")

            wait_until(failed, timeout=20, what="the webhook to be given up")
            [entry] = log(wms, number)
            assert entry["attempts"] == 3
            assert entry["last_status_code"] is None
            assert "Connect" in entry["last_error"]
            assert entry["delivered_ts"] is None
    finally:
        closed.close()


def test_a_receiver_refusing_the_signature_is_retried(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    with (
        receiver("memory") as (url, _),
        httpx.Client(base_url=url, timeout=10) as intake,
        wms_sending_to(
            base_settings, tmp_path, url + "/webhooks/wms",
            webhook_secret="not-the-shared-secret", max_attempts=2,
        ) as wms,
    ):  # fmt: skip
        number = release(wms, world, "hook-6")
        wait_until(lambda: log(wms, number)[0]["status"] == "FAILED", timeout=20)
        [entry] = log(wms, number)
        assert entry["last_status_code"] == 401 and entry["attempts"] == 2
        assert entries(intake) == []


def test_the_delivery_log_lists_every_webhook(
    base_settings: Settings, tmp_path: Path, world: World
) -> None:
    with private_system("wms", base_settings, tmp_path) as wms:
        first = release(wms, world, "hook-7")
        second = release(wms, world, "hook-8")
        listed = ok(wms.get("/_admin/webhook-deliveries"))
        assert listed["meta"]["total"] == 2
        assert [e["fulfillment_order_no"] for e in listed["data"]] == [first, second]
        assert set(listed["data"][0]) >= {"event_id", "status", "attempts", "last_error"}


def test_backoff_grows_exponentially_with_jitter_up_to_a_cap() -> None:
    rng = random.Random(1)
    for attempts, full in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (30, 60.0)]:
        waits = [backoff_seconds(attempts, 1.0, 60.0, rng) for _ in range(50)]
        assert all(full / 2 <= wait <= full for wait in waits)
        assert len(set(waits)) > 1
