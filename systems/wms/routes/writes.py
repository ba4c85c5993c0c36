"""The WMS's write endpoints beyond reservations (docs/system-writes.md): release and cancel
fulfillment orders, expect returns and receive them. Each writes in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.errors import Unprocessable
from systems.common.params import parse_body, parse_ids
from systems.common.responses import json_response, written_response
from systems.wms.fulfillment import CancelRequest, ReleaseRequest, cancel, release
from systems.wms.reservations import Shortage
from systems.wms.returns import (
    ExpectedReturnRequest,
    ReturnReceiptRequest,
    expect_return,
    expected_returns,
    receive_return,
)
from systems.wms.routes.common import bulk_envelope

__all__ = ["shortage_response", "write_routes"]


def shortage_response(outcome: Shortage, what: str) -> Response:
    """409 ``INSUFFICIENT_INVENTORY`` with the positions that lack stock."""
    short = [asdict(line) for line in outcome.lines]
    return json_response(
        {
            "error": {
                "code": "INSUFFICIENT_INVENTORY",
                "message": f"{len(short)} line(s) lack availability; nothing was {what}",
                "short_lines": short,
            }
        },
        409,
    )


def _nothing() -> None:
    return None


def write_routes(db: Database, *, on_written: Callable[[], None] = _nothing) -> list[Route]:
    """The write routes; ``on_written`` is called after a release or a return receipt wrote
    its webhooks."""

    async def release_order(request: Request) -> Response:
        body = await parse_body(request, ReleaseRequest)
        outcome = await run_in_threadpool(release, db, body)
        if isinstance(outcome, Shortage):
            return shortage_response(outcome, "released")
        if outcome.status_code == 201:
            on_written()
        return written_response(outcome)

    async def cancel_order(request: Request) -> Response:
        body = await parse_body(request, CancelRequest)
        written = await run_in_threadpool(cancel, db, body)
        return json_response(written.payload)

    async def create_expected_return(request: Request) -> Response:
        body = await parse_body(request, ExpectedReturnRequest)
        return written_response(await run_in_threadpool(expect_return, db, body))

    def list_expected_returns(request: Request) -> Response:
        rma_refs = parse_ids(request, "rma_refs")
        if rma_refs is None:
            raise Unprocessable("parameter 'rma_refs' is required")
        return json_response(bulk_envelope(expected_returns(db, rma_refs)))

    async def create_return_receipt(request: Request) -> Response:
        body = await parse_body(request, ReturnReceiptRequest)
        written = await run_in_threadpool(receive_return, db, body)
        if written.status_code == 201:
            on_written()
        return written_response(written)

    return [
        Route("/fulfillment-orders/release", release_order, methods=["POST"]),
        Route("/fulfillment-orders/cancel", cancel_order, methods=["POST"]),
        Route("/expected-returns", create_expected_return, methods=["POST"]),
        Route("/expected-returns", list_expected_returns, methods=["GET"]),
        Route("/return-receipts", create_return_receipt, methods=["POST"]),
    ]
