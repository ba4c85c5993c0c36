"""Fail closed: a supergraph that links a feature ``for: SECURITY`` or ``for: EXECUTION`` the
gateway does not implement is refused at load, in one line naming it, as the link spec
requires; any other unknown feature is only ignored, and every supergraph we serve loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.supergraph import SupergraphError, parse_supergraph
from tests.gateway.composition.unservable import UNSERVABLE

ROOT = Path(__file__).resolve().parents[3]
DIRECTIVES = ROOT / "tests/gateway/authorization/apollo/directives/supergraph.graphql"
LINK_LINE = '  @link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)\n'


def with_link(link: str) -> str:
    """The directives supergraph with one more ``@link`` on its schema."""
    source = DIRECTIVES.read_text()
    assert LINK_LINE in source
    return source.replace(LINK_LINE, LINK_LINE + f"  {link}\n")


@pytest.mark.parametrize(
    "url",
    [
        # Apollo composes @context/@fromContext so; the planner does not pass context arguments.
        "https://specs.apollo.dev/context/v0.1",
        "https://specs.apollo.dev/requiresScopes/v0.2",
        "https://specs.apollo.dev/join/v0.9",
        "https://example.com/masking/v1.0",
        "https://example.com/not-a-versioned-feature",
    ],
)
@pytest.mark.parametrize("purpose", ["SECURITY", "EXECUTION"])
def test_an_unimplemented_feature_for_security_or_execution_is_refused(
    url: str, purpose: str
) -> None:
    with pytest.raises(SupergraphError) as raised:
        parse_supergraph(with_link(f'@link(url: "{url}", for: {purpose})'))
    assert str(raised.value) == (
        f"supergraph links {url} for {purpose}, which this gateway does not implement"
    )


@pytest.mark.parametrize(
    "link",
    [
        '@link(url: "https://example.com/masking/v1.0")',
        '@link(url: "https://specs.apollo.dev/context/v0.1")',
        '@link(url: "https://example.com/anything", as: "thing")',
    ],
)
def test_an_unknown_feature_without_a_purpose_still_loads(link: str) -> None:
    supergraph = parse_supergraph(with_link(link))
    assert supergraph.authorization


def test_a_fed1_core_feature_for_security_is_refused_too() -> None:
    fed1 = """
schema
  @core(feature: "https://specs.apollo.dev/core/v0.2")
  @core(feature: "https://specs.apollo.dev/join/v0.1", for: EXECUTION)
  @core(feature: "https://example.com/vault/v0.1", for: SECURITY)
{ query: Query }
directive @core(feature: String!, as: String, for: core__Purpose) repeatable on SCHEMA
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE
directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | INTERFACE
directive @join__field(graph: join__Graph, requires: join__FieldSet) on FIELD_DEFINITION
enum core__Purpose { SECURITY EXECUTION }
scalar join__FieldSet
enum join__Graph { A @join__graph(name: "a", url: "http://a") }
type Query { hello: String @join__field(graph: A) }
"""
    with pytest.raises(SupergraphError, match=r"vault/v0\.1 for SECURITY"):
        parse_supergraph(fed1)
    parse_supergraph(fed1.replace(", for: SECURITY", ""))


SERVED = sorted(
    [
        ROOT / "schema/supergraph.graphql",
        ROOT / "bench/fedbench/supergraph.graphql",
        *ROOT.glob("tests/gateway/conformance/supergraphs/*.graphql"),
        *(
            path
            for path in ROOT.glob("tests/gateway/composition/apollo/*/supergraph.graphql")
            if path.parent.name not in UNSERVABLE
        ),
        *ROOT.glob("tests/gateway/authorization/apollo/*/supergraph.graphql"),
    ]
)


@pytest.mark.parametrize("path", SERVED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_supergraph_we_serve_still_loads(path: Path) -> None:
    parse_supergraph(path.read_text())
