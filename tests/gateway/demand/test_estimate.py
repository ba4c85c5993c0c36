"""The estimate of an operation, Apollo Router's algorithm: every rule, with numbers worked by
hand (and Apollo's documentation's own examples)."""

from __future__ import annotations

import time

import pytest

from gateway.composition import SubgraphSource, compose
from gateway.demand import CostError
from gateway.supergraph import Supergraph, parse_supergraph
from tests.gateway.demand.costing import APOLLO, FED29, books, cost_fixture, estimate, shapes

BOOK_QUERY = """query BookQuery {
  book(id: 1) { title author { name } publisher { name address { zipCode } } }
}"""
BESTSELLERS = """query BestsellersQuery {
  bestsellers { title author { name } publisher { name address { zipCode } } }
}"""
NEWEST = """query NewestAdditions($limit: Int!) {
  newestAdditions(limit: $limit) { title author { name } publisher { name address { zipCode } } }
}"""


def test_apollos_documented_examples() -> None:
    # 1 book + 1 author + 1 publisher + 1 address; then the address weighs 5.
    assert estimate(books(address_cost=False), BOOK_QUERY) == 4
    assert estimate(books(), BOOK_QUERY) == 8
    # 5 bestsellers (assumed size) of 8 each; the newest additions by their limit.
    assert estimate(books(), BESTSELLERS) == 40
    assert estimate(books(), NEWEST, {"limit": 3}) == 24
    assert estimate(books(), NEWEST, {"limit": 7}) == 56


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        pytest.param("{ me { name color } }", 1, id="object-1-scalar-and-enum-0"),
        pytest.param("{ named { name } }", 1, id="interface-1"),
        pytest.param("{ pet { ... on Dog { name } } }", 1, id="union-1"),
        pytest.param("{ scalars colors }", 0, id="lists-of-scalars-and-enums-0"),
        pytest.param("{ people { name } }", 10, id="list-default-size"),
        pytest.param("{ people { friends { name } } }", 110, id="nested-lists-multiply"),
        pytest.param(
            "{ me { pets { ... on Dog { name } ... on Cat { name } } } }", 11, id="union-list"
        ),
        pytest.param("{ __typename me { __typename } }", 1, id="typename-is-free"),
        pytest.param("{ __schema { types { name } } }", 0, id="introspection-is-free"),
        pytest.param('mutation { rename(name: "x") { name } }', 11, id="mutation-base-10"),
    ],
)
def test_types_and_lists(query: str, cost: float) -> None:
    assert estimate(shapes(), query) == cost


def test_the_default_list_size_is_configurable() -> None:
    assert estimate(shapes(), "{ people { friends { name } } }", list_size=3) == 3 * (1 + 3)


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        # The slicing argument's default, a literal, a variable.
        ("{ page { items { name } total } }", None, 1 + 5),
        ("{ page(first: 2) { items { name } } }", None, 1 + 2),
        ("query($n: Int) { page(first: $n) { items { name } } }", {"n": 7}, 1 + 7),
        # A negative size counts as none (Apollo would subtract).
        ("{ page(first: -50) { items { name } } }", None, 1),
        # A list slicing argument sizes by its length.
        ('{ byIds(ids: ["a", "b", "c"]) { name } }', None, 3),
        ("query($ids: [ID!]!) { byIds(ids: $ids) { name } }", {"ids": ["a"] * 5}, 5),
        ("{ byIds(ids: []) { name } }", None, 0),
        # Without its slicing argument: the assumed size.
        ("{ search { name } }", None, 4),
        ("{ search(first: 2) { name } }", None, 2),
        # Sized fields: a nested path and a direct one, both by the size of `deep`.
        ("{ deep(first: 3) { results { page { name } metadata } page { name } } }", None, 8),
        ("{ deep { results { metadata } } }", None, 2),
    ],
)
def test_list_sizes(query: str, variables: dict[str, object] | None, cost: float) -> None:
    assert estimate(shapes(), query, variables) == cost


def test_slicing_arguments_nested_in_input_objects() -> None:
    # Composition takes argument names only, as Apollo's does; Apollo Router also reads a
    # path into an input object, and so does the gateway, whatever composed the supergraph.
    source = (APOLLO / "cost" / "supergraph.graphql").read_text()
    sliced_by_limit = 'slicingArguments: ["limit"], requireOneSlicingArgument: true'
    assert sliced_by_limit in source
    nested = parse_supergraph(
        source.replace(sliced_by_limit, 'slicingArguments: ["input.page.first"]')
    )
    query = "query($i: SearchInput!) { search(input: $i) { id } }"
    # The input: 6 (its @cost) + text 4 + page 1; then 3 products of 5.
    assert estimate(nested, '{ search(input: {text: "x", page: {first: 3}}) { id } }') == 11 + 15
    assert estimate(nested, query, {"i": {"text": "x", "page": {"first": 2}}}) == 11 + 10
    with pytest.raises(CostError, match="Exactly one slicing argument is required, but found 0"):
        estimate(nested, query, {"i": {"text": "x"}})


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        # Input objects cost 1, their fields and list items what they weigh.
        (
            '{ people(filter: {color: RED, tags: ["a", "b"], nested: {color: GREEN}}) { name } }',
            None,
            10 + 2,
        ),
        (
            "query($f: Filter) { people(filter: $f) { name } }",
            {"f": {"color": "RED", "nested": {"nested": {}}}},
            10 + 3,
        ),
        ("query($f: Filter) { people(filter: $f) { name } }", {"f": None}, 10),
    ],
)
def test_arguments(query: str, variables: dict[str, object] | None, cost: float) -> None:
    assert estimate(shapes(), query, variables) == cost


