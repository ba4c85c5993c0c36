"""``crossdock up`` runs every system, subgraph and the gateway in a process of its own under
one supervisor: a subgraph killed with SIGKILL is started again (one line says so) and the
graph answers again, and Ctrl-C stops every process with status 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from systems.world_records import World
from tests.support.e2e import E2E_QUERY, assert_order_matches_world, shipped_order_with_open_case
from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

COMMAND = [sys.executable, "-m", "crossdock.cli", "up"]
PORTS = ("CRM_SYSTEM", "ERP_SYSTEM", "WMS_SYSTEM", "CRM_SUBGRAPH", "ERP_SUBGRAPH",
         "WMS_SUBGRAPH", "ORDERS_SUBGRAPH", "GATEWAY")  # fmt: skip


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def _alive(pid: int) -> bool:
    try:
        return _stat(pid)[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def _children(pid: int) -> dict[str, int]:
    """The live children of ``pid`` by the service each serves (its ``--service``)."""
    children: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int(_stat(int(entry.name))[1]) != pid or not _alive(int(entry.name)):
                continue
            argv = (entry / "cmdline").read_bytes().decode().split("\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if "--service" in argv:
            children[argv[argv.index("--service") + 1]] = int(entry.name)
    return children


def test_a_killed_subgraph_is_restarted_and_ctrl_c_stops_every_process(
    data_dir: Path, world: World
) -> None:
    order = shipped_order_with_open_case(world)
    ports = {name: reserve_port() for name in PORTS}
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
    env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        COMMAND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    gateway = f"http://127.0.0.1:{ports['GATEWAY']}"

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"crossdock up exited: {proc.communicate()[1][-2000:]}")
        try:
            return httpx.get(f"{gateway}/ready", timeout=10).status_code == 200
        except httpx.TransportError:
            return False

    def order_answers() -> bool:
        try:
            body = httpx.post(
                f"{gateway}/graphql",
                json={"query": E2E_QUERY, "variables": {"id": order.id}},
                timeout=30,
            ).json()
        except httpx.TransportError:
            return False
        if "errors" in body:
            return False
        assert_order_matches_world(body["data"]["order"], order, world)
        return True

    try:
        wait_until(ready, timeout=120, what="crossdock up ready")
        children = _children(proc.pid)
        assert sorted(children) == sorted([
            "crm system", "erp system", "wms system", "crm subgraph", "erp subgraph",
            "wms subgraph", "orders subgraph", "gateway"])  # fmt: skip
        assert order_answers()

        victim = children["erp subgraph"]
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: not _alive(victim), timeout=10, what="the erp subgraph gone")
        wait_until(
            lambda: _children(proc.pid).get("erp subgraph", victim) != victim,
            timeout=30,
            what="the erp subgraph restarted",
        )
        wait_until(order_answers, timeout=60, what="the order answered again")
        wait_until(ready, timeout=60, what="ready again")
        everyone = set(_children(proc.pid).values()) | set(children.values())
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert f"crossdock: erp subgraph (pid {victim}) was killed by SIGKILL; restarting in" in err
    assert "crossdock is up (a process each)" in out
    assert "Traceback" not in err
    assert not any(_alive(pid) for pid in everyone), "a service outlived crossdock up"


def test_a_service_that_cannot_start_stops_the_rest(data_dir: Path) -> None:
    """A port taken by someone else is one line and status 1, before any process starts."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = {name: reserve_port() for name in PORTS}
        ports["ORDERS_SUBGRAPH"] = taken.getsockname()[1]
        env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir)}
        env.update({f"CROSSDOCK_PORTS__{name}": str(port) for name, port in ports.items()})
        env.pop("REDIS_URL", None)
        result = subprocess.run(COMMAND, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert (
        f"crossdock: orders subgraph cannot listen on 127.0.0.1:{ports['ORDERS_SUBGRAPH']}"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
