"""What a refusal at the front door costs: requests per CPU-second the gateway app refuses
(CSRF, a foreign Origin on an event stream or a WebSocket upgrade, a rate limit in memory
or in Redis, fedbench's query over a cost limit or outside the trusted documents, a forged
bearer token), beside one it answers itself (``{ __typename }``: parsed and planned once,
then only caches and the executor; and the same with a verified token).

The app is driven in-process over ASGI, one request at a time, so the figures are the
gateway's own CPU per request (what uvicorn spends parsing HTTP is the same for all) on this
machine, comparable between the rows of one run only::

    .venv/bin/python -m bench.front_door
    .venv/bin/python -m bench.front_door --requests 50000 --redis redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.types import ASGIApp, Message

from gateway.auth import AuthSettings
from gateway.demand import DemandSettings
from gateway.documents import PersistedQuerySettings
from gateway.server import GatewaySettings, create_gateway_app
from gateway.server._rate_limit import RateLimit, RateLimitSettings

SUPERGRAPH = Path(__file__).parent / "fedbench" / "supergraph.graphql"
HOST = [(b"host", b"gateway.example:4000")]
JSON = [(b"content-type", b"application/json")]
EVIL = [(b"origin", b"http://evil.example")]
EVENT_STREAM = [(b"accept", b"text/event-stream")]
TYPENAME = orjson.dumps({"query": "{ __typename }", "operationName": None})
# fedbench's query: 24,420 estimated, over the cost limit set below, and not a trusted document.
FEDBENCH = (Path(__file__).parent / "fedbench" / "body.json").read_bytes()


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


async def call(app: ASGIApp, scope: Any, body: bytes = b"", into: list[bytes] | None = None) -> int:
    """Run one request through ``app``; its status. The client stays until the response has
    been sent, as a real one does: a ``http.disconnect`` before that is a hang-up (499)."""
    status = 0
    first = True
    answered = asyncio.Event()

    async def receive() -> Message:
        nonlocal first
        if scope["type"] == "websocket":
            return {"type": "websocket.connect"}
        if first:
            first = False
            return {"type": "http.request", "body": body, "more_body": False}
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            status = message["status"]
        if message["type"].endswith("response.body"):
            if into is not None:
                into.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)
    return status


def app_with(redis_url: str | None, limit: RateLimit | None, **options: Any) -> ASGIApp:
    settings = GatewaySettings(
        reload_interval=0,
        rate_limits=RateLimitSettings(default=limit),
        redis_url=redis_url,
        redis_prefix=f"crossdock-bench:{uuid.uuid4().hex}:",
        **options,
    )
    return create_gateway_app(SUPERGRAPH, settings)


def signing_key(folder: Path) -> tuple[Ed25519PrivateKey, Path]:
    """A signing key and the JWKS file of its public half."""
    key = Ed25519PrivateKey.generate()
    public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    jwks = folder / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "bench", "alg": "EdDSA"}]}))
    return key, jwks


def bearer(key: Ed25519PrivateKey) -> list[tuple[bytes, bytes]]:
    now = int(time.time())
    claims = {"sub": "bench", "iss": "bench", "aud": "bench", "iat": now, "exp": now + 3600}
    token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": "bench"})
    return [(b"authorization", f"Bearer {token}".encode())]


def trusted_manifest(folder: Path) -> Path:
    """Apollo's manifest allowing ``{ __typename }`` only."""
    body = "{ __typename }"
    operation = {
        "id": hashlib.sha256(body.encode()).hexdigest(),
        "name": "Typename",
        "type": "query",
        "body": body,
    }
    path = folder / "manifest.json"
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [operation]}
        )
    )
    return path


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
    print(f"{name:<56} {count / spent:>10,.0f} /CPU-s {spent / count * 1e6:>8.1f} µs each")


def post_typename(app: ASGIApp) -> Callable[[], Awaitable[int]]:
    return lambda: call(app, http_scope("POST", JSON), TYPENAME)


async def run(count: int, redis_url: str | None, folder: Path) -> None:
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
    cheap = app_with(None, None, demand=DemandSettings(max=1_000))
    trusted = app_with(
        None,
        None,
        persisted_queries=PersistedQuerySettings(
            trusted_documents="enforce", manifest=trusted_manifest(folder)
        ),
    )
    key, jwks = signing_key(folder)
    verifying = app_with(
        None, None, auth=AuthSettings(jwks=str(jwks), issuer="bench", audience="bench")
    )
    valid, forged = bearer(key), bearer(Ed25519PrivateKey.generate())
    cases += [
        (
            "refused: fedbench's query over a cost limit of 1,000",
            lambda: call(cheap, http_scope("POST", JSON), FEDBENCH),
            200,
        ),
        (
            "refused: fedbench's query, not a trusted document",
            lambda: call(trusted, http_scope("POST", JSON), FEDBENCH),
            200,
        ),
        (
            "answered: POST { __typename }, a verified token",
            lambda: call(verifying, http_scope("POST", JSON + valid), TYPENAME),
            200,
        ),
        (
            "refused: a token signed by another key (401)",
            lambda: call(verifying, http_scope("POST", JSON + forged), TYPENAME),
            401,
        ),
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
    # What the refusals that answer 200 say: the code a client sees.
    for app, code in (
        (cheap, "COST_ESTIMATED_TOO_EXPENSIVE"),
        (trusted, "QUERY_NOT_IN_SAFELIST"),
    ):
        answer: list[bytes] = []
        await call(app, http_scope("POST", JSON), FEDBENCH, answer)
        codes = [e["extensions"]["code"] for e in orjson.loads(b"".join(answer))["errors"]]
        assert codes == [code], codes
    for name, request, expected in cases:
        await per_cpu_second(name, request, expected, count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20_000, help="per case (default 20000)")
    parser.add_argument("--redis", default=None, help="also a Redis-backed limit at this URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crossdock-front-door-") as folder:
        asyncio.run(run(args.requests, args.redis, Path(folder)))


if __name__ == "__main__":
    main()
