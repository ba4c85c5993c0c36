"""Demand control is configured from ``CROSSDOCK_GATEWAY__DEMAND__*`` and serves as told."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pydantic
import pytest

from crossdock.settings import Settings
from gateway.demand import DemandSettings
from gateway.server import create_gateway_app
from tests.gateway.conformance.cases import entities
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.servers import serve

QUERY = "{ users { badges { holder { id } } } }"  # 10 * (1 + 10 * 2) = 210


@pytest.fixture
def supergraph_file(run_subgraphs: Callable[..., Running], tmp_path: Path) -> Path:
    _, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    return path


def codes(supergraph_file: Path) -> list[str]:
    """The error codes a client gets for ``QUERY`` from a gateway the environment configures."""
    with serve(create_gateway_app(supergraph_file, Settings().gateway)) as url:
        body = httpx.post(f"{url}/graphql", json={"query": QUERY}).json()
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def test_the_defaults(supergraph_file: Path) -> None:
    assert Settings().gateway.demand == DemandSettings()
    assert DemandSettings().model_dump() == {
        "enabled": True,
        "mode": "enforce",
        "max": 50_000,
        "list_size": 10,
        "actual_max": None,
    }
    assert codes(supergraph_file) == []


def test_the_environment_sets_each_key(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__MAX", "200")
    assert codes(supergraph_file) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__LIST_SIZE", "3")  # 3 * (1 + 3 * 2) = 21
    assert codes(supergraph_file) == []
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__ACTUAL_MAX", "5")  # 3 + 6 + 6 came back
    assert codes(supergraph_file) == ["COST_ACTUAL_TOO_EXPENSIVE"]
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__MODE", "measure")
    assert codes(supergraph_file) == []
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__MODE", "enforce")
    monkeypatch.setenv("CROSSDOCK_GATEWAY__DEMAND__ENABLED", "false")
    assert codes(supergraph_file) == []


@pytest.mark.parametrize(
    ("key", "value"), [("MODE", "strict"), ("MAX", "-1"), ("LIST_SIZE", "ten")]
)
def test_a_bad_value_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str
) -> None:
    monkeypatch.setenv(f"CROSSDOCK_GATEWAY__DEMAND__{key}", value)
    with pytest.raises(pydantic.ValidationError, match=key.lower()):
        Settings()
