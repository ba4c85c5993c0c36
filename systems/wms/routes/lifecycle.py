"""``/_admin/advance`` and ``/_admin/webhook-deliveries``: the lifecycle on command, and the
delivery log of the milestone webhooks (``?fulfillment_order_no=`` or ``?rma_ref=``)."""

from __future__ import annotations

import random
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.params import parse_body
from systems.common.responses import json_response
from systems.wms.lifecycle import AdvanceRequest, advance
from systems.wms.webhooks import delivery_log

__all__ = ["lifecycle_routes"]


def lifecycle_routes(
    db: Database,
    *,
    exception_rate: float,
    on_written: Callable[[], None],
    rng: random.Random | None = None,
) -> list[Route]:
    """The admin routes; ``on_written`` is called after an advance wrote webhooks."""
    chance = rng or random.Random()

    async def advance_order(request: Request) -> Response:
        body = await parse_body(request, AdvanceRequest)
        outcome = await run_in_threadpool(
            advance, db, body, exception_rate=exception_rate, rng=chance
        )
        if outcome["events"]:
            on_written()
        return json_response(outcome)

    async def deliveries(request: Request) -> Response:
        number = request.query_params.get("fulfillment_order_no")
        rma_ref = request.query_params.get("rma_ref")
        log = await run_in_threadpool(delivery_log, db, number, rma_ref=rma_ref)
        return json_response({"data": log, "meta": {"total": len(log)}})

    return [
        Route("/_admin/advance", advance_order, methods=["POST"]),
        Route("/_admin/webhook-deliveries", deliveries, methods=["GET"]),
    ]
