"""Our gateway as the benchmark runs it: ``python -m bench.serve_gateway SUPERGRAPH PORT``.

Served as ``crossdock gateway`` serves it (``crossdock.runner.run``: uvloop, start-up objects
frozen out of the cyclic GC, its young-generation threshold raised), without supergraph
reloading or GraphiQL; the other gateway settings come from ``CROSSDOCK_GATEWAY__*`` as for
``crossdock gateway``. A third argument sets another young-generation threshold
(``bench.gc_thresholds`` compares them).
"""

from __future__ import annotations

import sys
from pathlib import Path

from crossdock.runner import YOUNG_COLLECTION_THRESHOLD, Service, run
from crossdock.settings import Settings
from gateway.server import create_gateway_app


def main(argv: list[str]) -> None:
    supergraph, port = Path(argv[0]), int(argv[1])
    young = int(argv[2]) if len(argv) > 2 else YOUNG_COLLECTION_THRESHOLD
    settings = Settings().gateway.model_copy(update={"reload_interval": 0, "graphiql": False})
    app = create_gateway_app(supergraph, settings)
    run([Service("gateway", app, "127.0.0.1", port, "/graphql")], young_collection_threshold=young)


if __name__ == "__main__":
    main(sys.argv[1:])
