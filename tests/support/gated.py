"""A subgraph whose answers a test holds at a gate, and a gateway served over it on loopback.

The ``stock`` subgraph answers ``level(sku)`` and ``restock(sku)`` only once its :class:`Gate`
opens, and logs when each resolver started and finished, so a test knows which requests were
in flight together, and in what order executions reached the subgraph, from the subgraph's own
record rather than from a timing. :func:`gateway_app` and :func:`served_gateway` serve a
gateway engine of the test's own as the server does, without its supergraph watcher.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from gateway.composition import SubgraphSource, compose
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.subgraph_kit import Subgraph, make_subgraph
from tests.support.servers import serve
from tests.support.waiting import wait_until, wait_until_async

__all__ = [
    "LEVEL",
    "LEVELS",
    "RESTOCK",
    "STOCK_SDL",
    "Gate",
    "Stock",
    "gateway_app",
    "running_stock",
    "served_gateway",
]

# How long a held resolver waits at most (a test that forgets to open the gate still ends).
HOLD_LIMIT = 30.0
# How long a test waits for the resolvers it expects to be held.
_HELD_WITHIN = 20.0

STOCK_SDL = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
type Query { level(sku: String!): Int! }
type Mutation { restock(sku: String!): Int! }
"""

LEVEL = "query Level($sku: String!) { level(sku: $sku) }"
RESTOCK = 'mutation { restock(sku: "A") }'
# The levels every test starts with; any other sku fails in the subgraph (a ``KeyError``).
LEVELS = {"A": 7, "B": 3, "C": 5}


@dataclass
class Gate:
    """Holds the resolvers that pass through it until opened; counts those waiting at it."""

    opened: threading.Event = field(default_factory=threading.Event)
    waiting: int = 0

    def open(self) -> None:
        self.opened.set()

    def shut(self) -> None:
        self.opened.clear()

    async def pass_through(self) -> None:
        self.waiting += 1
        try:
            await asyncio.to_thread(self.opened.wait, HOLD_LIMIT)
        finally:
            self.waiting -= 1


class Stock:
    """The ``stock`` subgraph: answers held at ``gate``, each resolver's start and end in
    ``log`` as ``("start", sku)`` and ``("end", sku)``, the operations it received in
    ``subgraph.requests``; ``supergraph`` once it is served (:func:`running_stock`)."""

    def __init__(self) -> None:
        self.gate = Gate()
        self.levels = dict(LEVELS)
        self.log: list[tuple[str, str]] = []

        async def level(_: Any, info: Any, sku: str) -> int:
            self.log.append(("start", sku))
            await self.gate.pass_through()
            self.log.append(("end", sku))
            return self.levels[sku]

        async def restock(_: Any, info: Any, sku: str) -> int:
            self.log.append(("start", sku))
            await self.gate.pass_through()
            self.levels[sku] += 1
            self.log.append(("end", sku))
            return self.levels[sku]

        self.subgraph: Subgraph = make_subgraph(
            "stock",
            STOCK_SDL,
            resolvers={"Query": {"level": level}, "Mutation": {"restock": restock}},
        )
        self.supergraph = ""

    def received(self) -> int:
        """Operations the subgraph received."""
        return len(self.subgraph.requests)

    @contextmanager
    def shut(self) -> Iterator[None]:
        """One test's run: the gate shut, the log and levels as new; the gate open after."""
        self.gate.shut()
        self.log.clear()
        self.subgraph.requests.clear()
        self.levels = dict(LEVELS)
        try:
            yield
        finally:
            self.gate.open()

    def held(self, count: int) -> None:
        """Wait until ``count`` resolvers are holding at the gate."""
        wait_until(
            lambda: self.gate.waiting == count,
            timeout=_HELD_WITHIN,
            what=f"{count} held stock resolvers",
        )

    async def held_async(self, count: int) -> None:
        """:meth:`held`, on the test's event loop."""

        async def holding() -> bool:
            return self.gate.waiting == count

        await wait_until_async(holding, timeout=_HELD_WITHIN, what=f"{count} held stock resolvers")


@contextmanager
def running_stock() -> Iterator[Stock]:
    """The ``stock`` subgraph served on loopback, its supergraph composed; its gate opened
    when it stops, so that nothing is left held."""
    stock = Stock()
    with serve(stock.subgraph.app) as url:
        stock.supergraph = compose([SubgraphSource("stock", url + "/graphql", STOCK_SDL)])
        try:
            yield stock
        finally:
            stock.gate.open()


def gateway_app(
    engine: Gateway,
    settings: GatewaySettings | None = None,
    *,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The server's app over ``engine`` (no supergraph reloads), with the test's ``routes``."""
    return create_app(engine, settings or GatewaySettings(reload_interval=0), routes=routes)


@contextmanager
def served_gateway(
    engine: Gateway,
    settings: GatewaySettings | None = None,
    *,
    routes: Sequence[BaseRoute] = (),
) -> Iterator[str]:
    """:func:`gateway_app` served on loopback; yields its base URL."""
    with serve(gateway_app(engine, settings, routes=routes)) as url:
        yield url
