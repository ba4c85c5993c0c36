"""The orders subgraph's schema: ``promiseOrder`` and the order workflows' mutations.

Each operation carries ``@authenticated`` and the ``@requiresScopes`` of
``resolvers.authority.REQUIRED_SCOPES``, which the gateway enforces; the orchestration checks
the same scopes again, and the caller's account, for the request's ``context.actor`` (a
caller reaching the subgraph directly gets no further). What it may not do is a ``FORBIDDEN``
error and changes nothing; another account's order is answered as an unknown one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, cast

import strawberry
from graphql import GraphQLError
from strawberry.federation.schema_directives import RequiresScopes

from connectors.deadline import no_deadline
from resolvers.authority import REQUIRED_SCOPES, Forbidden
from resolvers.cancel import CancelRequest
from resolvers.service import OrdersService
from resolvers.submit import WorkflowFailed
from subgraphs.common.access import AUTHENTICATED
from subgraphs.common.cost import weight
from subgraphs.common.errors import SUBGRAPH_ERROR, BadUserInput
from subgraphs.common.federation import SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.common.identity import CallerContext
from subgraphs.orders.payloads import (
    CancelOrderPayload,
    OrderPromise,
    ReleaseOrderPayload,
    SubmitOrderPayload,
)
from subgraphs.orders.returns import (
    CreditMemo,
    ReceiveReturnInput,
    RequestReturnInput,
    ReturnAuthorization,
    ReturnPayload,
)
from subgraphs.orders.types import (
    DistributionCenter,
    Order,
    Product,
    PromiseOrderInput,
    SubmitOrderInput,
)

__all__ = [
    "EXAMPLE_QUERY",
    "FORBIDDEN",
    "MAX_KEY_LENGTH",
    "Mutation",
    "OrdersContext",
    "Query",
    "schema",
]

MAX_KEY_LENGTH = 200
MAX_REASON_LENGTH = 500
FORBIDDEN = "FORBIDDEN"

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R")

log = logging.getLogger(__name__)

# Workflows whose caller has gone: held here until they end (the loop keeps weak references).
_ORPHANS: set[asyncio.Future[Any]] = set()


def mutation(description: str, *, directives: Sequence[object] = ()) -> Callable[[F], F]:
    return cast(
        Callable[[F], F], strawberry.mutation(description=description, directives=directives)
    )


def guarded(operation: str) -> list[object]:
    """``@authenticated`` and ``@requiresScopes`` of ``operation`` (``REQUIRED_SCOPES``)."""
    scopes = [list(both) for both in REQUIRED_SCOPES[operation]]
    return [AUTHENTICATED, RequiresScopes(scopes=scopes)]


@dataclass(slots=True)
class OrdersContext(CallerContext):
    """The orchestration, for the request's ``actor`` (``SYSTEM`` while auth is off)."""

    service: OrdersService


Info: TypeAlias = strawberry.Info[OrdersContext, None]


