"""``/ready`` tells the truth under ``crossdock up``: it fails while a system fails every real
request or Redis is gone, and comes back by itself when they do, the consumers with it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from consumers import CRM_GROUP, ERP_GROUP, RETURNS_GROUP
from monitoring import MONITORING_GROUP
from tests.support.ports import reserve_port
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.servers import wait_until

COMMAND = [sys.executable, "-m", "crossdock.cli", "up"]
PORTS = ("CRM_SYSTEM", "ERP_SYSTEM", "WMS_SYSTEM", "CRM_SUBGRAPH", "ERP_SUBGRAPH",
         "WMS_SUBGRAPH", "ORDERS_SUBGRAPH", "GATEWAY")  # fmt: skip


@dataclass
class Up:
    ports: dict[str, int]
    redis: PrivateRedis

    def url(self, name: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}{path}"

    def ready(self, name: str = "GATEWAY") -> httpx.Response:
        return httpx.get(self.url(name, "/ready"), timeout=10)

    def checks(self, name: str) -> dict[str, Any]:
        checks: dict[str, Any] = self.ready(name).json()["checks"]
        return checks


@pytest.fixture(scope="module")
def up(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    folder = tmp_path_factory.mktemp("redis")
    with private_redis(folder) as redis:
        ports = {name: reserve_port() for name in PORTS}
        env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir), "REDIS_URL": redis.url}
        env["CROSSDOCK_CACHE_PREFIX"] = f"ready-{uuid.uuid4().hex[:8]}:"
        env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
        proc = subprocess.Popen(
            COMMAND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        running = Up(ports, redis)
        try:

            def ready() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"crossdock up exited: {proc.communicate()[1][-2000:]}")
                try:
                    return running.ready().status_code == 200
                except httpx.TransportError:
                    return False

            wait_until(ready, timeout=120, what="crossdock up ready")
            yield running
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err[-2000:]
        assert f"state: Redis at {redis.url}" in out
        assert "Traceback" not in err


def test_ready_says_what_each_subgraph_depends_on(up: Up) -> None:
    assert up.ready().json()["subgraphs"] == {
        "crm": True, "erp": True, "orders": True, "wms": True}  # fmt: skip
    assert up.checks("ERP_SUBGRAPH") == {"erp": "ok", "redis": "ok"}
    assert up.checks("ORDERS_SUBGRAPH") == {
        "journal": "ok", "crm": "ok", "erp": "ok", "wms": "ok", "redis": "ok"}  # fmt: skip
    wms = ("wms", "redis", "events", "intake relay", "consumers")
    assert up.checks("WMS_SUBGRAPH") == dict.fromkeys(wms, "ok")
    assert httpx.get(up.url("GATEWAY", "/health"), timeout=10).status_code == 200


def test_an_erp_that_fails_every_request_is_not_ready_until_it_recovers(up: Up) -> None:
    faults = up.url("ERP_SYSTEM", "/_admin/faults")
    assert httpx.put(faults, json={"error_rate": 1.0}, timeout=10).status_code == 200
    try:
        wait_until(lambda: up.ready().status_code == 503, timeout=30, what="not ready")
        body = up.ready().json()
        assert body["status"] == "unavailable"
        assert body["subgraphs"]["erp"] is False and body["subgraphs"]["orders"] is False
        assert body["subgraphs"]["crm"] is True
        assert up.checks("ERP_SUBGRAPH")["erp"] == "failing"
        assert httpx.get(up.url("ERP_SUBGRAPH", "/health"), timeout=10).status_code == 200
    finally:
        httpx.put(faults, json={"error_rate": 0.0}, timeout=10)
    wait_until(lambda: up.ready().status_code == 200, timeout=30, what="ready again")


def test_redis_lost_is_not_ready_and_everything_comes_back_when_it_does(up: Up) -> None:
    up.redis.kill()
    try:
        wait_until(lambda: up.ready().status_code == 503, timeout=30, what="not ready")
        wms = up.checks("WMS_SUBGRAPH")
        assert wms["redis"] == wms["events"] == "failing"
        assert up.checks("ERP_SUBGRAPH")["redis"] == "failing"
    finally:
        up.redis.start()  # empty: no streams, no consumer groups
    # The consumers find their groups gone and make them again; nothing needs a restart.
    wait_until(lambda: up.ready().status_code == 200, timeout=60, what="ready again")
    metrics = httpx.get(up.url("WMS_SUBGRAPH", "/metrics"), timeout=10).text.splitlines()
    # Every consumer runs again, its group back in the new Redis (its lag is readable).
    running = [line for line in metrics if line.startswith("crossdock_consumer_running{")]
    lags = [line for line in metrics if line.startswith("crossdock_consumer_lag{")]
    groups = {match[1] for line in running if (match := re.search(r'group="([^"]+)"', line))}
    assert groups == {ERP_GROUP, CRM_GROUP, RETURNS_GROUP, MONITORING_GROUP}, metrics
    assert len(running) == len(lags) == len(groups), metrics
    assert all(line.endswith(" 1.0") for line in running), metrics
    assert "crossdock_wms_intake_unrelayed 0.0" in metrics
