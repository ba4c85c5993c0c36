"""The access-control directives in composition: the merge of their lists, and what Apollo's
composition has no answer for. What Apollo does answer is held to its bytes by the ``auth*``
and ``errors_auth*`` fixtures (``test_apollo_fixtures.py``)."""

from __future__ import annotations

import pytest

from gateway.composition import CompositionFailed, SubgraphSource, compose
from gateway.composition.access import dnf_conjunction

FED = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@shareable", "@authenticated", "@requiresScopes", "@policy"])\n'
)


def sub(name: str, sdl: str) -> SubgraphSource:
    return SubgraphSource(name, f"http://127.0.0.1:4200/{name}", FED + sdl)


@pytest.mark.parametrize(
    ("values", "merged"),
    [
        # Every subgraph's requirement must hold: the AND of the ORs, multiplied out.
        ([(("b", "a"), ("c",)), (("d",),)], [["c", "d"], ["a", "b", "d"]]),
        ([(("a",), ("b",)), (("c",), ("d",))], [["a", "c"], ["a", "d"], ["b", "c"], ["b", "d"]]),
        # An AND-list another implies is dropped; an empty list asks nothing.
        ([(("a", "a"), ("b",)), (("b",), ("a",))], [["b"], ["a", "a"]]),
        ([(), (("q",),)], [["q"]]),
        ([((),), (("q",),)], [["q"]]),
        # Sorted as JavaScript sorts strings: by UTF-16 code units.
        (
            [(("B",), ("a",), ("_",), ("1",)), (("c",),)],
            [["1", "c"], ["B", "c"], ["_", "c"], ["a", "c"]],
        ),
        ([(("b", "a"),), (("a", "b"),)], [["a", "b"]]),
    ],
)
def test_different_lists_merge_as_apollos_dnf_conjunction(
    values: list[tuple[tuple[str, ...], ...]], merged: list[list[str]]
) -> None:
    assert dnf_conjunction(values) == merged


def test_lists_apollo_cannot_merge_are_refused_with_a_clear_error() -> None:
    # Apollo's composition throws a TypeError on this; a lone string stands for [["a"]]
    # when it is the only application, and numbers are no scopes.
    with pytest.raises(CompositionFailed) as failure:
        compose(
            [
                sub("a", "type Query { t: Int @shareable @requiresScopes(scopes: [[1]]) }"),
                sub("b", 'type Query { t: Int @shareable @requiresScopes(scopes: [["x"]]) }'),
            ]
        )
    (error,) = failure.value.errors
    assert (error.code, error.coordinate) == ("AUTH_REQUIREMENTS_NOT_MERGEABLE", "Query.t")
    assert "@requiresScopes" in error.message


def test_a_lone_string_merges_as_the_list_graphql_coerces_it_to() -> None:
    supergraph = compose(
        [
            sub("a", 'type Query { t: Int @shareable @requiresScopes(scopes: "x") }'),
            sub("b", 'type Query { t: Int @shareable @requiresScopes(scopes: [["y"]]) }'),
        ]
    )
    assert '  t: Int @requiresScopes(scopes: [["x", "y"]])\n' in supergraph


def test_a_type_and_its_extension_may_not_both_apply_one_directive() -> None:
    with pytest.raises(CompositionFailed) as failure:
        compose(
            [
                sub(
                    "a",
                    "type T @authenticated { x: Int } extend type T @authenticated { y: Int } "
                    "type Query { t: T }",
                )
            ]
        )
    (error,) = failure.value.errors
    assert (error.code, error.subgraph) == ("INVALID_GRAPHQL", "a")


def test_a_directive_without_its_import_keeps_the_federation_prefix() -> None:
    supergraph = compose(
        [
            SubgraphSource(
                "a",
                "http://127.0.0.1:4200/a",
                'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9")\n'
                "type Query { t: Int @federation__authenticated }",
            )
        ]
    )
    assert (
        '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY, '
        'import: [{name: "@authenticated", as: "@federation__authenticated"}])'
    ) in supergraph
    assert "  t: Int @federation__authenticated\n" in supergraph
