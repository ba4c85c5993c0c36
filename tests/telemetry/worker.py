"""One process of the multiprocess tests: serves ``telemetry.metrics`` on a port of its own,
which it prints; ``GET /work`` is timed like any request, and each process sets its gauge."""

from __future__ import annotations

import socket

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from telemetry.metrics import HttpServerMetrics, Metrics, metrics_route


async def work(request: Request) -> Response:
    return PlainTextResponse("done")


def main() -> None:
    metrics = Metrics()
    # livesum: the processes alive now, whichever answers the scrape.
    metrics.gauge("test_processes_up", "processes serving").set(1)
    app = Starlette(
        routes=[Route("/work", work), metrics_route(metrics)],
        middleware=[Middleware(HttpServerMetrics, metrics=metrics)],
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
