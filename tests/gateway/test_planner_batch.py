"""Merged entity fetches (``gateway.planner._batch``) as the subgraphs and the client see them:
on fedbench, one ``_entities`` call per subgraph and level, each representation sent once
across the paths that asked, and a failed merged call reported at every path it served."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bench.fedbench_subgraphs import FEDBENCH, fedbench_subgraphs
from gateway import Gateway
from gateway.planner import Flatten, iter_fetches
from gateway.supergraph import parse_supergraph
from gateway.wire import GraphQLRequest
from tests.gateway.conftest import Running


@pytest.fixture
def fedbench(run_subgraphs: Callable[..., Running]) -> Running:
    return run_subgraphs("fedbench", fedbench_subgraphs)


def gateway_over(urls: dict[str, str]) -> Gateway:
    supergraph = parse_supergraph((FEDBENCH / "supergraph.graphql").read_text())
    return Gateway(supergraph.with_urls(urls))


def body() -> GraphQLRequest:
    loaded: GraphQLRequest = json.loads((FEDBENCH / "body.json").read_text())
    return loaded


def representations(request: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = request.get("variables", {}).get("representations", [])
    return found


async def test_each_subgraph_gets_one_entities_call_per_level_with_no_repeated_representation(
    fedbench: Running,
) -> None:
    subgraphs, urls = fedbench
    gateway = gateway_over(urls)
    try:
        outcome = await gateway.execute(body())
    finally:
        await gateway.aclose()
    assert "errors" not in outcome.response
    calls = {name: len(s.requests) for name, s in subgraphs.items()}
    # accounts: users, then authors (two paths); products: topProducts, then products at three
    # paths; reviews: users' and top products' reviews at once; inventory: all four paths at
    # the last level (the top products' postponed to join the others).
    assert calls == {"accounts": 2, "products": 2, "reviews": 1, "inventory": 1}
    for subgraph in subgraphs.values():
        for request in subgraph.requests:
            reps = representations(request)
            keys = [json.dumps(r, sort_keys=True) for r in reps]
            assert len(keys) == len(set(keys)), request
    # The reviews call carries users and products alike: one call across types.
    (reviews,) = subgraphs["reviews"].requests
    assert {r["__typename"] for r in representations(reviews)} == {"User", "Product"}


def test_the_plan_lists_every_path_of_a_merged_fetch(fedbench: Running) -> None:
    _, urls = fedbench
    gateway = gateway_over(urls)
    plan = gateway.plan(body()["query"])
    merged = [n for n in _flattens(plan.node) if n.batch and n.node.service == "products"]
    (products,) = merged
    assert [".".join(p.path) for p in products.batch] == [
        "users.@.reviews.@.product",
        "users.@.reviews.@.product.reviews.@.author.reviews.@.product",
        "topProducts.@.reviews.@.author.reviews.@.product",
    ]
    assert len(list(iter_fetches(plan.node))) == 6


def _flattens(node: Any) -> list[Flatten]:
    if isinstance(node, Flatten):
        return [node]
    return [f for child in getattr(node, "nodes", ()) for f in _flattens(child)]


async def test_a_failed_merged_call_is_reported_at_every_path_it_served(
    fedbench: Running,
) -> None:
    subgraphs, urls = fedbench
    subgraphs["products"].down = True
    gateway = gateway_over(urls)
    try:
        outcome = await gateway.execute(body())
    finally:
        await gateway.aclose()
    errors = outcome.response["errors"]
    located = sorted(
        (e["path"], e["extensions"]["code"])
        for e in errors
        if e["extensions"].get("serviceName") == "products"
    )
    # The root fetch (topProducts), and one error per path of the merged entity call, at the
    # deepest path its objects there share: as if each path had been fetched alone.
    assert located == [
        (["topProducts"], "SUBGRAPH_ERROR"),
        (["users"], "SUBGRAPH_ERROR"),
        (["users"], "SUBGRAPH_ERROR"),
    ]
    data = outcome.response["data"]
    assert data is not None and data["topProducts"] is None
    first_product = data["users"][0]["reviews"][0]["product"]
    assert first_product is None or first_product.get("name") is None


def test_a_deferred_part_keeps_its_own_fetches(fedbench: Running) -> None:
    _, urls = fedbench
    gateway = gateway_over(urls)
    together = "{ users { reviews { body } } topProducts { reviews { body } } }"
    deferred = "{ users { reviews { body } } topProducts { ... @defer { reviews { body } } } }"
    merged = [f for f in _flattens(gateway.plan(together).node) if f.node.service == "reviews"]
    assert [[p.path for p in f.batch] for f in merged] == [[("users", "@"), ("topProducts", "@")]]
    plan = gateway.plan(deferred)
    initial = [f for f in _flattens(plan.node) if f.node.service == "reviews"]
    assert [(f.path, f.batch) for f in initial] == [(("users", "@"), ())]
    (part,) = plan.deferred
    later = [f for f in _flattens(part.node) if f.node.service == "reviews"]
    assert [(f.path, f.batch) for f in later] == [(("topProducts", "@"), ())]
