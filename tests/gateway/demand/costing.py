"""Supergraphs and helpers the demand control tests share: subgraphs that use the cost spec,
composed as ``crossdock compose`` composes them, and an estimate in one call."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from graphql import parse, validate

from gateway.composition import SubgraphSource, compose
from gateway.demand import DemandControl, DemandSettings
from gateway.executor import shape_response
from gateway.planner import select_operation
from gateway.supergraph import Supergraph, parse_supergraph

__all__ = ["actual", "books", "cost_fixture", "estimate", "shapes"]

FED29 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@external", "@requires", "@shareable", "@cost", "@listSize"])\n'
)

# Apollo's documentation example (docs/source/routing/security/demand-control.mdx).
BOOKS = """
type Query {
  book(id: ID): Book
  bestsellers: [Book] @listSize(assumedSize: 5)
  newestAdditions(after: ID, limit: Int!): [Book] @listSize(slicingArguments: ["limit"])
}
type Book { title: String author: Author publisher: Publisher }
type Author { name: String }
type Publisher { name: String address: Address }
type Address ADDRESS_COST { zipCode: Int! }
"""

# Every kind of type and list the estimate treats differently.
SHAPES = """
enum Color { RED GREEN }
interface Named { name: String }
type Person implements Named @key(fields: "id") {
  id: ID!
  name: String
  color: Color
  friends: [Person]
  pets: [Pet]
  address: Address @shareable
}
type Address @shareable { zip: String city: City }
type City @shareable { name: String }
type Dog { name: String }
type Cat { name: String }
union Pet = Dog | Cat
input Filter { color: Color tags: [String] nested: Filter }
type Page { items: [Person] total: Int }
type Results { page: [Person] metadata: String }
type Deep { results: Results page: [Person] }
type Query {
  me: Person
  named: Named
  pet: Pet
  people(filter: Filter): [Person]
  scalars: [Int]
  colors: [Color]
  page(first: Int = 5): Page @listSize(slicingArguments: ["first"], sizedFields: ["items"])
  deep(first: Int = 10): Deep @listSize(slicingArguments: ["first"], sizedFields: ["page"])
  byIds(ids: [ID!]!, first: Int): [Person] @listSize(slicingArguments: ["first"])
  search(input: Filter, first: Int): [Person]
    @listSize(slicingArguments: ["first"], assumedSize: 4, requireOneSlicingArgument: false)
}
type Mutation { rename(name: String!): Person }
"""

SHIPPING = """
type Person @key(fields: "id") {
  id: ID!
  address: Address @external
  shipping: Int @requires(fields: "address { city { name } }")
}
type Address @shareable { zip: String city: City }
type City @shareable { name: String }
"""

APOLLO = Path(__file__).parents[1] / "composition" / "apollo"


def _composed(*subgraphs: tuple[str, str]) -> Supergraph:
    sources = [
        SubgraphSource(name, f"http://127.0.0.1:4000/{name}", FED29 + sdl)
        for name, sdl in subgraphs
    ]
    return parse_supergraph(compose(sources))


@cache
def books(address_cost: bool = True) -> Supergraph:
    sdl = BOOKS.replace("ADDRESS_COST", "@cost(weight: 5)" if address_cost else "")
    return _composed(("books", sdl))


# What Apollo Router reads but @apollo/composition (2.14) refuses to compose: a path in
# sizedFields, a list as slicing argument. A supergraph may carry them (another composer, an
# edit), so the shapes' supergraph is edited to have them.
_ROUTER_ONLY = {
    'sizedFields: ["page"]': 'sizedFields: ["results { page }", "page"]',
    "byIds(ids: [ID!]!, first: Int): [Person] @join__field(graph: PEOPLE) "
    '@listSize(slicingArguments: ["first"])': "byIds(ids: [ID!]!, first: Int): [Person] "
    '@join__field(graph: PEOPLE) @listSize(slicingArguments: ["ids"])',
}


@cache
def shapes() -> Supergraph:
    sources = [
        SubgraphSource(name, f"http://127.0.0.1:4000/{name}", FED29 + sdl)
        for name, sdl in (("people", SHAPES), ("shipping", SHIPPING))
    ]
    sdl = compose(sources)
    for composed, edited in _ROUTER_ONLY.items():
        assert composed in sdl, composed
        sdl = sdl.replace(composed, edited)
    return parse_supergraph(sdl)


@cache
def cost_fixture(name: str = "cost") -> Supergraph:
    """A supergraph ``@apollo/composition`` composed (``composition/apollo/<name>``)."""
    return parse_supergraph((APOLLO / name / "supergraph.graphql").read_text())


def estimate(
    supergraph: Supergraph,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    list_size: int = 10,
) -> float:
    """The estimated cost of a (valid) ``query``, demand control's defaults otherwise."""
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    control = DemandControl(DemandSettings(list_size=list_size))
    return control.estimate(supergraph, select_operation(document, None), variables or {})


def actual(
    supergraph: Supergraph,
    query: str,
    data: dict[str, Any] | None,
    variables: dict[str, Any] | None = None,
) -> float:
    """The actual cost of ``data`` answering ``query``; checks on the way that the cost the
    executor's shaper measures while it shapes ``data`` is the walk's over what it shaped."""
    document = parse(query)
    assert validate(supergraph.api_schema, document) == []
    operation = select_operation(document, None)
    control = DemandControl()
    if data is not None:
        meter = control.meter(supergraph, operation, variables or {})
        assert meter is not None
        shaped = shape_response(
            supergraph.api_schema, operation, variables or {}, data, [], meter=meter
        )
        assert meter.measured == control.actual(supergraph, operation, shaped, variables or {})
    return control.actual(supergraph, operation, data, variables or {})
