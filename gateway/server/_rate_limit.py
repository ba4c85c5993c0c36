"""Rate limits: a token bucket per client and operation, checked before the engine sees the
request, on every transport (HTTP POST and GET, event streams, each WebSocket ``subscribe``).

An operation with a limit of its own (``operations``, by its ``operationName``) has a bucket
of its own per client; every other operation of that client draws on the client's one
``default`` bucket. Names are the client's to choose, so renaming an operation only ever
lands it in the shared default bucket: naming a thousand operations buys nothing.

Buckets live in Redis when the gateway has a ``redis_url`` (one limit for every process
sharing it), else in this process. When Redis cannot answer, ``on_redis_error`` decides:
``open`` (the default) lets requests through, since a limit that takes the graph down with
its store protects nothing; ``closed`` refuses them. Either way Redis is left alone for a
second after a failure, so a dead Redis costs no request a timeout.

Refusals, before the operation is parsed::

    RATE_LIMITED             429 with Retry-After (``extensions.retryAfter`` on a WebSocket)
    RATE_LIMIT_UNAVAILABLE   503 with Retry-After: Redis is down and ``on_redis_error: closed``
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from gateway.server._buckets import (
    Buckets,
    Decision,
    MemoryBuckets,
    RedisBuckets,
    retry_after_seconds,
)
from gateway.server._clients import ClientIdentity, TrustedProxies, identify
from gateway.wire import GraphQLError, GraphQLRequest

__all__ = [
    "RATE_LIMITED",
    "RATE_LIMIT_UNAVAILABLE",
    "RateLimit",
    "RateLimitSettings",
    "RateLimiter",
    "Refusal",
]

log = logging.getLogger("gateway.server.rate_limit")

RATE_LIMITED = "RATE_LIMITED"
RATE_LIMIT_UNAVAILABLE = "RATE_LIMIT_UNAVAILABLE"
# Seconds Redis is left alone after it failed to answer.
_REDIS_BACKOFF = 1.0


class RateLimit(BaseModel):
    """``capacity`` requests per ``interval`` seconds, in bursts of up to ``capacity``."""

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    capacity: int = Field(gt=0, description="requests in a burst", examples=[100])
    interval: float = Field(
        gt=0, description="seconds in which capacity requests are allowed", examples=[60.0]
    )

    @property
    def rate(self) -> float:
        """Tokens a second."""
        return self.capacity / self.interval


class RateLimitSettings(BaseModel):
    """``CROSSDOCK_GATEWAY__RATE_LIMITS__*``; see ``docs/browsers-and-rate-limits.md``."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    default: RateLimit | None = Field(
        default=None,
        description="each client's bucket for the operations without a limit of their own; "
        "unset: unlimited",
    )
    operations: dict[str, RateLimit] = Field(
        default_factory=dict,
        description="a bucket per client for each of these operation names",
        examples=[{"SubmitOrder": {"capacity": 10, "interval": 60.0}}],
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description='proxies (CIDRs, "10.0.0.0/8") whose X-Forwarded-For is believed',
    )
    on_redis_error: Literal["open", "closed"] = Field(
        default="open",
        description="with Redis unreachable, let requests through (open) or refuse them with "
        "503 RATE_LIMIT_UNAVAILABLE (closed)",
    )
    redis_timeout: float = Field(
        default=0.25,
        gt=0,
        description="seconds a bucket's round trip to Redis may take before it counts as down",
    )

    @property
    def enabled(self) -> bool:
        return self.default is not None or bool(self.operations)


@dataclass(frozen=True)
class Refusal:
    """A request the limits refuse: its status over HTTP, code, message and Retry-After."""

    status: int
    code: str
    message: str
    retry_after: int

    def error(self) -> GraphQLError:
        return {
            "message": self.message,
            "extensions": {"code": self.code, "retryAfter": self.retry_after},
        }

    def response(self) -> Response:
        return Response(
            orjson.dumps({"errors": [self.error()]}),
            status_code=self.status,
            media_type="application/json",
            headers={"retry-after": str(self.retry_after)},
        )


def _limited(decision: Decision) -> Refusal:
    seconds = retry_after_seconds(decision)
    return Refusal(429, RATE_LIMITED, f"Rate limit exceeded; retry in {seconds} s.", seconds)


_UNAVAILABLE = Refusal(
    503,
    RATE_LIMIT_UNAVAILABLE,
    "Rate limits cannot be checked now (their store does not answer); retry shortly.",
    1,
)


class RateLimiter:
    """The limits of one app; its buckets are shared by all of its transports."""

    def __init__(
        self, settings: RateLimitSettings, *, redis_url: str | None, redis_prefix: str
    ) -> None:
        self.settings = settings
        self.proxies = TrustedProxies(settings.trusted_proxies)
        self.buckets: Buckets | None = None
        if settings.enabled:
            self.buckets = (
                RedisBuckets(redis_url, f"{redis_prefix}rate:", settings.redis_timeout)
                if redis_url
                else MemoryBuckets()
            )
        self._redis_down_until: float | None = None

    async def aclose(self) -> None:
        if self.buckets is not None:
            await self.buckets.aclose()

    def _bucket(self, operation_name: object) -> tuple[str, RateLimit] | None:
        if isinstance(operation_name, str):
            own = self.settings.operations.get(operation_name)
            if own is not None:
                return f"op:{operation_name}", own
        if self.settings.default is None:
            return None
        return "default", self.settings.default

    async def check(self, identity: ClientIdentity, operation_name: object) -> Refusal | None:
        """``None`` when the request may go on (a token was taken), else why not."""
        if self.buckets is None:
            return None
        bucket = self._bucket(operation_name)
        if bucket is None:
            return None
        name, limit = bucket
        decision = await self._take(f"{identity.key}:{name}", limit)
        if decision is None:
            return _UNAVAILABLE if self.settings.on_redis_error == "closed" else None
        return None if decision.allowed else _limited(decision)

    async def _take(self, key: str, limit: RateLimit) -> Decision | None:
        """The bucket's decision; ``None`` when its store (Redis) did not answer."""
        assert self.buckets is not None
        down_until = self._redis_down_until
        if down_until is not None and time.monotonic() < down_until:
            return None
        try:
            decision = await self.buckets.take(key, limit.capacity, limit.rate)
        except (RedisError, OSError) as error:
            if down_until is None:
                log.warning(
                    "rate limits: Redis does not answer (%s); requests are %s until it does",
                    error,
                    "let through" if self.settings.on_redis_error == "open" else "refused",
                )
            self._redis_down_until = time.monotonic() + _REDIS_BACKOFF
            return None
        if down_until is not None:
            log.warning("rate limits: Redis answers again")
            self._redis_down_until = None
        return decision

    async def check_http(self, request: Request, body: GraphQLRequest) -> Response | None:
        """``None`` when an HTTP request (JSON or event stream) may go on, else its 429/503."""
        if self.buckets is None:
            return None
        refusal = await self.check(identify(request.scope, self.proxies), body.get("operationName"))
        return None if refusal is None else refusal.response()

    async def check_subscribe(
        self, scope: Scope, request: GraphQLRequest
    ) -> list[GraphQLError] | None:
        """``None`` when a WebSocket ``subscribe`` may go on, else the ``error`` payload."""
        if self.buckets is None:
            return None
        # The WebSocket's scope: its peer and upgrade headers, and the subject once verified.
        refusal = await self.check(identify(scope, self.proxies), request.get("operationName"))
        return None if refusal is None else [refusal.error()]
