"""``@defer`` over value types spread over subgraphs (conformance case ``value_types``).

A deferred field that only another subgraph has comes in the deferred part, fetched there by
the re-entry it needs: through the ``Product`` entity above the category, or a root fetch of
its own under the shared ``viewer``. The initial part has neither fetch's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.conformance.cases.value_types import CASE
from tests.gateway.subgraph_kit import Subgraph
from tests.gateway.test_defer import multipart
from tests.support.servers import serve


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[str, dict[str, Subgraph]]]:
    subgraphs = CASE.build()
    with ExitStack() as stack:
        urls = {n: stack.enter_context(serve(s.app)) + "/graphql" for n, s in subgraphs.items()}
        supergraph = parse_supergraph(CASE.supergraph_path.read_text()).with_urls(urls)
        engine = Gateway(supergraph)
        with serve(create_app(engine, GatewaySettings(reload_interval=0))) as url:
            yield url, subgraphs


def test_a_deferred_field_of_the_root_value_type_comes_from_its_own_root_fetch(
    running: tuple[str, dict[str, Subgraph]],
) -> None:
    url, subgraphs = running
    subgraphs["b"].requests.clear()
    with multipart(url, '{ viewer { login ... @defer(label: "b") { theme } } }') as (_, parts):
        assert list(parts) == [
            {"data": {"viewer": {"login": "ada"}}, "hasNext": True},
            {
                "incremental": [{"data": {"theme": "dark"}, "path": ["viewer"], "label": "b"}],
                "hasNext": False,
            },
        ]
    assert [r["query"] for r in subgraphs["b"].requests] == ["{viewer{theme}}"]


def test_a_deferred_field_of_a_value_type_under_an_entity_comes_through_the_entity(
    running: tuple[str, dict[str, Subgraph]],
) -> None:
    url, _ = running
    query = "{ products { name category { name ... @defer { tagline } } } }"
    with multipart(url, query) as (_, parts):
        first, *rest = list(parts)
    assert first == {
        "data": {
            "products": [
                {"name": "Desk", "category": {"name": "Office"}},
                {"name": "Sofa", "category": {"name": "Home"}},
                {"name": "Gift card", "category": None},
            ]
        },
        "hasNext": True,
    }
    incremental = [item for part in rest for item in part["incremental"]]
    assert sorted((tuple(i["path"]), i["data"]["tagline"]) for i in incremental) == [
        (("products", 0, "category"), "Work in comfort"),
        (("products", 1, "category"), "Make yourself at home"),
    ]
    assert rest[-1]["hasNext"] is False
