"""Composition equals ``@apollo/composition`` byte for byte: the cost fixtures and every
conformance case's supergraph (``apollo/README.md``)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import tests.gateway.conformance.cases as conformance_cases
from gateway.composition import SubgraphSource, compose
from tests.gateway.conformance.case import Case

FIXTURES = Path(__file__).parent / "apollo"

# Conformance cases our composition still refuses (known gaps, not about formatting):
# an @interfaceObject providing a field every implementation marks @external, and a
# non-shareable field required in two subgraphs.
_NOT_YET_COMPOSED = {"interface_object", "requires_conflict"}


def _cases() -> list[Case]:
    found = []
    for module in pkgutil.iter_modules(conformance_cases.__path__):
        case = getattr(
            importlib.import_module(f"{conformance_cases.__name__}.{module.name}"), "CASE", None
        )
        if isinstance(case, Case):
            found.append(case)
    return found


def _same(ours: str, apollos: str) -> None:
    if ours != apollos:
        diff = "".join(
            difflib.unified_diff(
                apollos.splitlines(keepends=True), ours.splitlines(keepends=True), "apollo", "ours"
            )
        )
        raise AssertionError(f"composition differs from Apollo's:\n{diff}")


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()))
def test_cost_fixtures_compose_to_apollos_bytes(fixture: str) -> None:
    folder = FIXTURES / fixture
    sources = [
        SubgraphSource(p.stem, f"http://127.0.0.1:4000/{p.stem}", p.read_text())
        for p in sorted((folder / "subgraphs").glob("*.graphql"))
    ]
    _same(compose(sources), (folder / "supergraph.graphql").read_text())


@pytest.mark.parametrize(
    "case", [c for c in _cases() if c.name not in _NOT_YET_COMPOSED], ids=lambda c: c.name
)
def test_conformance_supergraphs_compose_to_apollos_bytes(case: Case) -> None:
    apollos = case.supergraph_path.read_text()
    urls = dict(re.findall(r'@join__graph\(name: "([^"]+)", url: "([^"]+)"\)', apollos))
    sources = [SubgraphSource(name, urls[name], sdl) for name, sdl in case.sdls.items()]
    _same(compose(sources), apollos)


def test_subgraph_order_does_not_matter() -> None:
    folder = FIXTURES / "cost"
    sources = [
        SubgraphSource(p.stem, f"http://127.0.0.1:4000/{p.stem}", p.read_text())
        for p in sorted((folder / "subgraphs").glob("*.graphql"))
    ]
    assert compose(sources[::-1]) == compose(sources)
