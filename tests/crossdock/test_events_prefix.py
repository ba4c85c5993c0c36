"""The event streams' key prefix: per dataset by default, configurable, and the same for every
service and for ``crossdock events``, so two graphs on one Redis never share a stream."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from pydantic import ValidationError

from crossdock.settings import Settings
from events.factory import create_event_bus_for
from events.memory import InProcessBus
from events.redis_bus import RedisStreamBus
from tests.support.redis import redis_prefix, redis_url

__all__ = ["redis_prefix", "redis_url"]


def test_the_default_prefix_names_the_dataset() -> None:
    assert Settings().event_streams_prefix == "crossdock:events:seed7:"
    assert Settings(seed=8).event_streams_prefix == "crossdock:events:seed8:"
    # A copy with another seed (as tests make them) gets that dataset's streams.
    assert Settings().model_copy(update={"seed": 9}).event_streams_prefix.endswith(":seed9:")


def test_the_prefix_follows_the_cache_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_CACHE_PREFIX", "team-a:")
    monkeypatch.setenv("CROSSDOCK_SEED", "3")
    settings = Settings()
    assert settings.event_streams_prefix == "team-a:events:seed3:"
    # Events and cached reference data never share a key.
    assert not settings.event_streams_prefix.startswith(settings.reference_cache_prefix)


def test_an_explicit_prefix_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_EVENTS_PREFIX", "ci-run-42:events:")
    assert Settings(seed=8).event_streams_prefix == "ci-run-42:events:"


def test_an_empty_prefix_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSDOCK_EVENTS_PREFIX", "")
    with pytest.raises(ValidationError, match="events_prefix"):
        Settings()


async def test_the_services_bus_uses_the_datasets_prefix(redis_url: str) -> None:
    assert isinstance(create_event_bus_for(Settings().bus), InProcessBus)
    bus = create_event_bus_for(Settings(redis_url=redis_url, seed=11).bus)
    try:
        assert isinstance(bus, RedisStreamBus)
        assert bus.prefix == "crossdock:events:seed11:"
    finally:
        await bus.aclose()


@pytest.fixture
async def published(redis_url: str, redis_prefix: str) -> AsyncIterator[str]:
    """One event on stream ``milestones`` of the dataset with seed 5 under ``redis_prefix``."""
    settings = Settings(redis_url=redis_url, cache_prefix=redis_prefix, seed=5)
    bus = create_event_bus_for(settings.bus)
    try:
        await bus.publish("milestones", "ev-1", b"{}")
        yield redis_prefix
    finally:
        await bus.aclose()


def _events_list(redis_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    return subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "events", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**keep, "REDIS_URL": redis_url, **env},
        check=False,
    )


def test_crossdock_events_reads_the_streams_of_the_configured_dataset(
    published: str, redis_url: str
) -> None:
    same = _events_list(redis_url, CROSSDOCK_CACHE_PREFIX=published, CROSSDOCK_SEED="5")
    assert same.returncode == 0, same.stderr
    assert "milestones  length=1" in same.stdout
    other = _events_list(redis_url, CROSSDOCK_CACHE_PREFIX=published, CROSSDOCK_SEED="6")
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == f"no streams under {published}events:seed6:"
    explicit = _events_list(
        redis_url, CROSSDOCK_EVENTS_PREFIX=f"{published}events:seed5:", CROSSDOCK_SEED="6"
    )
    assert "milestones  length=1" in explicit.stdout
