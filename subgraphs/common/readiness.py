"""``/ready``: whether a subgraph can serve now, from each thing it depends on, checked at once.

A subgraph is ready when every check passes: its system answers its health check, its Redis
(when it runs on Redis) answers, and whatever else its app adds (the wms subgraph: its event
bus, its intake's relay, the consumers beside it). The answer names each check as ``ok`` or
``failing`` and nothing more: ``/ready`` is served on the subgraph's public port, so why a
check failed goes to the log, not to whoever asks. ``/health`` stays liveness: the process
answers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from cache.base import Cache
from cache.factory import CacheSettings

__all__ = ["READY_TIMEOUT", "ReadyCheck", "cache_check", "readiness"]

logger = logging.getLogger(__name__)

ReadyCheck = Callable[[], Awaitable[bool]]
"""True when the dependency can be used now; False or raising when not."""

READY_TIMEOUT = 2.0
"""Seconds a check may take; a slower one fails (a probe must answer in time)."""


async def _one(service: str, name: str, check: ReadyCheck) -> bool:
    try:
        ok = await asyncio.wait_for(check(), READY_TIMEOUT)
    except TimeoutError:
        logger.warning("%s is not ready: %s did not answer in %ss", service, name, READY_TIMEOUT)
        return False
    except Exception as error:
        logger.warning("%s is not ready: %s failed: %s", service, name, error)
        return False
    if not ok:
        logger.warning("%s is not ready: %s", service, name)
    return bool(ok)


async def readiness(service: str, checks: Mapping[str, ReadyCheck]) -> tuple[bool, dict[str, str]]:
    """Whether every check passes, and each one's ``ok`` or ``failing``, run concurrently."""
    names = list(checks)
    results = await asyncio.gather(*(_one(service, n, checks[n]) for n in names))
    return all(results), {n: "ok" if r else "failing" for n, r in zip(names, results, strict=True)}


def cache_check(settings: CacheSettings, cache: Cache) -> dict[str, ReadyCheck]:
    """``{"redis": ping}`` when ``cache`` is Redis (``settings.redis_url``); nothing for a cache
    in memory, which cannot be down."""
    return {"redis": cache.ping} if settings.redis_url else {}
