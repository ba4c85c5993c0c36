"""``crossdock gateway --workers N`` as a user runs it: N processes answer on one port, a
worker killed with SIGKILL is replaced while the port keeps answering, and Ctrl-C stops every
process (the supervisor exits 0, no worker outlives it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from crossdock.supervisor import restart_delay
from crossdock.workers import MULTIPROC_ENV, WORKER_HEADER
from tests.gateway.subscription_federation import Federation, running_federation, supergraph_sdl
from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

COMMAND = [sys.executable, "-m", "crossdock.cli", "gateway"]
LATEST = '{ latest(orderId: "o-5") { seq order { total } } }'
MILESTONES = "subscription M($o: ID!) { milestones(orderId: $o) { seq order { id total } } }"


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed worker its parent has not reaped
    yet holds no socket any more)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


@dataclass
class Workers:
    process: subprocess.Popen[str]
    url: str

    def answer(self) -> tuple[int, dict[str, object]]:
        """One query on a new connection: the pid of the worker that answered, and the body."""
        if self.process.poll() is not None:
            raise AssertionError(f"the supervisor exited: {self.process.communicate()}")
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": LATEST},
            headers={"connection": "close"},
            # A connection the kernel queued on a killed worker's socket waits there for the
            # replacement, which may take a while to start on a busy machine.
            timeout=90,
        )
        assert response.status_code == 200, response.text
        return int(response.headers[WORKER_HEADER]), response.json()

    def pid_answering(self) -> int | None:
        """The pid of the worker that answered, or None when the request failed on its way
        (a connection the killed worker had accepted)."""
        try:
            return self.answer()[0]
        except httpx.TransportError:
            return None

    def pid_other_than(self, known: set[int], timeout: float = 60) -> int:
        """Ask until a worker whose pid is not in ``known`` answers; its pid."""
        seen: list[int] = []

        def new_one() -> bool:
            pid = self.pid_answering()
            if pid is not None and pid not in known:
                seen.append(pid)
            return bool(seen)

        wait_until(new_one, timeout=timeout, what=f"a worker other than {known}")
        return seen[0]

    def pids_seen(self, wanted: set[int] | int, timeout: float = 30) -> set[int]:
        """Ask until the answers came from ``wanted`` pids (or that many distinct ones)."""
        seen: set[int] = set()

        def enough() -> bool:
            pid = self.pid_answering()
            if pid is not None:
                seen.add(pid)
            return len(seen) >= wanted if isinstance(wanted, int) else wanted <= seen

        wait_until(enough, timeout=timeout, what=f"answers from {wanted} workers")
        return seen


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


def _start(federation: Federation, tmp_path: Path, workers: int) -> Workers:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(federation.urls))
    port = reserve_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env.pop("REDIS_URL", None)
    env.pop(MULTIPROC_ENV, None)
    argv = [*COMMAND, "--supergraph", str(supergraph), "--port", str(port)]
    process = subprocess.Popen(
        [*argv, "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return Workers(process, f"http://127.0.0.1:{port}")


def _stop(workers: Workers) -> tuple[str, str]:
    workers.process.send_signal(signal.SIGINT)
    out, err = workers.process.communicate(timeout=30)
    assert workers.process.returncode == 0, err
    return out, err


def test_two_workers_answer_and_one_killed_is_replaced_while_the_port_answers(
    federation: Federation, tmp_path: Path
) -> None:
    workers = _start(federation, tmp_path, 2)
    try:
        first = workers.pids_seen(2)
        assert len(first) == 2
        assert {_parent_of(pid) for pid in first} == {workers.process.pid}
        _, body = workers.answer()
        assert body == {"data": {"latest": {"seq": 0, "order": {"total": 500}}}}
        # Each worker's metric files go to the run's private directory.
        [directory] = {_environ(pid)[MULTIPROC_ENV] for pid in first}
        assert Path(directory).is_dir()

        victim, survivor = sorted(first)
        os.kill(victim, signal.SIGKILL)
        # Requests the victim had accepted when it died fail; once it is gone, every request
        # is answered: by the survivor, or (queued on the victim's socket, which the
        # supervisor holds) by the replacement once it is up. None is refused or reset.
        wait_until(lambda: not _alive(victim), timeout=10, what="the killed worker gone")
        answered = [workers.answer()[0] for _ in range(10)]
        assert set(answered) <= first | _children(workers.process.pid)
        assert victim not in answered
        new = workers.pid_other_than(first)
        assert _parent_of(new) == workers.process.pid
        assert all(workers.answer()[1]["data"] for _ in range(10))
        assert survivor in workers.pids_seen({survivor, new})
    finally:
        out, err = _stop(workers)
    assert f"gateway worker 1 (pid {victim}) was killed by SIGKILL; restarting in" in err or (
        f"gateway worker 2 (pid {victim}) was killed by SIGKILL; restarting in" in err
    ), err
    assert "(2 worker processes)" in out
    assert "Traceback" not in err
    # No worker outlives the supervisor, and the metrics directory goes with them.
    assert not any(_alive(pid) for pid in first | {new})
    assert not Path(directory).exists()


def test_a_subscription_through_a_worker_gets_its_events(
    federation: Federation, tmp_path: Path
) -> None:
    workers = _start(federation, tmp_path, 2)
    try:
        workers.pids_seen(2)
        body = {"query": MILESTONES, "variables": {"o": "o-7"}}
        headers = {"accept": "text/event-stream"}
        with httpx.stream(
            "POST", f"{workers.url}/graphql", json=body, headers=headers, timeout=10
        ) as response:
            assert response.status_code == 200
            assert int(response.headers[WORKER_HEADER]) in _children(workers.process.pid)
            wait_until(lambda: federation.feed.active("o-7") == 1, what="subscribed")
            federation.feed.publish("o-7", 1)
            data = next(line for line in response.iter_lines() if line.startswith("data:"))
        assert orjson.loads(data.removeprefix("data:")) == {
            "data": {"milestones": {"seq": 1, "order": {"id": "o-7", "total": 700}}}
        }
    finally:
        _stop(workers)


def test_every_worker_reloads_the_supergraph_when_the_file_changes(
    federation: Federation, tmp_path: Path
) -> None:
    workers = _start(federation, tmp_path, 2)
    try:
        pids = workers.pids_seen(2)
        # The ledger subgraph moves to a port where nothing listens: every worker that has
        # read the new file fails to fetch the order's total.
        moved = {**federation.urls, "ledger": f"http://127.0.0.1:{reserve_port()}/graphql"}
        (tmp_path / "supergraph.graphql").write_text(supergraph_sdl(moved))
        reloaded: set[int] = set()

        def both_reloaded() -> bool:
            pid, body = workers.answer()
            if "errors" in body:
                reloaded.add(pid)
            return reloaded == pids

        wait_until(both_reloaded, timeout=30, what="both workers on the new supergraph")
    finally:
        _stop(workers)


def test_ctrl_c_stops_every_worker(federation: Federation, tmp_path: Path) -> None:
    workers = _start(federation, tmp_path, 3)
    try:
        pids = workers.pids_seen(3)
    finally:
        _, err = _stop(workers)
    assert not any(_alive(pid) for pid in pids)
    assert "Traceback" not in err


def test_workers_must_be_a_positive_number(tmp_path: Path) -> None:
    result = subprocess.run(
        [*COMMAND, "--supergraph", str(tmp_path / "x"), "--workers", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--workers: must be a whole number ≥ 1: 0" in result.stderr


def test_a_worker_that_keeps_dying_waits_longer_each_time() -> None:
    assert [restart_delay(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [0.5, 1, 2, 4, 8, 10, 10]


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    pairs = (item.decode().partition("=") for item in raw if item)
    return {name: value for name, _, value in pairs}


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid``."""
    children: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _parent_of(int(entry.name)) == pid and _alive(int(entry.name)):
                    children.add(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return children
