"""Composition equals ``@apollo/composition`` byte for byte: the cost and auth fixtures, the
errors Apollo refuses its ``errors_*`` fixtures with, and every conformance case's supergraph
(``apollo/README.md``)."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import tests.gateway.conformance.cases as conformance_cases
from gateway.composition import CompositionFailed, SubgraphSource, compose
from gateway.supergraph import SupergraphError, parse_supergraph
from tests.gateway.composition.strawberry_auth import FIXTURE as STRAWBERRY_FIXTURE
from tests.gateway.composition.strawberry_auth import service_sdls
from tests.gateway.composition.unservable import UNSERVABLE
from tests.gateway.conformance.case import Case

FIXTURES = Path(__file__).parent / "apollo"


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


def _fixtures(*, failing: bool) -> list[str]:
    return sorted(
        p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("errors_") == failing
    )


def _sources(folder: Path) -> list[SubgraphSource]:
    return [
        SubgraphSource(p.stem, f"http://127.0.0.1:4000/{p.stem}", p.read_text())
        for p in sorted((folder / "subgraphs").glob("*.graphql"))
    ]


@pytest.mark.parametrize("fixture", _fixtures(failing=False))
def test_fixtures_compose_to_apollos_bytes(fixture: str) -> None:
    folder = FIXTURES / fixture
    _same(compose(_sources(folder)), (folder / "supergraph.graphql").read_text())


@pytest.mark.parametrize("fixture", _fixtures(failing=True))
def test_fixtures_apollo_refuses_are_refused_with_its_errors(fixture: str) -> None:
    folder = FIXTURES / fixture
    with pytest.raises(CompositionFailed) as failure:
        compose(_sources(folder))
    ours = "".join(
        f"{e.code} [{e.subgraph}] {e.message}\n" if e.subgraph else f"{e.code} {e.message}\n"
        for e in failure.value.errors
    )
    _same(ours, (folder / "errors.txt").read_text())


@pytest.mark.parametrize("fixture", sorted(set(_fixtures(failing=False)) - UNSERVABLE))
def test_the_gateway_loads_every_fixture_supergraph(fixture: str) -> None:
    supergraph = parse_supergraph((FIXTURES / fixture / "supergraph.graphql").read_text())
    assert supergraph.subgraphs


@pytest.mark.parametrize("fixture", sorted(UNSERVABLE))
def test_the_gateway_refuses_a_supergraph_whose_requirements_it_cannot_read(fixture: str) -> None:
    with pytest.raises(SupergraphError, match=r"cannot enforce: @\w+ on \w+\.\w+: its argument"):
        parse_supergraph((FIXTURES / fixture / "supergraph.graphql").read_text())


def test_strawberry_prints_the_sdl_the_strawberry_fixture_composes() -> None:
    """Our subgraphs annotate with Strawberry's directives; what it prints for them is the
    SDL ``auth_strawberry`` composes, as Apollo composes it."""
    for name, sdl in service_sdls().items():
        assert (STRAWBERRY_FIXTURE / "subgraphs" / f"{name}.graphql").read_text() == sdl


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.name)
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
