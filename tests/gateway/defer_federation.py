"""A two-subgraph federation for ``@defer``: orders with their lines (``orders``), and the
shipments of an order (``shipping``), whose answers a test can hold back.

``shipping`` resolves ``Order.shipments`` only once its :class:`Gate` (``tests.support.gated``)
opens, so a test knows whether the gateway sent what did not need it before: an initial
payload that arrives while the gate is shut was not cut from a finished result.
``Shipment.eta`` fails for every shipment (an error in a deferred part), and
``Order.carrierNote`` is a shipping field that answers at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.composition import SubgraphSource, compose
from tests.gateway.subgraph_kit import Subgraph, make_subgraph
from tests.support.gated import Gate
from tests.support.servers import serve

__all__ = ["DeferFederation", "Gate", "running_defer_federation"]

ORDERS_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { order(id: ID!): Order orders: [Order!]! }
type Order @key(fields: "id") { id: ID! number: String! lines: [Line!]! }
type Line { sku: String! quantity: Int! }
"""

SHIPPING_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { carriers: [String!]! }
type Order @key(fields: "id") { id: ID! shipments: [Shipment!]! carrierNote: String }
type Shipment { trackingNumber: String! eta: String }
"""

ORDERS = {
    "o-1": {"id": "o-1", "number": "SO-1", "lines": [{"sku": "A", "quantity": 2}]},
    "o-2": {"id": "o-2", "number": "SO-2", "lines": [{"sku": "B", "quantity": 1}]},
}
SHIPMENTS = {"o-1": ["1Z-1", "1Z-2"], "o-2": ["1Z-3"]}


@dataclass
class DeferFederation:
    subgraphs: dict[str, Subgraph]
    supergraph: str
    gate: Gate


def _build(gate: Gate) -> dict[str, Subgraph]:
    async def shipments(obj: dict[str, Any], info: Any) -> list[dict[str, Any]]:
        await gate.pass_through()
        return [{"trackingNumber": t} for t in SHIPMENTS.get(obj["id"], [])]

    def eta(obj: dict[str, Any], info: Any) -> str:
        raise ValueError(f"no estimate for {obj['trackingNumber']}")

    orders = make_subgraph(
        "orders",
        ORDERS_SDL,
        resolvers={
            "Query": {
                "order": lambda _, info, id: ORDERS.get(id),
                "orders": lambda _, info: list(ORDERS.values()),
            }
        },
        entities={"Order": lambda rep: ORDERS.get(rep["id"])},
    )
    shipping = make_subgraph(
        "shipping",
        SHIPPING_SDL,
        resolvers={
            "Query": {"carriers": lambda _, info: ["UPS"]},
            "Order": {"shipments": shipments},
            "Shipment": {"eta": eta},
        },
        entities={"Order": lambda rep: {"id": rep["id"], "carrierNote": f"note {rep['id']}"}},
    )
    return {"orders": orders, "shipping": shipping}


@contextmanager
def running_defer_federation() -> Iterator[DeferFederation]:
    """The two subgraphs served on loopback, and their supergraph."""
    gate = Gate()
    subgraphs = _build(gate)
    with ExitStack() as stack:
        sources = [
            SubgraphSource(name, stack.enter_context(serve(s.app)) + "/graphql", s.sdl)
            for name, s in subgraphs.items()
        ]
        try:
            yield DeferFederation(subgraphs, compose(sources), gate)
        finally:
            gate.open()
