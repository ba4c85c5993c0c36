"""One demo action at a time, through the gateway as any client: submit an order of a few
products for an account, or return one unit of a demo order the WMS timer has delivered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from crossdock.demo.settings import DemoSettings

__all__ = ["DemoTraffic", "run_demo_beside"]

log = logging.getLogger("crossdock.demo")

CATALOG = """query DemoCatalog {
  accounts(first: 40) {
    edges { node { id creditHold
      billingAddress { street city state postalCode country region } } }
  }
  products(first: 100) { edges { node { sku availableToPromise } } }
}"""
SUBMIT = """mutation DemoSubmit($key: String!, $input: SubmitOrderInput!) {
  submitOrder(idempotencyKey: $key, input: $input) {
    outcome userErrors { code message } order { id number }
  }
}"""
DELIVERED = """query DemoOrder($id: ID!) {
  order(id: $id) {
    id fulfillmentStatus lines { quantity product { sku } } returnAuthorizations { id }
  }
}"""
REQUEST_RETURN = """mutation DemoReturn($key: String!, $input: RequestReturnInput!) {
  requestReturn(idempotencyKey: $key, input: $input) {
    status returnAuthorization { id } userErrors { code message }
  }
}"""
RECEIVE_RETURN = """mutation DemoReceive($key: String!, $input: ReceiveReturnInput!) {
  receiveReturn(idempotencyKey: $key, input: $input) { status userErrors { code message } }
}"""

_REASONS = ("DAMAGED", "WRONG_ITEM", "NOT_NEEDED", "DEFECTIVE")
# Demo orders remembered for a return, oldest first; checked a few at a time.
_REMEMBERED = 50
_CHECKED_PER_RETURN = 5


class DemoError(Exception):
    """A demo action the graph refused or could not run (logged; the next one goes on)."""


@dataclass(frozen=True)
class _Catalog:
    accounts: list[dict[str, Any]]
    skus: list[str]


class DemoTraffic:
    """Sends the demo's actions to the gateway at ``graphql_url``, one every
    ``settings.order_interval_seconds``; when auth is on, ``token`` makes a staff token for
    each request (so a long run never sends an expired one)."""

    def __init__(
        self,
        graphql_url: str,
        settings: DemoSettings,
        *,
        token: Callable[[], str] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._url = graphql_url
        self._settings = settings
        self._token = token
        self._rng = rng or random.Random()
        # Keys of this run: a restart submits new orders rather than replaying the last run's.
        self._run = secrets.token_hex(4)
        self._count = 0
        self._catalog: _Catalog | None = None
        self._orders: deque[str] = deque(maxlen=_REMEMBERED)
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        """Act, then wait, until cancelled; a failed action is logged and the next goes on."""
        interval = self._settings.order_interval_seconds
        async with httpx.AsyncClient(timeout=30) as client:
            failing = False
            while True:
                await asyncio.sleep(interval)
                try:
                    line = await self.step(client)
                except (DemoError, httpx.HTTPError) as error:
                    # One line per streak of failures (the graph still starting, or down).
                    if not failing:
                        log.warning("demo: %s (retrying every %ss)", error, interval)
                    failing = True
                    continue
                failing = False
                log.info("demo: %s", line)

    async def step(self, client: httpx.AsyncClient) -> str:
        """One action: every ``return_every``-th a return, when a demo order is delivered;
        else an order."""
        self._count += 1
        if self._count % self._settings.return_every == 0:
            returned = await self._return_one(client)
            if returned is not None:
                return returned
        return await self._submit(client)

    async def _ask(
        self, client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self._token()}"} if self._token else None
        response = await client.post(
            self._url, json={"query": query, "variables": variables}, headers=headers
        )
        try:
            body = response.json()
        except ValueError:
            raise DemoError(f"the gateway answered {response.status_code}") from None
        if body.get("errors") or not isinstance(body.get("data"), dict):
            first = (body.get("errors") or [{}])[0]
            code = (first.get("extensions") or {}).get("code", "ERROR")
            raise DemoError(f"{code}: {first.get('message', 'no data')}")
        data: dict[str, Any] = body["data"]
        return data

    async def _load_catalog(self, client: httpx.AsyncClient) -> _Catalog:
        if self._catalog is None:
            data = await self._ask(client, CATALOG)
            accounts = [
                edge["node"]
                for edge in data["accounts"]["edges"]
                if edge["node"].get("billingAddress")
            ]
            products = [edge["node"] for edge in data["products"]["edges"]]
            # Mostly products in stock, so that most orders are released and move.
            stocked = [p["sku"] for p in products if (p["availableToPromise"] or 0) >= 20]
            skus = stocked or [p["sku"] for p in products]
            if not accounts or not skus:
                raise DemoError("the graph has no accounts or products to order")
            self._catalog = _Catalog(accounts, skus)
        return self._catalog

    async def _submit(self, client: httpx.AsyncClient) -> str:
        catalog = await self._load_catalog(client)
        rng = self._rng
        # One in ten from any account (some are on credit hold: fallout), else one in good
        # standing.
        good = [a for a in catalog.accounts if not a["creditHold"]]
        account = rng.choice(catalog.accounts if rng.random() < 0.1 or not good else good)
        skus = rng.sample(catalog.skus, k=min(len(catalog.skus), rng.randint(1, 3)))
        po = f"DEMO-{self._run}-{self._count}"
        variables = {
            "key": po,
            "input": {
                "accountId": account["id"],
                "lines": [{"sku": sku, "quantity": rng.randint(1, 5)} for sku in skus],
                "shipTo": account["billingAddress"],
                "customerPoNumber": po,
            },
        }
        payload = (await self._ask(client, SUBMIT, variables))["submitOrder"]
        order = payload.get("order")
        if order is not None:
            self._orders.append(order["id"])
            return f"submitted {order['number']} ({payload['outcome']})"
        errors = ", ".join(e["code"] for e in payload["userErrors"]) or "no order"
        return f"submitted {po}: {payload['outcome']} ({errors})"

    async def _return_one(self, client: httpx.AsyncClient) -> str | None:
        """Return one unit of the oldest delivered demo order not yet returned; ``None``
        when none of the few checked is delivered yet."""
        for order_id in list(self._orders)[:_CHECKED_PER_RETURN]:
            order = (await self._ask(client, DELIVERED, {"id": order_id}))["order"]
            if order is None or order["returnAuthorizations"]:
                self._orders.remove(order_id)
                continue
            if order["fulfillmentStatus"] != "DELIVERED":
                continue
            self._orders.remove(order_id)
            return await self._return(client, order)
        return None

    async def _return(self, client: httpx.AsyncClient, order: dict[str, Any]) -> str:
        sku = order["lines"][0]["product"]["sku"]
        key = f"DEMO-{self._run}-{self._count}"
        requested = (
            await self._ask(
                client,
                REQUEST_RETURN,
                {
                    "key": f"{key}-request",
                    "input": {
                        "orderId": order["id"],
                        "lines": [
                            {"sku": sku, "quantity": 1, "reason": self._rng.choice(_REASONS)}
                        ],
                    },
                },
            )
        )["requestReturn"]
        authorization = requested.get("returnAuthorization")
        if requested["status"] != "AUTHORIZED" or authorization is None:
            return f"return of {order['id']}: {requested['status']}"
        received = (
            await self._ask(
                client,
                RECEIVE_RETURN,
                {
                    "key": f"{key}-receive",
                    "input": {
                        "returnAuthorizationId": authorization["id"],
                        "lines": [{"sku": sku, "quantity": 1, "disposition": "RESTOCKED"}],
                    },
                },
            )
        )["receiveReturn"]
        return f"returned 1 {sku} of order {order['id']} ({received['status']})"

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="demo traffic")

    def stop(self) -> None:
        """Cancel the loop (the action in hand too): called when shutdown begins."""
        if self._task is not None:
            self._task.cancel()

    async def wait_stopped(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def run_demo_beside(app: Starlette, traffic: DemoTraffic) -> None:
    """Run ``traffic`` during ``app``'s lifespan (the gateway's): started once the app has
    started, stopped as soon as shutdown begins (before the server waits for its open
    requests: a demo request would hold it)."""
    inner = app.router.lifespan_context
    begin = getattr(app.state, "begin_shutdown", None)

    def begin_shutdown() -> None:
        traffic.stop()
        if callable(begin):
            begin()

    app.state.begin_shutdown = begin_shutdown

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            traffic.start()
            try:
                yield
            finally:
                await traffic.wait_stopped()

    app.router.lifespan_context = lifespan
