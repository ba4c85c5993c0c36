"""The actual cost of a response: what it holds, lists by their returned length."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.demand.costing import actual, cost_fixture, estimate, shapes


def people(*friends: int) -> list[dict[str, Any]]:
    return [{"name": f"p{i}", "friends": [{"name": "f"}] * n} for i, n in enumerate(friends)]


@pytest.mark.parametrize(
    ("query", "data", "cost"),
    [
        # Two people, with two friends and none: 2 + 2 objects, whatever the estimate said.
        ("{ people { name friends { name } } }", {"people": people(2, 0)}, 4),
        ("{ people { name } }", {"people": []}, 0),
        ("{ people { name } }", {"people": None}, 0),
        ("{ me { name } }", {"me": None}, 0),
        # Every response key counts, aliased or not.
        ("{ a: people { name } b: people { name } }", {"a": people(0), "b": people(0, 0)}, 3),
        # The input object argument counts once for the field, not for each item.
        ("{ people(filter: {color: RED}) { name } }", {"people": people(0, 0, 0)}, 3 + 1),
        # A mutation's base cost is not what it returned.
        ('mutation { rename(name: "x") { name } }', {"rename": {"name": "x"}}, 1),
    ],
)
def test_what_the_response_holds(query: str, data: dict[str, Any], cost: float) -> None:
    assert actual(shapes(), query, data) == cost


def test_fragments_count_by_the_objects_type() -> None:
    query = "{ named { ... on Person { friends { name } } } me { ...F ...F } } "
    query += "fragment F on Person { friends { name } }"
    data = {
        "named": {"__typename": "Person", "friends": [{"name": "a"}]},
        # The fragment is spread twice: the response holds its friends once.
        "me": {"friends": [{"name": "b"}, {"name": "c"}]},
    }
    assert actual(shapes(), query, data) == (1 + 1) + (1 + 2)


def test_a_fragment_the_typename_rules_out_counts_nothing() -> None:
    query = "{ pet { __typename ... on Dog { name } ... on Cat { name } } }"
    assert actual(shapes(), query, {"pet": {"__typename": "Cat", "name": "Tom"}}) == 1


def test_weights_of_the_supergraph() -> None:
    query = "{ top(limit: 3) { id name price grade } }"
    product = {"id": "1", "name": "n", "price": "1.00", "grade": "A"}
    # Each product 5, its name 9, its price 3, its grade 2: two products came back.
    assert actual(cost_fixture(), query, {"top": [product, product]}) == 2 * 19
    assert estimate(cost_fixture(), query) == 3 * 19
    connection = "{ products(first: 4) { edges { node { id } } } }"
    edges = {"edges": [{"node": {"id": "1"}}, {"node": {"id": "2"}}]}
    assert actual(cost_fixture(), connection, {"products": edges}) == 1 + 2 * (1 + 5)


def test_variables_of_arguments_count() -> None:
    query = "query($i: SearchInput!) { search(input: $i, limit: 2) { id } }"
    variables = {"i": {"text": "x", "page": {"first": 3}}}
    data = {"search": [{"id": "1"}]}
    assert actual(cost_fixture(), query, data, variables) == 5 + (6 + 4 + 1)


def test_what_a_null_took_out_of_the_response_costs_nothing() -> None:
    # ``id`` is non-null: the second friend's null takes the whole ``friends`` list with it,
    # so the response holds one person and a null list (the shaper's measure, checked by
    # ``actual`` against the walk over what it shaped).
    query = "{ people { name friends { id name } pets { ... on Dog { name } } } scalars colors }"
    data = {
        "people": [
            {
                "name": "a",
                "friends": [{"id": "1", "name": "b"}, {"id": None, "name": "c"}],
                "pets": [{"__typename": "Dog", "name": "d"}, {"__typename": "Cat", "name": "e"}],
            }
        ],
        "scalars": [1, 2, 3],
        "colors": ["RED"],
    }
    # The walk over what was sent counts the two friends (3 + 2 pets); after shaping, 3.
    assert actual(shapes(), query, data) == 1 + 2 + 2
