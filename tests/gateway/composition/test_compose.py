"""Composition: Apollo's supergraph for fedbench, federation features, and every error class."""

from __future__ import annotations

import pytest
from graphql import parse, print_ast

from bench.fedbench_subgraphs import FEDBENCH
from gateway.composition import CompositionFailed, SubgraphSource, compose

FED2 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@override", '
    '"@inaccessible", "@interfaceObject"])\n'
)


def sub(name: str, sdl: str, *, fed2: bool = True) -> SubgraphSource:
    return SubgraphSource(name, f"http://127.0.0.1:4200/{name}", (FED2 if fed2 else "") + sdl)


def composed(*sources: SubgraphSource) -> str:
    return compose(list(sources))


def errors_of(*sources: SubgraphSource) -> list[tuple[str, str | None, str | None]]:
    with pytest.raises(CompositionFailed) as failure:
        compose(list(sources))
    return [(e.code, e.subgraph, e.coordinate) for e in failure.value.errors]


def type_block(supergraph: str, header: str) -> str:
    start = supergraph.index(header)
    return supergraph[start : supergraph.index("\n}", start) + 2]


def test_fedbench_composes_to_apollos_supergraph() -> None:
    sources = [
        SubgraphSource(p.stem, f"http://127.0.0.1:4200/{p.stem}", p.read_text())
        for p in sorted((FEDBENCH / "sdl").glob("*.graphql"))
    ]
    ours = print_ast(parse(compose(sources)))
    apollos = print_ast(parse((FEDBENCH / "supergraph.graphql").read_text()))
    assert ours == apollos


def test_strawberry_machinery_is_stripped_and_link_imports_are_honoured() -> None:
    sdl = (
        'schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
        'import: [{name: "@key", as: "@primaryKey"}, "@shareable"]) { query: Query }\n'
        'type Account @primaryKey(fields: "id") { id: ID! name: String! }\n'
        "type Money @shareable { amount: String! }\n"
        "type Query { _entities(representations: [_Any!]!): [_Entity]! _service: _Service! "
        "account(id: ID!): Account }\n"
        "scalar _Any\nunion _Entity = Account\ntype _Service { sdl: String! }\n"
    )
    supergraph = composed(SubgraphSource("crm", "http://crm/graphql", sdl))
    assert "_entities" not in supergraph and "_Service" not in supergraph
    assert '@join__type(graph: CRM, key: "id")' in type_block(supergraph, "type Account")
    parse(supergraph)


def test_value_type_fields_in_only_some_subgraphs_get_join_fields() -> None:
    supergraph = composed(
        sub(
            "a",
            "type Money @shareable { amount: String! currency: String! } type Query { a: Money }",
        ),
        sub("b", "type Money @shareable { amount: String! } type Query { b: Money }"),
    )
    money = type_block(supergraph, "type Money")
    assert "amount: String!\n" in money
    assert "currency: String! @join__field(graph: A)" in money


def test_differing_nullability_takes_the_general_type_and_records_each() -> None:
    supergraph = composed(
        sub(
            "a",
            'type P @key(fields: "id") { id: ID! name: String! @shareable } type Query { p: P }',
        ),
        sub("b", 'type P @key(fields: "id") { id: ID! name: String @shareable }'),
    )
    block = type_block(supergraph, "type P")
    assert (
        'name: String @join__field(graph: A, type: "String!") '
        '@join__field(graph: B, type: "String")\n' in block
    )


def test_override_drops_the_old_definition_unless_it_is_still_a_key() -> None:
    supergraph = composed(
        sub("a", 'type P @key(fields: "id") { id: ID! total: Int } type Query { p: P }'),
        sub(
            "b",
            'type P @key(fields: "id") { id: ID! total: Int @override(from: "a") '
            'code: String @override(from: "gone") }',
        ),
    )
    block = type_block(supergraph, "type P")
    assert 'total: Int @join__field(graph: B, override: "a")' in block
    # "gone" no longer defines the field: the override stays recorded, nothing else changes.
    assert 'code: String @join__field(graph: B, override: "gone")' in block


def test_overridden_key_field_is_kept_as_used_overridden() -> None:
    supergraph = composed(
        sub("a", 'type P @key(fields: "sku") { sku: String! } type Query { p: P }'),
        sub("b", 'type P @key(fields: "id") { id: ID! sku: String! @override(from: "a") }'),
    )
    block = type_block(supergraph, "type P")
    assert "@join__field(graph: A, usedOverridden: true)" in block
    assert '@join__field(graph: B, override: "a")' in block


