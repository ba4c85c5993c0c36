"""The ERP's write endpoints (docs/system-writes.md): each parses its body, then writes in a
worker thread, one transaction per call."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.params import parse_body
from systems.common.responses import json_response, written_response
from systems.erp.billing import BilledLinesIn, credit_return, invoice_shipment
from systems.erp.credit_check import CreditCheckIn, check_credit
from systems.erp.order_changes import CancelIn, StatusChangeIn, cancel_lines, change_status
from systems.erp.order_entry import SalesOrderIn, enter_order
from systems.erp.returns import (
    ReceiveIn,
    ReturnAuthorizationIn,
    authorize_return,
    receive_return,
)

__all__ = ["routes"]


def routes(db: Database) -> list[Route]:
    async def create_order(request: Request) -> Response:
        body = await parse_body(request, SalesOrderIn)
        return written_response(await run_in_threadpool(enter_order, db, body))

    async def credit_check(request: Request) -> Response:
        body = await parse_body(request, CreditCheckIn)
        return json_response(await run_in_threadpool(check_credit, db, body))

    async def patch_order(request: Request) -> Response:
        body = await parse_body(request, StatusChangeIn)
        internal_id: str = request.path_params["internal_id"]
        return json_response(await run_in_threadpool(change_status, db, internal_id, body))

    async def cancel_order(request: Request) -> Response:
        body = await parse_body(request, CancelIn)
        internal_id: str = request.path_params["internal_id"]
        written = await run_in_threadpool(cancel_lines, db, internal_id, body)
        return json_response(written.payload)

    async def create_return(request: Request) -> Response:
        body = await parse_body(request, ReturnAuthorizationIn)
        return written_response(await run_in_threadpool(authorize_return, db, body))

    async def receive(request: Request) -> Response:
        body = await parse_body(request, ReceiveIn)
        internal_id: str = request.path_params["internal_id"]
        written = await run_in_threadpool(receive_return, db, internal_id, body)
        return json_response(written.payload)

    async def create_credit_memo(request: Request) -> Response:
        body = await parse_body(request, BilledLinesIn)
        return written_response(await run_in_threadpool(credit_return, db, body))

    async def create_invoice(request: Request) -> Response:
        body = await parse_body(request, BilledLinesIn)
        return written_response(await run_in_threadpool(invoice_shipment, db, body))

    return [
        Route("/salesOrders", create_order, methods=["POST"]),
        Route("/salesOrders/creditCheck", credit_check, methods=["POST"]),
        Route("/salesOrders/{internal_id}", patch_order, methods=["PATCH"]),
        Route("/salesOrders/{internal_id}/cancel", cancel_order, methods=["POST"]),
        Route("/returnAuthorizations", create_return, methods=["POST"]),
        Route("/returnAuthorizations/{internal_id}/receive", receive, methods=["POST"]),
        Route("/creditMemos", create_credit_memo, methods=["POST"]),
        Route("/invoices", create_invoice, methods=["POST"]),
    ]
