"""Two gateway processes writing their metrics into one ``PROMETHEUS_MULTIPROC_DIR``, as the
workers of ``crossdock gateway --workers N`` do: either one's ``/metrics`` counts both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from telemetry.metrics import MULTIPROCESS_DIR_ENV
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.metrics import scrape
from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

QUERY = "query Members { orgs { name members { name } } }"


@contextmanager
def gateway_process(supergraph: Path, values: Path) -> Iterator[str]:
    port = reserve_port()
    env = {**os.environ, MULTIPROCESS_DIR_ENV: str(values)}
    for name in ("REDIS_URL", "CROSSDOCK_REDIS_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "crossdock.cli", "gateway", "--supergraph", str(supergraph)]
    proc = subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        cwd=values.parent,  # no ./crossdock.toml of the repository's
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, "crossdock gateway exited"
            try:
                return httpx.get(f"{url}/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(up, timeout=60, what="crossdock gateway")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err


def test_either_worker_answers_for_both(
    run_subgraphs: Callable[..., Running], tmp_path: Path
) -> None:
    _, urls = run_subgraphs("entities", entities.build)
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    values = tmp_path / "metrics"
    values.mkdir()
    with ExitStack() as stack:
        first, second = (stack.enter_context(gateway_process(supergraph, values)) for _ in "12")
        for url, times in ((first, 3), (second, 2)):
            for _ in range(times):
                answer = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=10)
                assert "errors" not in answer.json()
        for url in (first, second):
            samples = scrape(url)
            operations = "graphql_server_operation_duration_seconds_count"
            assert samples.value(operations, graphql_operation_name="Members") == 5
            assert samples.value("subgraph_fetch_duration_seconds_count", subgraph="orgs") == 5
            assert samples.value("crossdock_gateway_requests_total") == 5
            # The same document in each: parsed and planned once per process.
            assert samples.value("crossdock_gateway_plans_built_total") == 2
            assert samples.value("crossdock_gateway_websocket_connections") == 0
