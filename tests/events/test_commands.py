"""``crossdock events`` as a user runs it, against the real Redis, in a subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from events import RedisStreamBus

COMMAND = [sys.executable, "-m", "crossdock.cli", "events"]


def _env(redis_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CROSSDOCK_REDIS_URL")}
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


async def run(*args: str, redis_url: str | None) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(redis_url),
        check=False,
    )


@pytest.fixture
async def bus(redis_url: str, events_prefix: str) -> AsyncIterator[RedisStreamBus]:
    bus = RedisStreamBus(redis_url, prefix=events_prefix)
    yield bus
    await bus.aclose()


async def _with_a_dead_letter(bus: RedisStreamBus, stream: str) -> list[str]:
    ids = [await bus.publish(stream, f"e{n}", b'{"n": %d}' % n) for n in range(4)]
    await bus.ensure_group(stream, "erp")
    await bus.ensure_group(stream, "crm")
    first, second = await bus.read(stream, "erp", "erp-1", count=2)
    await bus.ack(stream, "erp", [first.id])
    await bus.dead_letter(stream, "erp", "erp-1", second, "ValueError: unknown sku SKU-0")
    return ids


@pytest.mark.parametrize("command", [[], ["list"], ["dead-letters"], ["replay"]])
async def test_help(command: list[str]) -> None:
    result = await run(*command, "--help", redis_url=None)
    assert result.returncode == 0, result.stderr
    assert f"usage: crossdock events {' '.join(command)}".strip() in result.stdout


async def test_without_redis_url_it_says_why_and_fails() -> None:
    result = await run("list", redis_url=None)
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr
    assert "lives inside `crossdock up`" in result.stderr


async def test_list_shows_streams_lag_pending_and_dead_letters(
    bus: RedisStreamBus, events_prefix: str, stream: str, redis_url: str
) -> None:
    ids = await _with_a_dead_letter(bus, stream)
    result = await run("list", "--prefix", events_prefix, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{stream}  length=4  last={ids[-1]}  dead_letters=1"
    assert lines[1] == ("  group crm  consumers=0  pending=0  lag=4  last_delivered=0-0")
    assert lines[2] == f"  group erp  consumers=1  pending=0  lag=2  last_delivered={ids[1]}"


async def test_list_of_an_empty_prefix(events_prefix: str, redis_url: str) -> None:
    result = await run("list", "--prefix", events_prefix, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"no streams under {events_prefix}"


async def test_dead_letters_shows_the_error_and_attempts(
    bus: RedisStreamBus, events_prefix: str, stream: str, redis_url: str
) -> None:
    ids = await _with_a_dead_letter(bus, stream)
    result = await run("dead-letters", stream, "--prefix", events_prefix, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert f"event=e1  entry={ids[1]}  group=erp  consumer=erp-1  attempts=1" in line
    assert line.endswith("error=ValueError: unknown sku SKU-0")


async def test_replay_dead_letters_puts_them_back_once(
    bus: RedisStreamBus, events_prefix: str, stream: str, redis_url: str
) -> None:
    await _with_a_dead_letter(bus, stream)
    args = ("replay", stream, "--dead-letters", "--prefix", events_prefix)
    result = await run(*args, redis_url=redis_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"replayed 1 dead letters onto {stream}")
    assert await bus.dead_letters(stream) == []
    again = await run(*args, redis_url=redis_url)
    assert again.stdout.startswith(f"replayed 0 dead letters onto {stream}")
    delivered = await bus.read(stream, "erp", "erp-2", count=10)
    assert [d.event_id for d in delivered] == ["e2", "e3", "e1"]


async def test_replay_a_range(
    bus: RedisStreamBus, events_prefix: str, stream: str, redis_url: str
) -> None:
    ids = await _with_a_dead_letter(bus, stream)
    result = await run(
        "replay", stream, "--from", ids[2], "--to", ids[3], "--prefix", events_prefix,
        redis_url=redis_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"replayed 2 entries {ids[2]}..{ids[3]} onto {stream}")
    open_ended = await run(
        "replay", stream, "--from", ids[3], "--prefix", events_prefix, redis_url=redis_url
    )
    assert open_ended.stdout.startswith(f"replayed 3 entries {ids[3]}..+ onto {stream}")
    crm = await bus.read(stream, "crm", "crm-1", count=20)
    assert [d.event_id for d in crm] == ["e0", "e1", "e2", "e3", "e2", "e3", "e3", "e2", "e3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "yesterday"], "not a stream entry id"),
        (["--from", "1-0", "--dead-letters"], "not allowed with argument"),
        (["--to", "5-0", "--dead-letters"], "--to goes with --from"),
        ([], "one of the arguments --dead-letters --from is required"),
    ],
)
async def test_replay_refuses_bad_arguments(args: list[str], message: str, redis_url: str) -> None:
    result = await run("replay", "s", *args, redis_url=redis_url)
    assert result.returncode == 2
    assert message in result.stderr


async def test_an_unreachable_redis_is_reported(dead_redis_url: str) -> None:
    result = await run("list", redis_url=dead_redis_url)
    assert result.returncode == 1
    assert "is unavailable" in result.stderr and "Traceback" not in result.stderr
