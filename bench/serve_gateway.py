"""Our gateway as the benchmark runs it: ``python -m bench.serve_gateway SUPERGRAPH PORT``.

One uvicorn process without access log or supergraph reloading; the other gateway settings come
from ``CROSSDOCK_GATEWAY__*`` as for ``crossdock gateway``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

from crossdock.runner import WS_PER_MESSAGE_DEFLATE
from crossdock.settings import Settings
from gateway.server import create_gateway_app


def main(argv: list[str]) -> None:
    supergraph, port = Path(argv[0]), int(argv[1])
    settings = Settings().gateway.model_copy(update={"reload_interval": 0, "graphiql": False})
    app = create_gateway_app(supergraph, settings)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,  # as crossdock serves it
        proxy_headers=False,  # likewise
    )


if __name__ == "__main__":
    main(sys.argv[1:])
