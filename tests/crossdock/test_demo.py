"""``crossdock up --demo`` as a newcomer runs it: within a deadline new orders appear and move
along through fulfillment, and delivered ones come back as returns, all seen through the
gateway; Ctrl-C stops it cleanly. With ``--auth dev`` the demo mints its own staff tokens."""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.dev_auth import DevIssuer
from tests.crossdock.test_cli import COMMAND, SERVICE_PORTS, run
from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

# Fast enough for a test, bounded all the same: one action every 0.3 s, one in three a
# return, the WMS moving every order one step every 0.3 s.
DEMO_ENV = {
    "CROSSDOCK_DEMO__ORDER_INTERVAL_SECONDS": "0.3",
    "CROSSDOCK_DEMO__RETURN_EVERY": "3",
    "CROSSDOCK_DEMO__WMS_SPEED_SECONDS": "0.3",
    # Patient with a busy machine (the suite on two workers beside other work): a webhook that
    # took over the default 5 s was retried and its "attempt 1 failed" failed the test, which
    # is after calls that fail on the way out, not slow ones.
    "CROSSDOCK_WMS_LIFECYCLE__WEBHOOK_TIMEOUT_SECONDS": "30",
}
DEADLINE = 90.0
RECENT = """{ orders(first: 30) { edges { node {
  number customerPoNumber fulfillmentStatus returnAuthorizations { status } } } } }"""


class Running:
    def __init__(self, proc: subprocess.Popen[str], gateway: str, token: str | None) -> None:
        self.proc = proc
        self.gateway = gateway
        self.headers = {"authorization": f"Bearer {token}"} if token else {}

    def demo_orders(self) -> list[dict[str, Any]]:
        """The newest orders the demo placed (its purchase orders say DEMO-), as the gateway
        shows them."""
        if self.proc.poll() is not None:
            raise AssertionError("crossdock up exited")
        try:
            body = httpx.post(
                f"{self.gateway}/graphql", json={"query": RECENT}, headers=self.headers, timeout=10
            ).json()
        except httpx.TransportError:
            return []
        if not body.get("data"):
            return []
        nodes = [edge["node"] for edge in body["data"]["orders"]["edges"]]
        return [n for n in nodes if (n["customerPoNumber"] or "").startswith("DEMO-")]


@pytest.fixture(params=["auth off", "auth dev"])
def running(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path) -> Iterator[Running]:
    for system in ("crm", "erp", "wms"):
        shutil.copy(data_dir / f"{system}.sqlite3", tmp_path / f"{system}.sqlite3")
    ports = {name: reserve_port() for name in SERVICE_PORTS}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env.pop("REDIS_URL", None)
    env |= {"CROSSDOCK_DATA_DIR": str(tmp_path), "CROSSDOCK_SEED": "7", **DEMO_ENV}
    env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
    args = ["up", "--demo"]
    token = None
    if request.param == "auth dev":
        args += ["--auth", "dev"]
        token = DevIssuer(tmp_path).token(scope="staff")
    proc = subprocess.Popen(
        [*COMMAND, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield Running(proc, f"http://127.0.0.1:{ports['GATEWAY']}", token)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def _moved(running: Running, seen: dict[str, set[str]]) -> bool:
    """Whether one demo order was seen in two fulfillment states, and one was returned."""
    for order in running.demo_orders():
        seen.setdefault(order["number"], set()).add(order["fulfillmentStatus"])
        if any(r["status"] == "CREDITED" for r in order["returnAuthorizations"]):
            seen.setdefault("returned", set()).add(order["number"])
    advanced = any(
        len(states) > 1 and states & {"SHIPPED", "DELIVERED"}
        for number, states in seen.items()
        if number != "returned"
    )
    return advanced and "returned" in seen


def test_demo_orders_appear_move_and_come_back_and_ctrl_c_stops_it(running: Running) -> None:
    seen: dict[str, set[str]] = {}
    wait_until(lambda: bool(running.demo_orders()), timeout=DEADLINE, what="a demo order")
    first = {o["number"] for o in running.demo_orders()}
    # New ones keep coming (a trickle, not one burst).
    wait_until(
        lambda: bool({o["number"] for o in running.demo_orders()} - first),
        timeout=DEADLINE,
        what="another demo order",
    )
    wait_until(
        functools.partial(_moved, running, seen),
        timeout=DEADLINE,
        what="a demo order shipped and one returned",
    )
    # The page a newcomer opens to watch it is the gateway's.
    ops = httpx.get(f"{running.gateway}/ops", timeout=10)
    assert ops.status_code == 200 and "<title>Crossdock operations</title>" in ops.text
    running.proc.send_signal(signal.SIGINT)
    out, err = running.proc.communicate(timeout=30)
    assert running.proc.returncode == 0, err
    assert "demo: an order every 0.3s" in out
    assert "Traceback" not in err
    # Stopped in order (what makes work first, then callers before what they call): no call
    # of one service to another failed on the way out.
    assert "failed" not in err, err


def test_the_demo_is_refused_with_an_issuer_it_cannot_sign_for(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env |= {"CROSSDOCK_DATA_DIR": str(tmp_path), "CROSSDOCK_AUTH__JWKS": str(jwks)}
    result = run("up", "--demo", env=env)
    assert result.returncode == 2
    assert "demo.enabled" in result.stderr and "--auth dev" in result.stderr
    assert "Traceback" not in result.stderr
