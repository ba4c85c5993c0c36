"""What a refusal at the front door costs: requests per CPU-second the gateway app refuses
(CSRF, a foreign Origin on an event stream or a WebSocket upgrade, a rate limit in memory
or in Redis), beside one it answers itself (``{ __typename }``: parsed and planned once,
then only caches and the executor).

The app is driven in-process over ASGI, one request at a time, so the figures are the
gateway's own CPU per request (what uvicorn spends parsing HTTP is the same for all) on this
machine, comparable between the rows of one run only::

    .venv/bin/python -m bench.front_door
    .venv/bin/python -m bench.front_door --requests 50000 --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from starlette.types import ASGIApp, Message

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.server._rate_limit import RateLimit, RateLimitSettings
from gateway.supergraph import parse_supergraph

SUPERGRAPH = Path(__file__).parent / "fedbench" / "supergraph.graphql"
HOST = [(b"host", b"gateway.example:4000")]
JSON = [(b"content-type", b"application/json")]
EVIL = [(b"origin", b"http://evil.example")]
EVENT_STREAM = [(b"accept", b"text/event-stream")]
TYPENAME = orjson.dumps({"query": "{ __typename }", "operationName": None})


def http_scope(method: str, headers: list[tuple[bytes, bytes]], query: bytes = b"") -> Any:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": query,
        "root_path": "",
        "headers": HOST + headers,
        "client": ("203.0.113.7", 50000),
        "server": ("127.0.0.1", 4000),
    }


def ws_scope() -> Any:
    return {
        **http_scope("GET", EVIL),
        "type": "websocket",
        "scheme": "ws",
        "subprotocols": ["graphql-transport-ws"],
        "extensions": {"websocket.http.response": {}},
    }


async def call(app: ASGIApp, scope: Any, body: bytes = b"") -> int:
    """Run one request through ``app``; its status."""
    status = 0
    first = True

    async def receive() -> Message:
        nonlocal first
        if scope["type"] == "websocket":
            return {"type": "websocket.connect"}
        if first:
            first = False
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            status = message["status"]

    await app(scope, receive, send)
    return status


def app_with(redis_url: str | None, limit: RateLimit | None) -> ASGIApp:
    settings = GatewaySettings(
        reload_interval=0,
        rate_limits=RateLimitSettings(default=limit),
        redis_url=redis_url,
        redis_prefix=f"crossdock-bench:{uuid.uuid4().hex}:",
    )
    return create_app(Gateway(parse_supergraph(SUPERGRAPH.read_text())), settings)


async def per_cpu_second(
    name: str, request: Callable[[], Awaitable[int]], expected: int, count: int
) -> None:
    for _ in range(min(500, count)):
        status = await request()
        assert status == expected, f"{name}: {status}, not {expected}"
    started = time.process_time()
    for _ in range(count):
        await request()
    spent = time.process_time() - started
    print(f"{name:<50} {count / spent:>10,.0f} /CPU-s {spent / count * 1e6:>8.1f} µs each")


def post_typename(app: ASGIApp) -> Callable[[], Awaitable[int]]:
    return lambda: call(app, http_scope("POST", JSON), TYPENAME)


async def run(count: int, redis_url: str | None) -> None:
    roomy = RateLimit(capacity=10**12, interval=1)
    # One token, spent by the warm-up: every request measured is refused.
    spent = RateLimit(capacity=1, interval=3600)
    unlimited, limited = app_with(None, None), app_with(None, spent)
    await post_typename(limited)()
    health = {**http_scope("GET", []), "path": "/health", "raw_path": b"/health"}
    cases: list[tuple[str, Callable[[], Awaitable[int]], int]] = [
        ("the app's floor: GET /health", lambda: call(unlimited, dict(health)), 200),
        ("answered: POST { __typename }, no rate limit", post_typename(unlimited), 200),
        (
            "answered: the same within a rate limit (memory)",
            post_typename(app_with(None, roomy)),
            200,
        ),
        (
            "refused: CSRF (GET, no preflight header)",
            lambda: call(unlimited, http_scope("GET", [], b"query=%7B__typename%7D")),
            400,
        ),
        (
            "refused: foreign Origin, event stream",
            lambda: call(unlimited, http_scope("POST", JSON + EVENT_STREAM + EVIL), TYPENAME),
            403,
        ),
        ("refused: foreign Origin, WebSocket upgrade", lambda: call(unlimited, ws_scope()), 403),
        ("refused: rate limit (memory)", post_typename(limited), 429),
    ]
    if redis_url is not None:
        shared = app_with(redis_url, spent)
        await post_typename(shared)()
        cases += [
            (
                "answered: within a rate limit (Redis)",
                post_typename(app_with(redis_url, roomy)),
                200,
            ),
            ("refused: rate limit (Redis)", post_typename(shared), 429),
        ]
    for name, request, expected in cases:
        await per_cpu_second(name, request, expected, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20_000, help="per case (default 20000)")
    parser.add_argument("--redis", default=None, help="also a Redis-backed limit at this URL")
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.redis))


if __name__ == "__main__":
    main()
