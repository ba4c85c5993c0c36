"""Cursors, page requests, connections and the names Strawberry gives generic connections."""

from __future__ import annotations

import base64

import pytest
import strawberry

from subgraphs.common import (
    MAX_OFFSET,
    BadUserInput,
    Connection,
    PageRequest,
    build_connection,
    decode_cursor,
    encode_cursor,
    federation_schema,
    page_request,
    subgraph_sdl,
)


@pytest.mark.parametrize("offset", [0, 1, 19, 12345])
def test_cursor_round_trip(offset: int) -> None:
    cursor = encode_cursor(offset)
    assert decode_cursor(cursor) == offset


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not-a-cursor",
        "%%%",
        base64.b64encode(b"arrayconnection:").decode(),
        base64.b64encode(b"arrayconnection:-1").decode(),
        base64.b64encode(b"arrayconnection:1.5").decode(),
        base64.b64encode(b"other:3").decode(),
        base64.b64encode("arrayconnection:\u0663".encode()).decode(),
        base64.b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_cursors_are_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput, match="Malformed cursor"):
        decode_cursor(cursor)


def test_the_largest_offset_decodes() -> None:
    assert decode_cursor(encode_cursor(MAX_OFFSET)) == MAX_OFFSET


@pytest.mark.parametrize("offset", [str(MAX_OFFSET + 1), str(10**20), "9" * 5000])
def test_a_cursor_beyond_the_largest_offset_is_bad_user_input(offset: str) -> None:
    # A system refuses such an offset (SUBGRAPH_ERROR) or would be asked to skip 10^20 rows;
    # the client crafted the cursor, so the client hears about it. 5000 digits are more than
    # int() parses by default.
    cursor = base64.b64encode(f"arrayconnection:{offset}".encode()).decode()
    with pytest.raises(BadUserInput, match="beyond the largest offset"):
        decode_cursor(cursor)
    with pytest.raises(BadUserInput):
        page_request(10, cursor)


def test_page_request_defaults() -> None:
    assert page_request(None, None) == PageRequest(offset=0, limit=20)
    assert page_request(None, None, default=5) == PageRequest(offset=0, limit=5)


def test_page_request_after_a_cursor_starts_at_the_next_item() -> None:
    assert page_request(10, encode_cursor(9)) == PageRequest(offset=10, limit=10)


@pytest.mark.parametrize("first", [0, 1, 100])
def test_page_request_accepts_first_up_to_the_maximum(first: int) -> None:
    assert page_request(first, None).limit == first


@pytest.mark.parametrize(("first", "maximum"), [(-1, 100), (101, 100), (11, 10)])
def test_page_request_rejects_first_out_of_range(first: int, maximum: int) -> None:
    with pytest.raises(BadUserInput, match=f"first must be between 0 and {maximum}, got {first}"):
        page_request(first, None, maximum=maximum)


def test_page_request_rejects_a_malformed_after() -> None:
    with pytest.raises(BadUserInput, match="Malformed cursor"):
        page_request(5, "garbage")


def test_build_connection_of_a_middle_page() -> None:
    connection = build_connection(["c", "d"], offset=2, total=5)
    assert [(edge.node, decode_cursor(edge.cursor)) for edge in connection.edges] == [
        ("c", 2),
        ("d", 3),
    ]
    assert connection.total_count == 5
    info = connection.page_info
    assert (info.has_next_page, info.has_previous_page) == (True, True)
    assert (info.start_cursor, info.end_cursor) == (encode_cursor(2), encode_cursor(3))


def test_build_connection_of_the_last_page() -> None:
    info = build_connection(["e"], offset=4, total=5).page_info
    assert (info.has_next_page, info.has_previous_page) == (False, True)


def test_build_connection_of_nothing() -> None:
    connection: Connection[str] = build_connection([], offset=0, total=0)
    assert connection.edges == []
    info = connection.page_info
    assert (info.has_next_page, info.has_previous_page) == (False, False)
    assert (info.start_cursor, info.end_cursor) == (None, None)


@strawberry.federation.type(keys=["sku"])
class Product:
    sku: str


@strawberry.type
class Query:
    @strawberry.field
    def products(self) -> Connection[Product]:
        return build_connection([Product(sku="SKU-1")], offset=0, total=1)


def test_generic_connections_are_named_for_their_node_and_shareable() -> None:
    sdl = subgraph_sdl(federation_schema(Query))
    assert "type ProductConnection @shareable {" in sdl
    assert "edges: [ProductEdge!]!" in sdl
    assert "type ProductEdge @shareable {" in sdl
    assert "node: Product!" in sdl
    assert "type PageInfo @shareable {" in sdl
    assert "products: ProductConnection!" in sdl


def test_two_schemas_declare_the_same_connection() -> None:
    # Two subgraphs that page products print the very same, shareable, types.
    @strawberry.type
    class OtherQuery:
        @strawberry.field
        def catalog(self) -> Connection[Product]:
            return build_connection([], offset=0, total=0)

    first, second = (
        subgraph_sdl(federation_schema(Query)),
        subgraph_sdl(federation_schema(OtherQuery)),
    )

    def block(sdl: str, name: str) -> str:
        start = sdl.index(f"type {name} ")
        return sdl[start : sdl.index("}", start) + 1]

    for name in ("ProductConnection", "ProductEdge", "PageInfo"):
        assert block(first, name) == block(second, name)
    result = federation_schema(Query).execute_sync(
        "{ products { totalCount edges { cursor node { sku } } pageInfo { endCursor } } }"
    )
    assert result.errors is None
    assert result.data == {
        "products": {
            "totalCount": 1,
            "edges": [{"cursor": encode_cursor(0), "node": {"sku": "SKU-1"}}],
            "pageInfo": {"endCursor": encode_cursor(0)},
        }
    }
