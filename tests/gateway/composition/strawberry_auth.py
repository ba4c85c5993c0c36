"""Two Strawberry subgraphs annotated as our graph's subgraphs are, with Strawberry's
``Authenticated``, ``RequiresScopes`` and ``Policy`` (and ``Cost``), both as schema
directives and as ``strawberry.federation.field``'s arguments, so that the SDL Strawberry
prints for them is the one the ``auth_strawberry`` fixture composes (``apollo/README.md``).

Resolvers are declared with ``described`` as our subgraphs declare them. Regenerate the
fixture's subgraphs with ``python -m tests.gateway.composition.strawberry_auth``.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import strawberry
from strawberry.federation.schema_directives import Authenticated, Cost, Policy, RequiresScopes

from subgraphs.common.fields import described

__all__ = ["FIXTURE", "service_sdls"]

FIXTURE = Path(__file__).parent / "apollo" / "auth_strawberry"


@strawberry.enum(directives=[RequiresScopes(scopes=[["accounts:read"]])])
class Tier(enum.Enum):
    GOLD = "gold"
    SILVER = "silver"


@strawberry.federation.type(name="Account", keys=["id"], directives=[Authenticated()])
class CrmAccount:
    id: strawberry.ID
    name: str = strawberry.federation.field(
        shareable=True, requires_scopes=[["accounts:read"], ["staff"]]
    )
    tier: Tier = strawberry.federation.field(policy=[["account_owner"]])


@strawberry.type(name="Query")
class CrmQuery:
    @described(
        "The account with this id, for staff or a reader of accounts.",
        directives=[Authenticated(), RequiresScopes(scopes=[["accounts:read"], ["staff"]])],
    )
    def account(self, id: strawberry.ID) -> CrmAccount | None:
        return None

    @described(
        "Every account, for any signed-in caller.", directives=[Authenticated(), Cost(weight=5)]
    )
    def accounts(self) -> list[CrmAccount]:
        return []


@strawberry.federation.type(keys=["number"], directives=[Policy(policies=[["account_owner"]])])
class Order:
    number: str
    total: int = strawberry.federation.field(directives=[Cost(weight=2)])


@strawberry.federation.type(
    name="Account", keys=["id"], directives=[RequiresScopes(scopes=[["orders:read"]])]
)
class OrdersAccount:
    id: strawberry.ID
    name: str = strawberry.federation.field(
        shareable=True, requires_scopes=[["staff"], ["accounts:read", "orders:read"]]
    )

    @described(
        "The account's orders, for its owner or staff.",
        directives=[
            Policy(policies=[["account_owner"], ["staff"]]),
            RequiresScopes(scopes=[["orders:read"]]),
        ],
    )
    def orders(self) -> list[Order]:
        return []


@strawberry.type(name="Query")
class OrdersQuery:
    @described(
        "The order with this number.",
        directives=[Authenticated(), RequiresScopes(scopes=[["orders:read"]])],
    )
    def order_by_number(self, number: str) -> Order | None:
        return None


@strawberry.type
class Mutation:
    @described("Submit an order.", directives=[RequiresScopes(scopes=[["orders:write"]])])
    def submit_order(self, number: str) -> Order:
        return Order(number=number, total=0)


_SCHEMAS = {
    "accounts": strawberry.federation.Schema(
        query=CrmQuery, types=[CrmAccount], federation_version="2.9"
    ),
    "orders": strawberry.federation.Schema(
        query=OrdersQuery, mutation=Mutation, types=[OrdersAccount], federation_version="2.9"
    ),
}


def service_sdls() -> dict[str, str]:
    """Each subgraph's SDL as it answers ``{ _service { sdl } }``."""
    sdls = {}
    for name, schema in _SCHEMAS.items():
        result = schema.execute_sync("{ _service { sdl } }")
        assert result.errors is None and result.data is not None, result.errors
        sdls[name] = result.data["_service"]["sdl"] + "\n"
    return sdls


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE
    for name, sdl in service_sdls().items():
        (folder / "subgraphs" / f"{name}.graphql").write_text(sdl)