def test_requires_is_fetched_along() -> None:
    # The address and its city the shipping subgraph requires: 2 objects, though not asked.
    assert estimate(shapes(), "{ me { shipping } }") == 1 + 2


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ me { friends @skip(if: true) { name } } }", None, 1),
        ("{ me { friends @include(if: false) { name } } }", None, 1),
        ("{ me { friends @include(if: true) { name } } }", None, 11),
        ("query($s: Boolean!) { me { friends @skip(if: $s) { name } } }", {"s": True}, 1),
        ("query($s: Boolean!) { me { friends @skip(if: $s) { name } } }", {"s": False}, 11),
        (
            "query($i: Boolean!) { me { ... @include(if: $i) { friends { name } } } }",
            {"i": False},
            1,
        ),
        (
            "query($i: Boolean!) { me { ...F @include(if: $i) } } "
            "fragment F on Person { friends { id } }",
            {"i": True},
            11,
        ),
    ],
)
def test_skip_and_include(query: str, variables: dict[str, object] | None, cost: float) -> None:
    assert estimate(shapes(), query, variables) == cost


def test_fragments_count_each_time_they_are_spread() -> None:
    query = "{ me { ...P ...P ... on Person { name } } } fragment P on Person { friends { id } }"
    assert estimate(shapes(), query) == 1 + 2 * 10


def test_fragments_spread_exponentially_are_costed_at_once() -> None:
    # 2^24 spreads of F0: walking them one by one would take minutes; each fragment is
    # compiled and evaluated once.
    levels = 24
    fragments = "fragment F0 on Person { friends { id } }\n" + "\n".join(
        f"fragment F{i} on Person {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    )
    started = time.monotonic()
    assert estimate(shapes(), f"{{ me {{ ...F{levels} }} }}\n{fragments}") == 1 + 10 * 2**levels
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ expensive }", None, 100),
        # 8 assumed products (5 each) with names weighing 9, the larger of two subgraphs.
        ("{ top { id name } }", None, 8 * (5 + 9)),
        ("{ top(limit: 3) { id name price grade } }", None, 3 * (5 + 9 + 3 + 2)),
        ("query($n: Int) { top(limit: $n) { id } }", {"n": 7}, 7 * 5),
        (
            "{ products(first: 4) { edges { node { id } } nodes { id } total } }",
            None,
            1 + 4 * 6 + 4 * 5,
        ),
        # products(first: 10 by default): edges of a product with 2 reviews and 3 warehouses.
        (
            "{ products { edges { node { reviews(first: 2) { id } warehouses { code } } } } }",
            None,
            1 + 10 * (1 + 5 + 2 + 3),
        ),
        ('mutation { rate(productId: "1", stars: 5) { id } }', None, 10 + 20 + 2),
        (
            '{ search(input: {text: "x", page: {first: 3}}, limit: 2) { id } }',
            None,
            (6 + 4 + 1) + 2 * 5,
        ),
    ],
)
def test_apollo_composed_cost_directives(
    query: str, variables: dict[str, object] | None, cost: float
) -> None:
    assert estimate(cost_fixture(), query, variables) == cost
    # The same supergraph with the directives renamed on import costs the same.
    assert estimate(cost_fixture("cost_renamed"), query, variables) == cost


def test_a_required_slicing_argument_left_out_cannot_be_costed() -> None:
    with pytest.raises(CostError, match="Exactly one slicing argument is required, but found 0"):
        estimate(cost_fixture(), '{ search(input: {text: "x"}) { id } }')


# Two boxes of one type under one connection, each sized by it through a different path.
_BOXES = """
type Item { id: ID }
type Box { items: [Item] other: [Item] }
type Conn { a: Box b: Box list: [Item] }
type Query {
  conn(first: Int = 3): Conn @listSize(slicingArguments: ["first"], sizedFields: ["list"])
}
"""


def _boxes() -> Supergraph:
    sdl = compose([SubgraphSource("boxes", "http://127.0.0.1:4000/boxes", FED29 + _BOXES)])
    composed = 'sizedFields: ["list"]'
    assert composed in sdl
    # Paths in sizedFields are Router-only (see costing._ROUTER_ONLY).
    return parse_supergraph(sdl.replace(composed, 'sizedFields: ["a { items }", "b { other }"]'))


@pytest.mark.parametrize("order", ["a b", "b a"])
def test_a_fragment_is_sized_where_it_is_spread(order: str) -> None:
    # Under a, items is sized by first (2) and other takes the default (10); under b the
    # other way round. A fragment compiled at one place must not be reused at the other:
    # that let `b { ...F }` with F = `items` be costed as 2 instead of 10.
    spreads = " ".join(f"{box} {{ ...F }}" for box in order.split())
    query = f"{{ conn(first: 2) {{ {spreads} }} }} fragment F on Box {{ items {{ id }} }}"
    assert estimate(_boxes(), query) == 1 + (1 + 2) + (1 + 10)
