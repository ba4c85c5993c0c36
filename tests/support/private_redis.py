"""A ``redis-server`` of one test's own, without persistence, to kill -9 and start again empty.

The shared test Redis (``tests.support.redis``) serves every helper's tests at once: a test
that loses Redis on purpose must not take it from them, so it runs this one on a free loopback
port with ``--save "" --appendonly no``: killed, it comes back with nothing, as a Redis without
persistence does after a crash.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

__all__ = ["PrivateRedis", "private_redis"]


class PrivateRedis:
    """One ``redis-server`` process on ``port``; ``kill()`` is a kill -9, ``start()`` brings a
    fresh one up on the same port: empty, or with ``aof`` what its append-only file kept
    (``appendfsync`` ``fsync``: ``everysec``, Redis's default, may lose up to about a second of
    writes; ``always`` fsyncs each write before answering it, and loses none)."""

    def __init__(self, folder: Path, *, aof: bool = False, fsync: str = "everysec") -> None:
        self.folder = folder
        self.aof = aof
        self.fsync = fsync
        self.port = reserve_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        assert self._process is None, "already running"
        self.folder.mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes", "--appendfsync", self.fsync] if self.aof else [
            "--appendonly", "no"]  # fmt: skip
        self._process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", *persistence, "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until(self.answers, timeout=10, what=f"redis-server on {self.port}")
        except BaseException:
            self.kill()
            raise

    def kill(self) -> None:
        """kill -9: everything it held is gone."""
        process, self._process = self._process, None
        if process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


@contextmanager
def private_redis(
    folder: Path, *, aof: bool = False, fsync: str = "everysec"
) -> Iterator[PrivateRedis]:
    """A started ``PrivateRedis`` (files in ``folder``), killed on leaving."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run `bash scripts/ensure-redis`", pytrace=False)
    server = PrivateRedis(folder, aof=aof, fsync=fsync)
    server.start()
    try:
        yield server
    finally:
        server.kill()
