"""``scripts/ensure-redis``: a Redis it starts is private to its caller and stopped by it."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import redis

from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-redis"


def _ensure(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CROSSDOCK_REDIS_PORT": str(port)}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60
    )


def _answers(port: int) -> bool:
    client = redis.Redis(port=port, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


def test_a_redis_it_starts_lives_in_a_private_folder_until_stopped() -> None:
    port = reserve_port()
    started = _ensure(port)
    assert started.returncode == 0, started.stderr
    folder = Path(started.stdout.strip())
    try:
        assert _answers(port)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert (folder / "redis.pid").exists()
        # Already answering: nothing more is started, nothing printed.
        again = _ensure(port)
        assert (again.returncode, again.stdout) == (0, "")
    finally:
        stopped = _ensure(port, "--stop", str(folder))
    assert stopped.returncode == 0, stopped.stderr
    wait_until(lambda: not _answers(port), timeout=10, what="the Redis to stop")
    assert not folder.exists()
