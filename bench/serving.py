"""The benchmark's upstreams in one process: subgraphs that count calls, optionally memoized.

``python -m bench.serving fedbench|distribution`` serves them on loopback, prints one JSON line
``{"subgraphs": {name: url}}`` once they accept requests, and runs until killed. Each subgraph
answers ``GET /_calls`` with how many GraphQL requests it has had.
"""

from __future__ import annotations

import asyncio
import functools
import json
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.replay import Replayed, ReplayFront

__all__ = ["CountedSubgraph", "main"]


class CountedSubgraph:
    """Counts the ``POST`` requests an app gets; with ``memoize``, answers a body it has seen
    with the same bytes, so that the subgraphs cost next to nothing and gateways are measured."""

    def __init__(self, app: ASGIApp, *, memoize: bool) -> None:
        self.app = app
        self.memoize = memoize
        self.calls = 0
        self.answers: dict[bytes, tuple[int, list[tuple[bytes, bytes]], bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and scope["path"] == "/_calls":
            await _send(
                send, 200, [(b"content-type", b"application/json")], b'{"calls": %d}' % self.calls
            )
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        self.calls += 1
        if not self.memoize:
            await self.app(scope, receive, send)
            return
        body = await _read(receive)
        known = self.answers.get(body)
        if known is not None:
            await _send(send, *known)
            return
        sent: list[Message] = []

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            sent.append(message)
            await send(message)

        await self.app(scope, replay, capture)
        start = next(m for m in sent if m["type"] == "http.response.start")
        if start["status"] == 200:
            content = b"".join(
                m.get("body", b"") for m in sent if m["type"] == "http.response.body"
            )
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            self.answers[body] = (200, headers, content)


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _socket() -> socket.socket:
    # IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (crossdock.runner).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def _serve(
    apps: dict[str, tuple[socket.socket, ASGIApp]], announce: dict[str, str], *, lean: bool
) -> None:
    """Serve every app with uvicorn; with ``lean``, each announced subgraph's socket is a
    :class:`bench.replay.ReplayFront` instead, its app served on a socket of its own behind it."""
    fronts: list[asyncio.Server] = []
    if lean:
        loop = asyncio.get_running_loop()
        for name in announce:
            front, app = apps[name]
            inner = _socket()
            apps[name] = (inner, app)
            replayed = Replayed(_url(inner) + "/graphql")
            front.listen(1024)
            fronts.append(
                await loop.create_server(functools.partial(ReplayFront, replayed), sock=front)
            )
    servers = [
        uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
        for _, app in apps.values()
    ]
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]))
        for server, (sock, _) in zip(servers, apps.values(), strict=True)
    ]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            raise SystemExit("a server failed to start")
        await asyncio.sleep(0.01)
    print(json.dumps({"subgraphs": announce}), flush=True)
    await asyncio.gather(*tasks)


def fedbench(memoize: bool) -> tuple[dict[str, tuple[socket.socket, ASGIApp]], dict[str, str]]:
    """The four fedbench subgraphs (accounts, inventory, products, reviews)."""
    from bench.fedbench_subgraphs import fedbench_subgraphs

    apps: dict[str, tuple[socket.socket, ASGIApp]] = {}
    for name, subgraph in fedbench_subgraphs().items():
        apps[name] = (_socket(), CountedSubgraph(subgraph.app, memoize=memoize))
    return apps, {name: _url(sock) + "/graphql" for name, (sock, _) in apps.items()}


def distribution(
    memoize: bool,
) -> tuple[dict[str, tuple[socket.socket, ASGIApp]], dict[str, str]]:
    """The reference systems (seeded in a temporary folder) and every distribution subgraph."""
    from crossdock.settings import SYSTEM_NAMES, Settings
    from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
    from systems.apps import create_system_app
    from systems.seeding import seed_all

    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="crossdock-bench-")), seed=7)
    seed_all(settings.systems, reset=True)
    systems = {name: _socket() for name in SYSTEM_NAMES}
    settings = settings.model_copy(
        update={f"{name}_url": _url(sock) for name, sock in systems.items()}
    )
    apps: dict[str, tuple[socket.socket, ASGIApp]] = {
        f"{name} system": (sock, create_system_app(name, settings.systems))
        for name, sock in systems.items()
    }
    announce: dict[str, str] = {}
    for name in SUBGRAPH_NAMES:
        sock = _socket()
        apps[name] = (
            sock,
            CountedSubgraph(create_subgraph_app(name, settings.subgraphs), memoize=memoize),
        )
        announce[name] = _url(sock) + "/graphql"
    return apps, announce


GRAPHS: dict[
    str, Callable[[bool], tuple[dict[str, tuple[socket.socket, ASGIApp]], dict[str, str]]]
] = {"fedbench": fedbench, "distribution": distribution}


def main(argv: list[str]) -> None:
    """``GRAPH [--memoize [--uvicorn-replay]]``: memoized answers come from a lean front
    (:mod:`bench.replay`) unless ``--uvicorn-replay`` (through uvicorn, as before it)."""
    graph, memoize = argv[0], "--memoize" in argv
    apps, announce = GRAPHS[graph](memoize)
    asyncio.run(_serve(apps, announce, lean=memoize and "--uvicorn-replay" not in argv))


if __name__ == "__main__":
    main(sys.argv[1:])