def test_interface_object_fields_reach_every_implementation() -> None:
    supergraph = composed(
        sub(
            "media",
            'interface Media @key(fields: "id") { id: ID! title: String! } '
            'type Book implements Media @key(fields: "id") { id: ID! title: String! } '
            "type Query { media: [Media] }",
        ),
        sub(
            "reviews",
            'type Media @key(fields: "id") @interfaceObject { id: ID! reviews: [String!]! }',
        ),
    )
    media = type_block(supergraph, "interface Media")
    assert '@join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)' in media
    assert "reviews: [String!]! @join__field(graph: REVIEWS)" in media
    book = type_block(supergraph, "type Book")
    # As Apollo writes it: a bare join, the field is reached through the interface object.
    assert "reviews: [String!]! @join__field\n" in book
    assert '@join__implements(graph: MEDIA, interface: "Media")' in book


def test_federation1_extensions_and_implicit_sharing() -> None:
    supergraph = composed(
        sub(
            "users",
            'type User @key(fields: "id") { id: ID! name: String } type Query { me: User }',
            fed2=False,
        ),
        sub(
            "reviews",
            'extend type User @key(fields: "id") { id: ID! @external reviews: [String] } '
            "type Money { amount: Int } extend type Query { money: Money }",
            fed2=False,
        ),
    )
    block = type_block(supergraph, "type User")
    assert '@join__type(graph: REVIEWS, key: "id", extension: true)' in block


def test_inaccessible_elements_bring_the_inaccessible_link() -> None:
    supergraph = composed(
        sub(
            "a",
            "type Query { a(secret: Int @inaccessible): Int hidden: Int @inaccessible }\n"
            "enum Color { RED GREEN @inaccessible } type T { c: Color }",
        )
    )
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in supergraph
    assert (
        "hidden: Int @join__field(graph: A) @inaccessible" not in supergraph
    )  # one subgraph: no join
    assert "hidden: Int @inaccessible" in supergraph
    assert "secret: Int @inaccessible" in supergraph
    # Apollo applies @inaccessible before the join directives of fields and values.
    assert "GREEN @inaccessible @join__enumValue(graph: A)" in supergraph


def test_enum_merging_follows_its_usage() -> None:
    output_only = composed(
        sub("a", "enum S { X Y } type Query { a: S }"),
        sub("b", "enum S { X Z } type Query { b: S }"),
    )
    assert {"X", "Y", "Z"} <= set(type_block(output_only, "enum S").split())
    input_only = composed(
        sub("a", "enum S { X Y } type Query { a(s: S): Int }"),
        sub("b", "enum S { X Z } type Query { b(s: S): Int }"),
    )
    block = type_block(input_only, "enum S")
    assert "X" in block and "Y" not in block and "Z" not in block
    assert errors_of(
        sub("a", "enum S { X Y } type Query { a(s: S): S }"),
        sub("b", "enum S { X } type Query { b: S }"),
    ) == [("ENUM_VALUE_MISMATCH", None, "S")]


def test_input_types_merge_by_intersection() -> None:
    supergraph = composed(
        sub("a", "input F { a: Int b: Int } type Query { x(f: F): Int }"),
        sub("b", "input F { a: Int c: Int } type Query { y(f: F): Int }"),
    )
    block = type_block(supergraph, "input F")
    assert "a: Int" in block and "b: Int" not in block and "c: Int" not in block
    assert errors_of(
        sub("a", "input F { a: Int b: Int! } type Query { x(f: F): Int }"),
        sub("b", "input F { a: Int } type Query { y(f: F): Int }"),
    ) == [("REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH", None, "F.b")]


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        pytest.param(
            [
                sub("a", "type T @shareable { v: Int } type Query { a: T }"),
                sub("b", "type T @shareable { v: String } type Query { b: T }"),
            ],
            [("FIELD_TYPE_MISMATCH", None, "T.v")],
            id="conflicting-field-types",
        ),
        pytest.param(
            [sub("a", 'type T @key(fields: "nope") { id: ID! } type Query { a: T }')],
            [("KEY_INVALID_FIELDS", "a", "T")],
            id="key-field-does-not-exist",
        ),
        pytest.param(
            [
                sub(
                    "a",
                    'type T @key(fields: "id") { id: ID! x: Int @external } type Query { a: T }',
                )
            ],
            [("EXTERNAL_MISSING_ON_BASE", "a", "T.x")],
            id="external-with-no-owner",
        ),
        pytest.param(
            [
                sub("a", 'type T @key(fields: "id") { id: ID! n: Int } type Query { a: T }'),
                sub("b", 'type T @key(fields: "id") { id: ID! n: Int }'),
            ],
            [("INVALID_FIELD_SHARING", "a", "T.n")],
            id="unshared-field-in-two-subgraphs",
        ),
        pytest.param(
            [sub("a", "type Query { a: Int }"), sub("b", "type Query { a: Int }")],
            [("INVALID_FIELD_SHARING", "a", "Query.a")],
            id="unshared-root-field",
        ),
        pytest.param(
            [
                sub(
                    "a",
                    'type T @key(fields: "id") { id: ID! w: Int @requires(fields: "zz") } '
                    "type Query { a: T }",
                )
            ],
            [("REQUIRES_INVALID_FIELDS", "a", "T.w")],
            id="requires-unknown-field",
        ),
        pytest.param(
            [
                sub(
                    "a",
                    'type T @key(fields: "id") { id: ID! p: Int w: Int @requires(fields: "p") } '
                    "type Query { a: T }",
                )
            ],
            [("REQUIRES_FIELDS_MISSING_EXTERNAL", "a", "T.w")],
            id="requires-non-external",
        ),
        pytest.param(
            [sub("a", 'type U { id: ID } type Query { a: U @provides(fields: "missing") }')],
            [("PROVIDES_INVALID_FIELDS", "a", "Query.a")],
            id="provides-unknown-field",
        ),
        pytest.param(
            [
                sub("a", "type T { id: ID } type Query { a: T }"),
                sub("b", "interface T { id: ID } type Query { b: T }"),
            ],
            [("TYPE_KIND_MISMATCH", None, "T")],
            id="kind-mismatch",
        ),
        pytest.param(
            [sub("a", "type Query { a: Int"), sub("b", "type Query { b: Int }")],
            [("INVALID_GRAPHQL", "a", None)],
            id="syntax-error",
        ),
    ],
)
def test_composition_errors_name_the_subgraph_and_coordinate(
    sources: list[SubgraphSource], expected: list[tuple[str, str | None, str | None]]
) -> None:
    assert errors_of(*sources) == expected


