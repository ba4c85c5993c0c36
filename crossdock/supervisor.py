"""Run services as child processes on listening sockets the supervisor holds: a child that
dies is started again (after a backoff, said in one log line), and Ctrl-C stops them all.

The supervisor binds every port itself and hands each child its socket (``--listen-fd``), so
a port stays bound while its child restarts: clients that connect meanwhile wait in the
backlog instead of being refused, and several children given one socket share its
connections (``crossdock gateway --workers N``). A child says it is up by writing one byte
to a pipe (``--ready-fd``, :func:`crossdock.runner.serve_all`). A child that exits before it
was ever up is a start-up failure: everything stops and the supervisor returns 1, rather
than restarting a configuration that cannot work.

Children run in their own process group, so a terminal's Ctrl-C reaches the supervisor
only, which forwards one SIGTERM to each, in reverse start order (the gateway before the
subgraphs it calls, the subgraphs before their systems); a second Ctrl-C is forwarded too,
which cuts what is still open. A child also gets SIGTERM when the supervisor itself dies
(:func:`die_with_parent`), so none outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from crossdock.runner import GRACEFUL_SHUTDOWN_SECONDS

__all__ = ["Child", "Supervisor", "die_with_parent", "restart_delay"]

# A child that ran this long before dying is restarted at once again; one that keeps dying
# sooner waits twice as long each time, up to the cap.
_FIRST_DELAY = 0.5
_MAX_DELAY = 10.0
_HEALTHY_AFTER = 30.0
# How long a stopped child gets beyond the graceful shutdown of its connections.
_STOP_MARGIN = 5.0
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Child:
    """One process to keep running: ``argv`` serving on ``sock`` (given as ``--listen-fd``),
    told of its pipe as ``--ready-fd``."""

    name: str
    argv: Sequence[str]
    sock: socket.socket
    env: Mapping[str, str] | None = None


def restart_delay(failures: int) -> float:
    """Seconds to wait before the restart after ``failures`` quick deaths in a row (≥ 1)."""
    return float(min(_FIRST_DELAY * 2 ** (failures - 1), _MAX_DELAY))


def die_with_parent() -> None:
    """Have the kernel send this process SIGTERM when its parent dies (Linux), and exit now
    if the parent is already gone; a no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if parent == 1 or os.getppid() != parent:
        os._exit(0)


def _log(line: str) -> None:
    print(f"crossdock: {line}", file=sys.stderr, flush=True)


def _how(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


@dataclass
class _Running:
    child: Child
    process: asyncio.subprocess.Process | None = None
    up_once: bool = False
    failures: int = 0
    started_at: float = 0.0


class Supervisor:
    """Keep ``children`` running until SIGINT/SIGTERM; :meth:`run` returns the exit status.

    ``on_exit(pid)`` is called for every child process that has exited (restarted or not):
    where per-process files of a worker are released (``crossdock.workers``).
    """

    def __init__(
        self, children: Sequence[Child], *, on_exit: Callable[[int], None] | None = None
    ) -> None:
        self._running = [_Running(child) for child in children]
        self._on_exit = on_exit
        self._stopping = asyncio.Event()
        self._failed: str | None = None
        self._all_up = asyncio.Event()

    async def run(self, *, on_started: str | None = None) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal)
        keepers = [asyncio.create_task(self._keep(r), name=r.child.name) for r in self._running]
        try:
            up = asyncio.create_task(self._all_up.wait())
            stop = asyncio.create_task(self._stopping.wait())
            await asyncio.wait([up, stop], return_when=asyncio.FIRST_COMPLETED)
            if self._all_up.is_set() and not self._stopping.is_set() and on_started:
                print(on_started, flush=True)
            await stop
            up.cancel()
        finally:
            self._stopping.set()
            await self._stop_all()
            await asyncio.gather(*keepers, return_exceptions=True)
            await self._stop_all()  # any started while the first pass went by
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
        if self._failed is not None:
            _log(self._failed)
            return 1
        return 0

    def _on_signal(self) -> None:
        if self._stopping.is_set():  # the second Ctrl-C: cut what is still open
            for running in self._running:
                self._signal(running, signal.SIGTERM)
        self._stopping.set()

    @staticmethod
    def _signal(running: _Running, sig: signal.Signals) -> None:
        process = running.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)

    async def _keep(self, running: _Running) -> None:
        while not self._stopping.is_set():
            process, ready = await self._spawn(running)
            exited = asyncio.create_task(process.wait())
            stopping = asyncio.create_task(self._stopping.wait())
            # ``ready`` is also done (False) when the child dies before it is up.
            await asyncio.wait([ready, stopping], return_when=asyncio.FIRST_COMPLETED)
            if ready.done() and ready.result():
                running.up_once = True
                if all(r.up_once for r in self._running):
                    self._all_up.set()
            elif ready.done() and not running.up_once and not self._stopping.is_set():
                await exited
                self._failed = f"{running.child.name} failed to start"
                self._stopping.set()
            ready.cancel()
            await asyncio.wait([exited, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if self._stopping.is_set():
                return  # _stop_all stops it
            self._exited(running)
            if time.monotonic() - running.started_at > _HEALTHY_AFTER:
                running.failures = 0
            running.failures += 1
            delay = restart_delay(running.failures)
            _log(
                f"{running.child.name} (pid {process.pid}) {_how(exited.result())}; "
                f"restarting in {delay:g} s"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _spawn(
        self, running: _Running
    ) -> tuple[asyncio.subprocess.Process, asyncio.Task[bool]]:
        child = running.child
        read_end, write_end = os.pipe()
        fd = child.sock.fileno()
        argv = [*child.argv, "--listen-fd", str(fd), "--ready-fd", str(write_end)]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                pass_fds=(fd, write_end),
                start_new_session=True,
                env=dict(child.env) if child.env is not None else None,
            )
        finally:
            os.close(write_end)
        running.process = process
        running.started_at = time.monotonic()
        return process, asyncio.create_task(_read_ready(read_end))

    def _exited(self, running: _Running) -> None:
        """The child's process is gone: forget it (once), and say so to ``on_exit``."""
        process, running.process = running.process, None
        if process is not None and self._on_exit is not None:
            self._on_exit(process.pid)

    async def _stop_all(self) -> None:
        for running in reversed(self._running):
            process = running.process
            if process is None:
                continue
            if process.returncode is None:
                self._signal(running, signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), GRACEFUL_SHUTDOWN_SECONDS + _STOP_MARGIN)
                except TimeoutError:
                    _log(f"{running.child.name} (pid {process.pid}) did not stop; killing it")
                    self._signal(running, signal.SIGKILL)
                    await process.wait()
            self._exited(running)


async def _read_ready(fd: int) -> bool:
    """True once the child writes its byte; False when it closes the pipe without (it died)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    try:
        return bool(await reader.read(1))
    finally:
        transport.close()
