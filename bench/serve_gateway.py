"""Our gateway as the benchmark runs it: ``python -m bench.serve_gateway SUPERGRAPH PORT``.

Served as ``crossdock gateway`` serves it (``crossdock.runner.run``: uvloop, start-up objects
frozen out of the cyclic GC), without supergraph reloading or GraphiQL; the other gateway
settings come from ``CROSSDOCK_GATEWAY__*`` as for ``crossdock gateway``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.gc_watch import install as watch_gc
from bench.gc_watch import thresholds
from crossdock.runner import Service, run
from crossdock.settings import Settings
from gateway.server import create_gateway_app


def main(argv: list[str]) -> None:
    watch_gc()
    supergraph, port = Path(argv[0]), int(argv[1])
    settings = Settings().gateway.model_copy(update={"reload_interval": 0, "graphiql": False})
    app = create_gateway_app(supergraph, settings)
    run([Service("gateway", app, "127.0.0.1", port, "/graphql")], gc_thresholds=thresholds())


if __name__ == "__main__":
    main(sys.argv[1:])
