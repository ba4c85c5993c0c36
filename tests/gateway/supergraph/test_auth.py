"""The auth directives read out of a supergraph: each place they apply, the names their
``@link`` gives them, GraphQL's input coercion of their arguments, interfaces folded."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.supergraph import NO_AUTHORIZATION, Requirement, SupergraphError, parse_supergraph

ROOT = Path(__file__).resolve().parents[3]
APOLLO = ROOT / "tests/gateway/authorization/apollo"
HANDWRITTEN = ROOT / "tests/gateway/authorization/handwritten.graphql"
SIGNED_IN = Requirement(authenticated=True)


def scopes(*any_of: tuple[str, ...]) -> Requirement:
    return Requirement(scopes=(tuple(frozenset(names) for names in any_of),))


def test_each_place_an_apollo_composed_supergraph_applies_them() -> None:
    authorization = parse_supergraph(
        (APOLLO / "directives/supergraph.graphql").read_text()
    ).authorization
    assert authorization.of_field("Query", "me") == SIGNED_IN
    assert authorization.of_field("Query", "users") == scopes(
        ("users:read", "users:list"), ("staff",)
    )
    assert authorization.of_field("Query", "public") is None
    assert authorization.of_field("User", "email") == scopes(("email",))  # billing's field
    assert authorization.of_type("Secret") == scopes(("secret",))  # a scalar
    assert authorization.of_type("Tier") == Requirement(  # an enum
        policies=((frozenset({"tiers"}), frozenset({"everything"})),)
    )
    assert authorization.of_type("Doc") == SIGNED_IN  # an object
    assert authorization.of_type("Node") == SIGNED_IN  # Apollo wrote Doc's onto its interface
    assert authorization.of_type("Dog") == scopes(("dogs",))
    assert authorization.of_type("User") is None
    assert authorization.policies == {"tiers", "everything", "hr"}
    assert authorization.applied == ("@authenticated", "@policy", "@requiresScopes")


def test_renamed_imports_are_read_under_their_names() -> None:
    authorization = parse_supergraph(
        (APOLLO / "renamed/supergraph.graphql").read_text()
    ).authorization
    assert authorization.of_field("Query", "me") == SIGNED_IN
    assert authorization.of_field("Query", "secret") == scopes(("secret",))
    assert authorization.of_field("Query", "ruled") == Requirement(
        policies=((frozenset({"rule"}),),)
    )


def test_a_spec_renamed_with_as_and_arguments_coerced_as_graphql_input() -> None:
    authorization = parse_supergraph(HANDWRITTEN.read_text()).authorization
    # requiresScopes linked as "scopes": @scopes; scopes: "geometry" is [["geometry"]].
    assert authorization.of_field("Shape", "area") == scopes(("geometry",))
    assert authorization.of_type("Mutation") == scopes(("write",))


def test_an_interface_asks_what_each_implementation_asks() -> None:
    authorization = parse_supergraph(HANDWRITTEN.read_text()).authorization
    assert authorization.of_type("Thing") == scopes(("guarded",))
    assert authorization.of_type("Open") is None
    assert authorization.of_type("Shape") == SIGNED_IN


def test_a_supergraph_without_them_has_none() -> None:
    source = (ROOT / "tests/gateway/conformance/supergraphs/entities.graphql").read_text()
    authorization = parse_supergraph(source).authorization
    assert authorization is NO_AUTHORIZATION
    assert not authorization


def test_a_requirement_is_an_and_of_or_lists() -> None:
    required = scopes(("a", "b"), ("c",)) & Requirement(authenticated=True)
    assert required.met(True, frozenset({"a", "b"}), frozenset())
    assert required.met(True, frozenset({"c"}), frozenset())
    assert not required.met(True, frozenset({"a"}), frozenset())
    assert not required.met(False, frozenset({"c"}), frozenset())
    both = scopes(("a",)) & scopes(("b",), ("c",))
    assert both.met(False, frozenset({"a", "c"}), frozenset())
    assert not both.met(False, frozenset({"a"}), frozenset())
    policy = Requirement(policies=((frozenset({"p"}),),))
    assert policy.met(False, frozenset(), frozenset({"p"}))
    assert not policy.met(True, frozenset({"p"}), frozenset())


@pytest.mark.parametrize("value", ["[[1]]", "null", '{a: "FOO"}', '[["a", 2]]', "[null]"])
def test_a_requirement_that_is_not_strings_is_refused_not_read_as_none(value: str) -> None:
    # Read leniently, each would be an empty AND-list: met by every caller, the field open.
    sdl = (APOLLO / "directives/supergraph.graphql").read_text()
    written = '[["users:read", "users:list"], ["staff"]]'
    assert written in sdl
    with pytest.raises(SupergraphError, match="its argument must be lists of strings"):
        parse_supergraph(sdl.replace(written, value))