def test_error_text_is_readable() -> None:
    with pytest.raises(CompositionFailed) as failure:
        compose([sub("a", 'type T @key(fields: "nope") { id: ID! } type Query { a: T }')])
    assert (
        'KEY_INVALID_FIELDS] on type "T", @key(fields: "nope") is invalid: '
        'field "T.nope" does not exist (subgraph a, T)' in str(failure.value)
    )


FED29 = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
    'import: ["@key", "@cost", "@listSize"])\n'
)


def sub29(name: str, sdl: str) -> SubgraphSource:
    return SubgraphSource(name, f"http://127.0.0.1:4200/{name}", FED29 + sdl)


def test_cost_directives_are_checked_as_apollo_checks_them() -> None:
    # The same subgraph gives @apollo/composition 2.14 exactly these errors, in this order.
    with pytest.raises(CompositionFailed) as failure:
        compose(
            [
                sub29(
                    "s",
                    "type Query {\n"
                    "  a1: A! @listSize(assumedSize: 5)\n"
                    '  a2: A @listSize(assumedSize: 10, sizedFields: ["ints", "nope", "s"])\n'
                    "  b: [Int] @listSize(assumedSize: -5)\n"
                    "  c(first: String, n: Int!, m: [Int]): [String]\n"
                    '    @listSize(slicingArguments: ["first", "missing", "n", "m"])\n'
                    '  d: Int @listSize(assumedSize: 1, sizedFields: ["x"])\n'
                    "  i: I\n"
                    "}\n"
                    "type A { ints: [Int] s: String }\n"
                    "interface I { x: Int @cost(weight: 10) }\n"
                    "type Impl implements I { x: Int }\n",
                )
            ]
        )
    assert [(e.code, e.message) for e in failure.value.errors] == [
        ("COST_APPLIED_TO_INTERFACE_FIELD", '@cost cannot be applied to interface "I.x"'),
        ("LIST_SIZE_APPLIED_TO_NON_LIST", '"Query.a1" is not a list'),
        ("LIST_SIZE_INVALID_SIZED_FIELD", 'Sized field "nope" is not a field on type "A"'),
        ("LIST_SIZE_APPLIED_TO_NON_LIST", 'Sized field "A.s" is not a list'),
        ("LIST_SIZE_INVALID_ASSUMED_SIZE", 'Assumed size of "Query.b" cannot be negative'),
        ("LIST_SIZE_INVALID_SLICING_ARGUMENT", 'Slicing argument "Query.c(first:)" must be Int or Int!'),  # noqa: E501
        ("LIST_SIZE_INVALID_SLICING_ARGUMENT", 'Slicing argument "missing" is not an argument of "Query.c"'),  # noqa: E501
        ("LIST_SIZE_INVALID_SLICING_ARGUMENT", 'Slicing argument "Query.c(m:)" must be Int or Int!'),  # noqa: E501
        ("LIST_SIZE_INVALID_SIZED_FIELD", 'Sized fields cannot be used because "Int" is not a composite type'),  # noqa: E501
    ]  # fmt: skip
    assert {e.subgraph for e in failure.value.errors} == {"s"}


def test_a_cost_directive_imported_under_two_names_does_not_compose() -> None:
    renamed = SubgraphSource(
        "renamed",
        "http://127.0.0.1:4200/renamed",
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", '
        'import: [{name: "@cost", as: "@weight"}])\n'
        "type Query { f2: Int @weight(weight: 10) }",
    )
    assert errors_of(sub29("plain", "type Query { f1: Int @cost(weight: 5) }"), renamed) == [
        ("LINK_IMPORT_NAME_MISMATCH", None, None)
    ]
