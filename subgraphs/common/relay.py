"""Relay-style pagination shared by every subgraph: ``XConnection``, ``XEdge``, ``PageInfo``.

``Connection[Product]`` is named ``ProductConnection`` (and its edges ``ProductEdge``); all are
``@shareable``, so several subgraphs may declare the same connection.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from subgraphs.common.errors import BadUserInput

__all__ = [
    "DEFAULT_PAGE",
    "MAX_OFFSET",
    "Connection",
    "Edge",
    "PageInfo",
    "PageRequest",
    "build_connection",
    "decode_cursor",
    "encode_cursor",
    "page_request",
]

T = TypeVar("T")

_CURSOR_PREFIX = "arrayconnection:"

# The largest offset a cursor may name: far beyond any list of ours, and well inside what every
# system accepts, so a crafted cursor is the client's mistake (BAD_USER_INPUT), never the
# system's (SUBGRAPH_ERROR). A GraphQL Int, like ``first``.
MAX_OFFSET = 2**31 - 1
_MAX_OFFSET_DIGITS = len(str(MAX_OFFSET))

# The page a connection returns when ``first`` is left out.
DEFAULT_PAGE = 20


@strawberry.federation.type(shareable=True, description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.federation.type(shareable=True)
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.federation.type(shareable=True)
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The slice a client asked for: skip ``offset`` items, return at most ``limit``."""

    offset: int
    limit: int


def encode_cursor(offset: int) -> str:
    """The opaque cursor of the item at ``offset`` (0-based) in its list."""
    return base64.b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """The offset ``cursor`` points at; ``BadUserInput`` if it is not one of ours or points
    beyond :data:`MAX_OFFSET`."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
    except (UnicodeError, binascii.Error, ValueError):
        text = ""
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or not number.isascii():
        raise BadUserInput(f"Malformed cursor: {cursor!r}")
    # Checked on the digits first: int() of thousands of them is slow or refused outright.
    if len(number) > _MAX_OFFSET_DIGITS or int(number) > MAX_OFFSET:
        raise BadUserInput(f"Cursor {cursor!r} points beyond the largest offset, {MAX_OFFSET}")
    return int(number)


def page_request(
    first: int | None, after: str | None, *, default: int = DEFAULT_PAGE, maximum: int = 100
) -> PageRequest:
    """Check ``first``/``after`` arguments: ``BadUserInput`` if ``first`` is not in 0..maximum."""
    if first is None:
        first = default
    if first < 0 or first > maximum:
        raise BadUserInput(f"first must be between 0 and {maximum}, got {first}")
    offset = 0 if after is None else decode_cursor(after) + 1
    return PageRequest(offset=offset, limit=first)


def build_connection(nodes: Sequence[T], *, offset: int, total: int) -> Connection[T]:
    """The connection of ``nodes``, the page of a ``total``-long list that starts at ``offset``."""
    edges = [Edge(node=node, cursor=encode_cursor(offset + i)) for i, node in enumerate(nodes)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=offset + len(nodes) < total,
            has_previous_page=offset > 0,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )
