"""The ``crossdock`` command as a user runs it: help, seeding, and ``up`` until Ctrl-C."""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from crossdock.graph import EXAMPLE_QUERY
from crossdock.runner import GRACEFUL_SHUTDOWN_SECONDS
from crossdock.settings import WmsLifecycle
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from systems.world_records import World
from tests.support.e2e import E2E_QUERY, assert_order_matches_world, shipped_order_with_open_case
from tests.support.ports import reserve_port
from tests.support.servers import wait_until

COMMAND = [sys.executable, "-m", "crossdock.cli"]
# Every port crossdock up opens, as CROSSDOCK_PORTS__<NAME> sets it.
SERVICE_PORTS = (
    "CRM_SYSTEM",
    "ERP_SYSTEM",
    "WMS_SYSTEM",
    "CRM_SUBGRAPH",
    "ERP_SUBGRAPH",
    "WMS_SUBGRAPH",
    "ORDERS_SUBGRAPH",
    "GATEWAY",
)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


@pytest.mark.parametrize(
    "subcommand", ["up", "seed", "system", "subgraph", "gateway", "compose", "config"]
)
def test_every_subcommand_has_help(subcommand: str) -> None:
    result = run(subcommand, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: crossdock {subcommand}" in result.stdout


def test_unknown_subcommand_is_refused_with_usage() -> None:
    result = run("launch")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_seed_creates_databases_once_and_reset_reseeds(tmp_path: Path) -> None:
    first = run("seed", "--data-dir", str(tmp_path), "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert "seeded crm, erp, wms" in first.stdout
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == [
        "crm.sqlite3",
        "erp.sqlite3",
        "wms.sqlite3",
    ]
    again = run("seed", "--data-dir", str(tmp_path), "--seed", "3")
    assert "using the data" in again.stdout
    other = run("seed", "--data-dir", str(tmp_path), "--seed", "4")
    assert other.returncode == 1
    assert "seeded with seed 3, not 4" in other.stderr and "Traceback" not in other.stderr
    reset = run("seed", "--data-dir", str(tmp_path), "--seed", "3", "--reset")
    assert "seeded crm, erp, wms" in reset.stdout


@pytest.mark.parametrize("mode", [[], ["--one-process"]], ids=["a process each", "one process"])
def test_up_serves_every_system_and_subgraph_and_stops_on_ctrl_c(
    data_dir: Path, world: World, mode: list[str]
) -> None:
    order = shipped_order_with_open_case(world)
    ports = {name: reserve_port() for name in SERVICE_PORTS}
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
    env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [*COMMAND, "up", *mode], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:

        def answers(port: int) -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        def up(port: int) -> bool:
            if proc.poll() is not None:
                raise AssertionError("crossdock up exited before it was up")
            return answers(port)

        for name in ("CRM_SYSTEM", "ERP_SYSTEM", "WMS_SYSTEM", "CRM_SUBGRAPH", "ERP_SUBGRAPH",
                     "WMS_SUBGRAPH", "GATEWAY"):  # fmt: skip
            wait_until(functools.partial(up, ports[name]), timeout=60, what=name)

        erp = httpx.post(
            f"http://127.0.0.1:{ports['ERP_SUBGRAPH']}/graphql",
            json={"query": '{ product(sku: "SKU-10001") { sku name } }'},
            timeout=10,
        ).json()
        assert erp["data"]["product"]["sku"] == "SKU-10001"
        crm = httpx.post(
            f"http://127.0.0.1:{ports['CRM_SUBGRAPH']}/graphql",
            json={"query": "{ accounts(first: 2) { totalCount edges { node { id name } } } }"},
            timeout=10,
        ).json()
        assert crm["data"]["accounts"]["totalCount"] >= 500
        wms = httpx.post(
            f"http://127.0.0.1:{ports['WMS_SUBGRAPH']}/graphql",
            json={"query": "{ distributionCenters { id } }"},
            timeout=10,
        ).json()
        assert {c["id"] for c in wms["data"]["distributionCenters"]} == {
            "ATL1",
            "EWR1",
            "ORD1",
            "RNO1",
        }
        through_gateway = httpx.post(
            f"http://127.0.0.1:{ports['GATEWAY']}/graphql",
            json={"query": E2E_QUERY, "variables": {"id": order.id}},
            timeout=30,
        ).json()
        assert "errors" not in through_gateway, through_gateway
        assert_order_matches_world(through_gateway["data"]["order"], order, world)
        # A developer's browser: GraphiQL everywhere, needing nothing but the service itself,
        # the gateway's opening on the README's query of the whole graph.
        gateway_page = graphiql_page(f"http://127.0.0.1:{ports['GATEWAY']}")
        assert orjson.dumps(EXAMPLE_QUERY).decode() in gateway_page
        for name in ("CRM_SUBGRAPH", "ERP_SUBGRAPH", "WMS_SUBGRAPH", "ORDERS_SUBGRAPH"):
            graphiql_page(f"http://127.0.0.1:{ports[name]}")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "crossdock is up" in out
    assert "state: in memory (REDIS_URL unset)" in out
    assert f"http://127.0.0.1:{ports['ERP_SUBGRAPH']}/graphql" in out
    assert "Traceback" not in err


def test_up_with_a_redis_that_does_not_answer_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, so no one else's, and not listening
        port = sock.getsockname()[1]
        env = {**os.environ, "CROSSDOCK_DATA_DIR": str(tmp_path)}
        env["REDIS_URL"] = f"redis://app:hunter2@127.0.0.1:{port}/0"
        for command in (["up"], ["subgraph", "wms"]):
            result = run(*command, env=env)
            assert result.returncode == 1, result.stderr
            [line] = result.stderr.strip().splitlines()
            assert line.startswith(f"crossdock: Redis at redis://app:***@127.0.0.1:{port}/0: ")
            assert "does not answer" in line and "hunter2" not in line
            assert not list(tmp_path.glob("*.sqlite3")), "nothing is seeded or started"


def graphiql_page(base: str) -> str:
    """The GraphiQL page of the service at ``base``, after checking that every script and
    stylesheet it loads comes from that service (a machine without internet shows it)."""
    page = httpx.get(f"{base}/graphql", headers={"accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "GraphiQL" in page.text
    urls = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert len(urls) == 4, urls
    for url in urls:
        assert url.startswith("/"), f"{base}: {url} is not served by the service"
        asset = httpx.get(f"{base}{url}", timeout=10)
        assert asset.status_code == 200, (base, url)
        assert len(asset.content) > 1000
    return page.text


def test_a_taken_port_is_a_clear_message_not_a_traceback(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
        result = run("system", "crm", "--port", str(port), env=env)
    assert result.returncode == 1
    assert f"crm system cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_configuration_is_reported_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "CROSSDOCK_SEED": "abc"}
    result = run("seed", "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "crossdock: invalid configuration: seed (CROSSDOCK_SEED): Input should be a valid "
        "integer, unable to parse string as an integer\n"
    )


def test_ctrl_c_stops_even_with_a_client_stuck_mid_request(data_dir: Path) -> None:
    port = reserve_port()
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [*COMMAND, "system", "crm", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with socket.socket() as stuck:
        try:
            wait_until(lambda: proc.poll() is not None or _accepts(port), timeout=30)
            stuck.connect(("127.0.0.1", port))
            # Announce a body and never send it: the request stays open.
            stuck.sendall(b"POST /_admin/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=GRACEFUL_SHUTDOWN_SECONDS + 10)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_the_orders_subgraph_runs_alone(data_dir: Path) -> None:
    """``crossdock subgraph orders``, as the README lists it, serves the mutations."""
    port = reserve_port()
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [*COMMAND, "subgraph", "orders", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: proc.poll() is not None or _accepts(port), timeout=60)
        assert proc.poll() is None, "crossdock subgraph orders exited"
        sdl = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ _service { sdl } }"},
            timeout=10,
        ).json()["data"]["_service"]["sdl"]
        assert "submitOrder(" in sdl
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"orders subgraph on http://127.0.0.1:{port}/graphql" in out
    assert "Traceback" not in err


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


SUBMIT = """
mutation Submit($input: SubmitOrderInput!, $key: String!) {
  submitOrder(input: $input, idempotencyKey: $key) {
    outcome
    userErrors { code message }
    order { id number fulfillmentOrders { id } }
  }
}
"""

INVOICES = "query Invoices($id: ID!) { order(id: $id) { invoices { number } } }"


def test_up_takes_an_order_from_submission_to_signed_milestone_webhooks(
    data_dir: Path, world: World, tmp_path: Path
) -> None:
    """A user's path through the embedded default: submit through the gateway, the WMS moves
    the order along, each milestone reaches the wms subgraph's webhook intake, and the ERP's
    consumer invoices the shipment once (a webhook sent twice included), seen through the
    gateway."""
    for system in ("crm", "erp", "wms"):
        shutil.copy(data_dir / f"{system}.sqlite3", tmp_path / f"{system}.sqlite3")
    ports = {name: reserve_port() for name in SERVICE_PORTS}
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(tmp_path), "CROSSDOCK_SEED": "7"}
    env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
    env.pop("REDIS_URL", None)
    account = next(a for a in world.accounts if a.active and not a.credit_hold)
    product = next(p for p in world.products if p.active)
    wms = f"http://127.0.0.1:{ports['WMS_SYSTEM']}"
    proc = subprocess.Popen(
        [*COMMAND, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_until(lambda: proc.poll() is not None or _accepts(ports["GATEWAY"]), timeout=60)
        address = account.billing_address
        submitted = httpx.post(
            f"http://127.0.0.1:{ports['GATEWAY']}/graphql",
            json={
                "query": SUBMIT,
                "variables": {
                    "key": "up-e2e-1",
                    "input": {
                        "accountId": account.id,
                        "lines": [{"sku": product.sku, "quantity": 1}],
                        "shipTo": {
                            "street": address.street,
                            "city": address.city,
                            "state": address.state,
                            "postalCode": address.postal_code,
                            "country": address.country,
                            "region": address.region,
                        },
                    },
                },
            },
            timeout=60,
        ).json()
        assert submitted.get("data"), submitted
        payload = submitted["data"]["submitOrder"]
        assert payload["outcome"] == "CONFIRMED", submitted
        [fulfillment_order] = payload["order"]["fulfillmentOrders"]
        advanced = httpx.post(
            f"{wms}/_admin/advance",
            json={"fulfillment_order_no": fulfillment_order["id"], "to": "SHIPPED"},
            timeout=30,
        )
        assert advanced.status_code == 200, advanced.text

        def deliveries() -> list[dict[str, Any]]:
            answer = httpx.get(
                f"{wms}/_admin/webhook-deliveries",
                params={"fulfillment_order_no": fulfillment_order["id"]},
                timeout=10,
            )
            found: list[dict[str, Any]] = answer.json()["data"]
            return found

        wait_until(
            lambda: (
                len(deliveries()) >= 5 and all(d["status"] == "DELIVERED" for d in deliveries())
            ),
            timeout=60,
            what="every milestone webhook delivered to the wms subgraph",
        )
        assert {d["last_status_code"] for d in deliveries()} <= {200, 202}
        # The shipment's webhook again (a retry whose answer was lost): dropped at the intake.
        [shipped] = [d["payload"] for d in deliveries() if d["payload"]["event_code"] == "SH_SHP"]
        body = orjson.dumps(shipped)
        secret = WmsLifecycle().webhook_secret
        again = httpx.post(
            f"http://127.0.0.1:{ports['WMS_SUBGRAPH']}/webhooks/wms",
            content=body,
            headers={SIGNATURE_HEADER: signature_header(secret, body)},
            timeout=10,
        )
        assert again.status_code == 200 and again.json()["status"] == "duplicate", again.text

        def invoices() -> list[dict[str, str]]:
            answer = httpx.post(
                f"http://127.0.0.1:{ports['GATEWAY']}/graphql",
                json={"query": INVOICES, "variables": {"id": payload["order"]["id"]}},
                timeout=30,
            ).json()
            found: list[dict[str, str]] = answer["data"]["order"]["invoices"]
            return found

        # The ERP's consumer, run by crossdock up on the intake's bus, invoices the shipment.
        wait_until(lambda: len(invoices()) >= 1, timeout=60, what="the shipment invoiced")
        [invoice] = invoices()
        assert invoice["number"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
