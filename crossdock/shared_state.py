"""Where the graph keeps its shared state, said in one line at start, and checked first.

With ``REDIS_URL`` the cache, idempotency records, workflow state, events and the gateway's
shared state live in Redis; without, in each process's memory. ``crossdock up`` says which
(the URL without its password), and a Redis that does not answer is one line naming it and
what to do, before any service starts, rather than a traceback from the first one that
needs it.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis

__all__ = ["redis_problem", "state_line", "without_password"]

_PING_TIMEOUT = 2.0


def without_password(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def state_line(redis_url: str | None) -> str:
    """The one line ``crossdock up`` prints about where shared state lives."""
    if redis_url is None:
        return (
            "state: in memory (REDIS_URL unset): each process keeps its own, and a restart "
            "forgets it"
        )
    return f"state: Redis at {without_password(redis_url)}"


def redis_problem(redis_url: str) -> str | None:
    """``None`` when Redis answers at ``redis_url``; else one line saying what is wrong."""
    client = redis.Redis.from_url(
        redis_url, socket_connect_timeout=_PING_TIMEOUT, socket_timeout=_PING_TIMEOUT
    )
    try:
        client.ping()
    except redis.AuthenticationError as error:
        why = f"it refused the credentials ({error})"
    except redis.RedisError as error:
        why = f"it does not answer ({error})"
    else:
        return None
    finally:
        client.close()
    return (
        f"Redis at {without_password(redis_url)}: {why}. Start it, fix REDIS_URL, or unset "
        "REDIS_URL to keep state in memory"
    )
