"""The subscription benchmark's load: ``bench.subscribers`` processes, driven over pipes.

``LoadProcesses.start`` splits the subscribers over several processes (one Python process
holding thousands of WebSockets could become the bottleneck; their CPU and event-loop lag are
reported so that it shows), waits until every subscriber has subscribed, and then collects
what they received with ``drain``: receipts by event id, errors, the worst loop lag.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from bench.subscribers import SubscriberSpec

__all__ = ["LoadProcesses", "Receipts"]

ROOT = Path(__file__).resolve().parents[1]
_PIPE_LIMIT = 256 * 1024 * 1024


@dataclass
class Receipts:
    """What the subscribers received so far: per event id, (subscriber, monotonic time)."""

    by_event: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    errors: int = 0
    first_error: str | None = None
    closed: int = 0
    max_lag_ms: float = 0.0

    def count(self, event_ids: Sequence[str]) -> int:
        return sum(len(self.by_event.get(event_id, ())) for event_id in event_ids)

    def reset_lag(self) -> None:
        self.max_lag_ms = 0.0


class _LoadProcess:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def read(self, timeout: float) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"load process {self.proc.pid} exited ({self.proc.returncode})")
        answer: dict[str, Any] = orjson.loads(line)
        return answer

    async def command(self, command: bytes, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + b"\n")
        await self.proc.stdin.drain()
        return await self.read(timeout)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            with contextlib.suppress(RuntimeError, TimeoutError, ConnectionError):
                await self.command(b"stop", timeout=40)
        try:
            await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class LoadProcesses:
    """Several ``bench.subscribers`` processes sharing one set of subscribers."""

    def __init__(self, processes: list[_LoadProcess]) -> None:
        self._processes = processes
        self.receipts = Receipts()

    @property
    def pids(self) -> list[int]:
        return [p.proc.pid for p in self._processes]

    @classmethod
    async def start(
        cls,
        spec: SubscriberSpec,
        *,
        processes: int,
        workdir: Path,
        cpu: int | None,
        timeout: float,
    ) -> tuple[LoadProcesses, int, str | None]:
        """Start ``processes`` load processes sharing ``spec.variables`` out evenly; returns
        them once all have subscribed, with how many subscribers failed and the first error."""
        started: list[_LoadProcess] = []
        count = len(spec.variables)
        share = -(-count // processes)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        prefix = ["taskset", "-c", str(cpu)] if cpu is not None else []
        try:
            for n in range(processes):
                variables = spec.variables[n * share : (n + 1) * share]
                if not variables:
                    break
                part = spec.model_copy(
                    update={"variables": variables, "first_index": spec.first_index + n * share}
                )
                path = workdir / f"subscribers-{n}.json"
                path.write_text(part.model_dump_json())
                proc = await asyncio.create_subprocess_exec(
                    *prefix, sys.executable, "-m", "bench.subscribers", str(path),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    cwd=ROOT, env=env, limit=_PIPE_LIMIT,
                )  # fmt: skip
                started.append(_LoadProcess(proc))
            answers = await asyncio.gather(*(p.read(timeout) for p in started))
        except BaseException:
            await asyncio.gather(*(p.stop() for p in started), return_exceptions=True)
            raise
        failed = sum(a["failed"] for a in answers)
        first_error = next((a["first_error"] for a in answers if a["first_error"]), None)
        return cls(started), failed, first_error

    async def drain(self) -> Receipts:
        """Add what every subscriber received since the last drain to ``receipts``."""
        answers = await asyncio.gather(*(p.command(b"drain", timeout=60) for p in self._processes))
        receipts = self.receipts
        receipts.errors = receipts.closed = 0
        for answer in answers:
            for subscriber, event_id, received in answer["receipts"]:
                receipts.by_event.setdefault(event_id, []).append((subscriber, received))
            receipts.errors += answer["errors"]
            receipts.closed += answer["closed"]
            receipts.first_error = receipts.first_error or answer["first_error"]
            receipts.max_lag_ms = max(receipts.max_lag_ms, answer["max_lag_ms"])
        return receipts

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self._processes), return_exceptions=True)
