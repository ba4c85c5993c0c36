"""``@interfaceObject`` types whose keys are ``resolvable: false`` (after the
non-resolvable-interface-object suite of the Guild's gateway audit).

b has ``Asset`` as an interface object with a key it cannot be entered at: ``Asset.label``
is b's alone, so it can be answered where b returns the assets itself (``labelled``), and
nowhere else. a's ``asset`` returns the interface, which no type implements: ``asset { label }``
is refused at planning (``data: null``, a stable code), since no fetch can reach b's field.
``Item`` is the other way round: an interface object in a (key not resolvable), an entity
interface b owns, whose real type only b can tell."""

from __future__ import annotations

from typing import Any

from tests.gateway.conformance.case import Case, Query, fed2
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

A = fed2("""
type Query { asset: Asset item: Item! }
interface Asset @key(fields: "id") { id: ID! }
type Item @key(fields: "id", resolvable: false) @interfaceObject { id: ID! }
""")

B = fed2("""
type Query { labelled: Asset }
type Asset @key(fields: "id", resolvable: false) @interfaceObject { id: ID! label: String }
interface Item @key(fields: "id") { id: ID! }
type Book implements Item @key(fields: "id") { id: ID! title: String! }
""")

BOOKS = {"i1": {"__typename": "Book", "id": "i1", "title": "Dune"}}


def build() -> dict[str, Subgraph]:
    return {
        "a": make_subgraph(
            "a",
            A,
            resolvers={"Query": {"asset": lambda *_: None, "item": lambda *_: {"id": "i1"}}},
        ),
        "b": make_subgraph(
            "b",
            B,
            resolvers={"Query": {"labelled": lambda *_: {"id": "n1", "label": "first"}}},
            entities={"Item": lambda r: BOOKS.get(r["id"]), "Book": lambda r: BOOKS.get(r["id"])},
        ),
    }


def _refused(coordinate: str, reason: str) -> dict[str, Any]:
    return {
        "data": None,
        "errors": [
            {
                "message": f"Query planning failed at {coordinate}: {reason}",
                "extensions": {"code": "QUERY_PLANNING_FAILED"},
            }
        ],
    }


CASE = Case(
    name="interface_object_unresolvable",
    sdls={"a": A, "b": B},
    build=build,
    queries=(
        Query(
            "the interface object's own fields, where it returns the objects",
            "{ labelled { id label } }",
            {"data": {"labelled": {"id": "n1", "label": "first"}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "its field through a key it cannot be entered at: refused",
            "{ asset { label } }",
            _refused(
                "Asset.label",
                "a has no object type of Asset, nor the field; "
                "no key leads to the subgraphs that have it (b)",
            ),
            fetches=0,
            apollo_fetches=0,
            apollo={"data": {"asset": None}},
            apollo_note=(
                "Apollo answers null without a fetch (no type implements Asset); the field "
                "cannot be fetched from any subgraph, which we refuse as the audit expects"
            ),
        ),
        Query(
            "the field a has on the interface: asked, though no object can come back",
            "{ asset { id } }",
            {"data": {"asset": None}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "an interface object's key field, where it returns the objects",
            "{ item { id } }",
            {"data": {"item": {"id": "i1"}}},
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "the real type from the owner of the interface",
            "{ item { __typename ... on Book { id title } } }",
            {"data": {"item": {"__typename": "Book", "id": "i1", "title": "Dune"}}},
            fetches=2,
            apollo_fetches=2,
        ),
    ),
)
