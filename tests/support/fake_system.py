"""A fake reference system on loopback that misbehaves on demand, clients pointed at it, and
the fixtures that serve it (re-exported by the conftest of each test package that uses them)."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.http import SystemClient
from tests.support.servers import serve

# Short enough to keep the timeout tests fast, long enough for a loopback answer.
CLIENT_TIMEOUT = 0.5
# For tests about something else: the answer of a loaded machine still comes in time.
PATIENT_TIMEOUT = 10.0
MAX_RETRY_AFTER = 0.05


@dataclass
class FakeSystem:
    """What the fake system saw: one (path, query string) per request, and hits per path."""

    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)
    # Requests to ``/slow`` (which never answers) whose client gave up and hung up.
    hung_up: int = 0
    _seen_keys: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hits(self, path: str) -> int:
        with self._lock:
            return Counter(seen for seen, _ in self.requests)[path]

    def queries(self, path: str) -> list[str]:
        with self._lock:
            return [query for seen, query in self.requests if seen == path]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._seen_keys.clear()
            self.hung_up = 0

    def abandoned(self) -> int:
        """Requests to ``/slow`` whose client hung up."""
        with self._lock:
            return self.hung_up

    def _hung_up(self) -> None:
        with self._lock:
            self.hung_up += 1

    def first_time(self, key: str) -> bool:
        with self._lock:
            new = key not in self._seen_keys
            self._seen_keys.add(key)
            return new

    def app(self) -> ASGIApp:
        async def item(request: Request) -> Response:
            item_id = request.path_params["item_id"]
            if item_id == "missing":
                return JSONResponse({"error": "not found"}, status_code=404)
            return JSONResponse({"id": item_id, "name": f"Item {item_id}"})

        async def items(request: Request) -> Response:
            ids = request.query_params.get("ids", "").split(",")
            found = [{"id": i, "name": f"Item {i}"} for i in ids if i and i != "missing"]
            return JSONResponse({"items": found, "count": len(found)})

        async def unavailable(request: Request) -> Response:
            return PlainTextResponse("upstream exploded at line 42", status_code=503)

        async def not_json(request: Request) -> Response:
            return PlainTextResponse("<html>maintenance</html>")

        async def bad_request(request: Request) -> Response:
            return JSONResponse({"error": "unknown filter"}, status_code=400)

        async def flaky(request: Request) -> Response:
            # 429 with Retry-After: 1 the first time a key is asked for, then an answer.
            if self.first_time(request.query_params.get("key", "")):
                return JSONResponse({}, status_code=429, headers={"Retry-After": "1"})
            return JSONResponse({"ok": True})

        async def limited(request: Request) -> Response:
            return JSONResponse({}, status_code=429, headers={"Retry-After": "1"})

        async def burst(request: Request) -> Response:
            # 429 with Retry-After: 1 to the first ``times`` requests of a query string.
            query = request.url.query
            if self.queries("/burst").count(query) <= int(request.query_params["times"]):
                return JSONResponse({}, status_code=429, headers={"Retry-After": "1"})
            return JSONResponse({"ok": True})

        async def echo(request: Request) -> Response:
            return JSONResponse({"received": await request.json()}, status_code=201)

        async def conflict(request: Request) -> Response:
            return JSONResponse({"error": "duplicate"}, status_code=409)

        async def empty(request: Request) -> Response:
            return Response(status_code=204)

        async def big(request: Request) -> Response:
            # 2 KiB of JSON, its length declared.
            return JSONResponse({"items": ["x" * 100] * 20})

        async def endless(request: Request) -> Response:
            # A JSON list that never ends, sent in chunks without a declared length.
            async def chunks() -> AsyncIterator[bytes]:
                yield b'{"items": ['
                while True:
                    yield b'"' + b"x" * 1000 + b'",'
                    await asyncio.sleep(0)

            return StreamingResponse(chunks(), media_type="application/json")

        routes = [
            Route("/items/{item_id}", item),
            Route("/items", items),
            Route("/unavailable", unavailable),
            Route("/not-json", not_json),
            Route("/bad-request", bad_request),
            Route("/flaky", flaky),
            Route("/limited", limited),
            Route("/burst", burst),
            Route("/echo", echo, methods=["POST"]),
            Route("/conflict", conflict, methods=["POST"]),
            Route("/empty", empty),
            Route("/big", big),
            Route("/endless", endless),
            Route("/slow", _NeverAnswers(self._hung_up)),
        ]
        starlette = Starlette(routes=routes)

        async def counting(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                with self._lock:
                    self.requests.append((scope["path"], scope["query_string"].decode()))
            await starlette(scope, receive, send)

        return counting


class _NeverAnswers:
    """An ASGI app that waits until the client gives up and hangs up, so shutdown never waits."""

    def __init__(self, hung_up: Callable[[], None]) -> None:
        self.hung_up = hung_up

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self.hung_up()


@pytest.fixture(scope="session")
def fake_system_server() -> Iterator[FakeSystem]:
    system = FakeSystem()
    with serve(system.app()) as url:
        system.url = url
        yield system


@pytest.fixture
def fake_system(fake_system_server: FakeSystem) -> FakeSystem:
    fake_system_server.reset()
    return fake_system_server


def fake_system_client(
    system: FakeSystem,
    *,
    max_retries: int,
    max_retry_after: float = MAX_RETRY_AFTER,
    rng: random.Random | None = None,
    timeout: float = CLIENT_TIMEOUT,
) -> SystemClient:
    """A client of the fake system, with the short timeout of the timeout tests unless told."""
    return SystemClient(
        "erp",
        system.url,
        timeout=timeout,
        max_retries=max_retries,
        max_retry_after=max_retry_after,
        rng=rng,
    )


@pytest.fixture
async def client(fake_system: FakeSystem) -> AsyncIterator[SystemClient]:
    client = fake_system_client(fake_system, max_retries=2)
    yield client
    await client.aclose()
