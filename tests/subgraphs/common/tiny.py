"""A tiny subgraph over the fake system, built the way the real ones are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from connectors import SystemClient, SystemUnavailable
from subgraphs.common import (
    Address,
    BadUserInput,
    Connection,
    Loader,
    Money,
    Region,
    build_connection,
    federation_schema,
    page_request,
)

ITEM_IDS = [f"I{n}" for n in range(1, 8)]


@dataclass
class Context:
    client: SystemClient
    items: Loader[str, Item]


def context_getter(client: SystemClient) -> Context:
    """A fresh context (and loader) for one request."""

    async def load_items(ids: list[str]) -> Mapping[str, Item]:
        rows = await client.get_many("/items", ids, items_key="items")
        return {row["id"]: Item(id=strawberry.ID(row["id"]), name=row["name"]) for row in rows}

    return Context(client=client, items=Loader(load_items))


@strawberry.federation.type(keys=["id"])
class Item:
    id: strawberry.ID
    name: str

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> Item | None:
        return await info.context.items.load(id)

    @strawberry.field
    def price(self) -> Money:
        return Money.of("19.5")

    @strawberry.field
    def twins(self) -> list[Item]:
        """Eight of itself, from memory: a few levels make as much work as a test wants."""
        return [self] * 8


@strawberry.type
class Query:
    @strawberry.field
    async def item(self, info: Info[Context, None], id: strawberry.ID) -> Item | None:
        return await info.context.items.load(id)

    @strawberry.field
    async def items(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Connection[Item]:
        page = page_request(first, after, default=3, maximum=5)
        ids = ITEM_IDS[page.offset : page.offset + page.limit]
        found = await info.context.items.load_many(ids)
        nodes = [item for item in found if item is not None]
        return build_connection(nodes, offset=page.offset, total=len(ITEM_IDS))

    @strawberry.field
    async def unavailable(self, info: Info[Context, None]) -> str | None:
        body = await info.context.client.get_json("/unavailable")
        return str(body)

    @strawberry.field
    async def stalled(self, info: Info[Context, None]) -> str | None:
        """A system call that never gets an answer: only a deadline or a hang-up ends it."""
        body = await info.context.client.get_json("/slow")
        return str(body)

    @strawberry.field
    def offline(self) -> str | None:
        raise SystemUnavailable("wms", "wms timed out after 2.0s")

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError("secret: password=hunter2 in /srv/crossdock/settings.py")

    @strawberry.field
    def wrong(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def picky(self, size: int) -> int:
        if size > 3:
            raise BadUserInput("size must be at most 3")
        return size

    @strawberry.field
    def deliberate(self) -> str | None:
        raise GraphQLError("no access to this", extensions={"code": "FORBIDDEN"})

    @strawberry.field
    def plain_graphql_error(self) -> str | None:
        raise GraphQLError("told you so")

    @strawberry.field
    def warehouse(self) -> Address:
        return Address(
            street="1 Dock Rd",
            city="Atlanta",
            state="GA",
            postal_code="30301",
            country="US",
            region=Region.SOUTHEAST,
        )


schema = federation_schema(Query)