def _key(value: str) -> str:
    key = value.strip()
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        raise BadUserInput(f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters")
    return key


async def _run(workflow: Awaitable[R]) -> R:
    """Await a workflow; a system failing mid-way is a SUBGRAPH_ERROR naming what was undone.

    A workflow, once started, runs to its end: neither the request's deadline nor a gateway
    that hangs up stops it, since it writes to the systems step by step and may have to undo
    the steps done. Its steps keep their own timeouts, and the same idempotency key later
    answers its result.
    """
    with no_deadline():
        running = asyncio.ensure_future(workflow)
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        if not running.done():
            _ORPHANS.add(running)
            running.add_done_callback(_orphan_ended)
        raise
    except WorkflowFailed as error:
        raise GraphQLError(
            error.message, extensions={"code": SUBGRAPH_ERROR, "system": error.system}
        ) from None
    except Forbidden as error:
        raise _forbidden(error) from None


def _forbidden(error: Forbidden) -> GraphQLError:
    return GraphQLError(error.message, extensions={"code": FORBIDDEN})


def _orphan_ended(workflow: asyncio.Future[Any]) -> None:
    _ORPHANS.discard(workflow)
    if not workflow.cancelled() and workflow.exception() is not None:
        log.warning("a workflow whose caller had left failed", exc_info=workflow.exception())


@strawberry.type
class Query:
    # @cost: the facts a submission gathers, one call each (account, customer, items,
    # prices, stock, centers).
    @described(
        "What submitting this order now would give; changes nothing.",
        directives=[weight(6), *guarded("promiseOrder")],
    )
    async def promise_order(self, info: Info, input: PromiseOrderInput) -> OrderPromise:
        request = input.request()
        try:
            promise = await info.context.service.promise(request, info.context.actor)
        except Forbidden as error:
            raise _forbidden(error) from None
        quantities = {line.sku: line.quantity for line in request.lines}
        return OrderPromise.of(promise, quantities)


@strawberry.type
class Mutation:
    # The promise's six facts, then reserve, create, release and read back the fulfillment.
    @mutation(
        "Submit an order once per idempotency key: check credit, price, allocate, "
        "reserve, create it in the ERP and release it to the distribution centers.",
        directives=[weight(10), *guarded("submitOrder")],
    )
    async def submit_order(
        self, info: Info, input: SubmitOrderInput, idempotency_key: str
    ) -> SubmitOrderPayload:
        context = info.context
        result = await _run(
            context.service.submit(input.request(), _key(idempotency_key), context.actor)
        )
        return SubmitOrderPayload.of(result)

    # Release the reservation, cancel the fulfillment, read and cancel the ERP order's lines.
    @mutation(
        "Cancel the whole order (lines null) or some of its lines (ERP line numbers): open "
        "fulfillment is cancelled and its stock released; what has shipped is refused.",
        directives=[weight(4), *guarded("cancelOrder")],
    )
    async def cancel_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        reason: str,
        idempotency_key: str,
        lines: list[int] | None = None,
    ) -> CancelOrderPayload:
        if lines is not None and not lines:
            raise BadUserInput("lines must name at least one line, or be null for every line")
        if len(reason) > MAX_REASON_LENGTH:
            raise BadUserInput(f"reason must be at most {MAX_REASON_LENGTH} characters")
        request = CancelRequest(
            str(order_id).strip(), None if lines is None else tuple(lines), reason.strip()
        )
        result = await _run(
            info.context.service.cancel(request, _key(idempotency_key), info.context.actor)
        )
        return CancelOrderPayload.of(result)

    # Read the order, release it in the WMS, confirm it in the ERP.
    @mutation(
        "Lift an order's MANUAL_REVIEW hold (staff): release it to the distribution centers "
        "with the stock its submission reserved, then confirm it in the ERP.",
        directives=[weight(3), *guarded("releaseOrder")],
    )
    async def release_order(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> ReleaseOrderPayload:
        result = await _run(
            info.context.service.release_order(
                str(order_id).strip(), _key(idempotency_key), info.context.actor
            )
        )
        return ReleaseOrderPayload.of(result)

    # Read the order, authorize in the ERP, tell the WMS to expect the goods.
    @mutation(
        "Ask to return lines of a shipped order: the ERP authorizes it (RMA) or declines it "
        "with a reason, and the distribution center is told to expect the goods.",
        directives=[weight(3), *guarded("requestReturn")],
    )
    async def request_return(
        self, info: Info, input: RequestReturnInput, idempotency_key: str
    ) -> ReturnPayload:
        result = await _run(
            info.context.service.request_return(
                input.body(), _key(idempotency_key), info.context.actor
            )
        )
        return ReturnPayload.of(result)

    # Read the RMA, book the receipt in the WMS and the ERP, issue the credit memo.
    @mutation(
        "Book what a distribution center received against a return: restock by disposition, "
        "and credit what was received (the return ends CREDITED).",
        directives=[weight(4), *guarded("receiveReturn")],
    )
    async def receive_return(
        self, info: Info, input: ReceiveReturnInput, idempotency_key: str
    ) -> ReturnPayload:
        result = await _run(
            info.context.service.receive_return(
                input.body(), _key(idempotency_key), info.context.actor
            )
        )
        return ReturnPayload.of(result)


schema: SubgraphSchema = federation_schema(
    Query,
    mutation=Mutation,
    types=[Order, DistributionCenter, Product, ReturnAuthorization, CreditMemo],
)

EXAMPLE_QUERY = """\
{
  promiseOrder(input: {
    accountId: "001CD0000000348AAA"
    lines: [{ sku: "SKU-10646", quantity: 12 }, { sku: "SKU-11293", quantity: 3 }]
    shipTo: { street: "1 Main St", city: "Columbus", state: "OH", postalCode: "43004",
              country: "US", region: MIDWEST }
  }) {
    outcome subtotal { amount }
    lines { sku quantity backorderedQuantity earliestDeliveryDate }
    userErrors { code field message }
  }
}
"""
"""What GraphiQL opens on for a first-time visitor of this subgraph."""
