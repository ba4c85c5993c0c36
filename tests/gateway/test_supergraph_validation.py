"""A supergraph whose join directives the planner could not use is refused at parse time."""

from __future__ import annotations

import pytest

from gateway.supergraph import SupergraphError, parse_supergraph
from tests.gateway.conformance.case import Case
from tests.gateway.conformance.cases import ALL_CASES, abstract_fields, entities

ENTITIES = entities.CASE.supergraph_path.read_text()
ABSTRACT = abstract_fields.CASE.supergraph_path.read_text()

REQUIRES = 'requires: "owner { name ... on Company { staff } ... on Person { age } }"'
PROVIDES = 'provides: "... on Book { title } ... on Film { title }"'

BROKEN = {
    "key-does-not-parse": (
        ENTITIES.replace('key: "region number")', 'key: "region { number")', 1),
        'key of Account in accounts: field set "region { number" does not parse',
    ),
    "key-field-missing": (
        ENTITIES.replace('key: "region number")', 'key: "region nope")', 1),
        "Account.nope does not exist",
    ),
    "key-object-without-selection": (
        ENTITIES.replace('key: "holder { id } kind")', 'key: "holder kind")', 1),
        "Badge.holder is of type User and needs a selection",
    ),
    "key-leaf-with-selection": (
        ENTITIES.replace('key: "region number")', 'key: "region { x } number")', 1),
        "Account.region is a leaf and cannot have a selection",
    ),
    "key-fragment-spread": (
        ENTITIES.replace('key: "region number")', 'key: "...F")', 1),
        "fragment spreads are not allowed",
    ),
    "type-names-unknown-graph": (
        ENTITIES.replace("@join__type(graph: LEDGER,", "@join__type(graph: NOPE,", 1),
        "@join__type on Account names graph NOPE, which is not a value of join__Graph",
    ),
    "field-names-unknown-graph": (
        ENTITIES.replace(
            "statements: Int @join__field(graph: LEDGER)",
            "statements: Int @join__field(graph: NOPE)",
        ),
        "@join__field on Account.statements names graph NOPE",
    ),
    "requires-field-missing": (
        ABSTRACT.replace(REQUIRES, REQUIRES.replace("{ age }", "{ shoeSize }")),
        "@requires of Book.fee in shipping: .* Person.shoeSize does not exist",
    ),
    "requires-does-not-parse": (
        ABSTRACT.replace(REQUIRES, 'requires: "owner {"'),
        "does not parse",
    ),
    "provides-type-condition-unknown": (
        ABSTRACT.replace(PROVIDES, PROVIDES.replace("Film", "Opera")),
        "type Opera is not defined",
    ),
}


@pytest.mark.parametrize("broken", list(BROKEN), ids=list(BROKEN))
def test_broken_join_directives_are_refused(broken: str) -> None:
    sdl, message = BROKEN[broken]
    assert sdl not in (ENTITIES, ABSTRACT), "the replacement did not apply"
    with pytest.raises(SupergraphError, match=message.replace("{", r"\{").replace("(", r"\(")):
        parse_supergraph(sdl)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.name)
def test_every_conformance_supergraph_passes(case: Case) -> None:
    parse_supergraph(case.supergraph_path.read_text())
