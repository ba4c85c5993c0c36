"""``crossdock events`` run as an operator runs it: a subprocess of this venv's Python, with
the stack's Redis and dataset in its environment (no ``--prefix``: the prefix is derived from
the settings, as every service derives it)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.e2e.world import E2EWorld

__all__ = ["crossdock_events"]


def crossdock_events(world: E2EWorld, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``crossdock events ARGS`` against ``world``'s streams; it must succeed."""
    settings = world.settings
    assert settings.redis_url is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env.pop("REDIS_URL", None)
    env |= {
        "REDIS_URL": settings.redis_url,
        "CROSSDOCK_CACHE_PREFIX": settings.cache_prefix,
        "CROSSDOCK_SEED": str(settings.seed),
    }
    result = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "events", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result
