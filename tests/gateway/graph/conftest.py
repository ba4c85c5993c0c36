"""The gateway serving the distribution graph over the session's subgraphs on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from crossdock.settings import Settings
from crossdock.stack import compose_live_supergraph
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from tests.gateway.conftest import supergraph_with_urls
from tests.support.servers import serve

# Tighter than the defaults so that the limits are cheap to reach; reloading is off.
MAX_BODY_BYTES = 64_000
MAX_DEPTH = 12
MAX_ALIASES = 16
MAX_TOKENS = 2_000
GRAPH_GATEWAY_SETTINGS = GatewaySettings(
    max_body_bytes=MAX_BODY_BYTES,
    max_depth=MAX_DEPTH,
    max_aliases=MAX_ALIASES,
    max_tokens=MAX_TOKENS,
    reload_interval=0,
)


def graph_supergraph(settings: Settings, urls: dict[str, str]) -> str:
    """The composed distribution graph, routed to ``urls`` (subgraph name → base URL)."""
    return supergraph_with_urls(
        compose_live_supergraph(settings), {n: f"{u}/graphql" for n, u in urls.items()}
    )


@pytest.fixture(scope="session")
def subgraph_urls(
    settings: Settings, crm_subgraph_url: str, erp_subgraph_url: str, wms_subgraph_url: str
) -> Iterator[dict[str, str]]:
    """Base URLs of every subgraph of the graph: the session's, and our own of the others."""
    urls = {"crm": crm_subgraph_url, "erp": erp_subgraph_url, "wms": wms_subgraph_url}
    with ExitStack() as stack:
        for name in SUBGRAPH_NAMES:
            if name not in urls:
                urls[name] = stack.enter_context(
                    serve(create_subgraph_app(name, settings.subgraphs))
                )
        yield urls


@pytest.fixture(scope="session")
def graph_supergraph_file(
    settings: Settings, subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("graph") / "supergraph.graphql"
    path.write_text(graph_supergraph(settings, subgraph_urls))
    return path


@pytest.fixture(scope="session")
def graph_gateway_url(graph_supergraph_file: Path) -> Iterator[str]:
    """Base URL of a gateway serving the distribution graph (``/graphql`` on it)."""
    with serve(create_gateway_app(graph_supergraph_file, GRAPH_GATEWAY_SETTINGS)) as url:
        yield url
