"""``requestReturn`` and ``receiveReturn`` as journaled workflows that only move forward.

Request: check the order (ERP), authorize or decline (ERP, which applies the return window
and shipped-minus-returned quantities), tell the receiving center to expect it (WMS).
Receive: check the authorization (ERP), book the receipt with its dispositions (WMS, which
restocks), record it (ERP), credit what was received and is credited (ERP credit memo; the
return ends CREDITED). Goods inspected later (INSPECTION_REQUIRED) are not credited yet. A
receipt may bring back part of what is authorized: the return is then PARTIALLY_RECEIVED, that
part credited, and a later ``receiveReturn`` (another key) takes at most what is still awaited;
the receipt that brings the last of it completes the return.
Every write is idempotent by an id derived from the workflow id, the ERP's record and credit
memo by the WMS's receipt number (``receipt_record_body``, ``credit_memo_body``), which the
returns consumer (``consumers.returns``) uses too on the receipt's ``RETURN_RECEIVED``
milestone: whichever runs first makes the one credit memo, the other is answered it. A
workflow stopped after a write is carried forward by ``recover``.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from connectors.http import SystemCallError
from resolvers.authority import audit_name
from resolvers.idempotency import KeyInProgress, KeyReused
from resolvers.journal import WorkflowState
from resolvers.records import UserError
from resolvers.steplog import step
from resolvers.submit import WorkflowFailed
from resolvers.workflow import IN_PROGRESS, KEY_REUSED, JournaledWorkflow, begin, end
from schema.actor import SYSTEM, Actor

__all__ = [
    "NOT_CREDITED",
    "ORDER_NOT_FOUND",
    "RECEIVE",
    "REQUEST",
    "ReceivedLine",
    "ReturnResult",
    "ReturnWorkflows",
    "credit_memo_body",
    "receipt_record_body",
]

REQUEST = "requestReturn"
RECEIVE = "receiveReturn"
# What is credited on receipt: everything but goods still to be inspected.
NOT_CREDITED = frozenset({"INSPECTION_REQUIRED"})
ORDER_NOT_FOUND = UserError("ORDER_NOT_FOUND", ("orderId",), "no such order")
# What a return may still receive against: authorized, or some of it already back.
_RECEIVABLE = frozenset({"AUTHORIZED", "PARTIALLY_RECEIVED"})


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """One line of a booked return receipt: what came back and what the dock did with it."""

    sku: str
    quantity: int
    disposition: str  # RESTOCKED, NOT_RESTOCKED, INSPECTION_REQUIRED, SCRAPPED


def receipt_record_body(receipt_no: str, lines: Sequence[ReceivedLine]) -> dict[str, Any]:
    """``POST /returnAuthorizations/{id}/receive`` recording WMS receipt ``receipt_no`` in the
    ERP. The workflow and the returns consumer both send exactly this, so the ERP answers the
    second with the first (same key, same body)."""
    return {
        "requestId": f"{receipt_no}-R",
        "items": [{"item": {"refName": x.sku}, "quantityReceived": x.quantity} for x in lines],
    }


def credit_memo_body(
    receipt_no: str, ra_id: str, lines: Sequence[ReceivedLine]
) -> dict[str, Any] | None:
    """``POST /creditMemos`` crediting what receipt ``receipt_no`` brought back (goods still to
    be inspected aside); ``None`` when nothing of it is credited. Keyed by the receipt."""
    credited = [x for x in lines if x.quantity > 0 and x.disposition not in NOT_CREDITED]
    if not credited:
        return None
    return {
        "externalId": receipt_no,
        "createdFrom": {"internalId": ra_id},
        "items": [{"item": {"refName": x.sku}, "quantity": x.quantity} for x in credited],
    }


@dataclass(frozen=True, slots=True)
class ReturnResult:
    """The return authorization (if any), how it stands, and what was refused."""

    return_authorization_id: str | None
    status: str | None = None  # AUTHORIZED, DECLINED, PARTIALLY_RECEIVED, RECEIVED, CREDITED
    decline_reason: str | None = None
    credit_memo_id: str | None = None
    user_errors: tuple[UserError, ...] = ()
    # A receipt's order and receiving center, for the business monitoring (None before the
    # receipt is booked, or in a result kept before they were).
    order_id: str | None = None
    center_id: str | None = None

    def json(self) -> dict[str, Any]:
        return {
            "returnAuthorizationId": self.return_authorization_id,
            "status": self.status,
            "declineReason": self.decline_reason,
            "creditMemoId": self.credit_memo_id,
            "userErrors": [x.json() for x in self.user_errors],
            "orderId": self.order_id,
            "centerId": self.center_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReturnResult:
        return cls(
            data["returnAuthorizationId"],
            data["status"],
            data["declineReason"],
            data["creditMemoId"],
            tuple(UserError.from_json(x) for x in data["userErrors"]),
            data.get("orderId"),
            data.get("centerId"),
        )


def _lines_error(lines: list[dict[str, Any]], key: str, minimum: int) -> UserError | None:
    if not lines:
        return UserError("NO_LINES", ("lines",), "name at least one line")
    seen: set[str] = set()
    for n, line in enumerate(lines):
        if line[key] < minimum:
            return UserError(
                "INVALID_QUANTITY", ("lines", str(n), key), f"{key} must be at least {minimum}"
            )
        if line["sku"] in seen:
            return UserError("DUPLICATE_SKU", ("lines", str(n), "sku"), "sku is on another line")
        seen.add(line["sku"])
    return None


class ReturnWorkflows(JournaledWorkflow):
    async def request(self, body: dict[str, Any], key: str, actor: Actor = SYSTEM) -> ReturnResult:
        """``body``: ``orderId`` and ``lines`` of ``{sku, quantity, reason}``; the ERP records
        ``actor`` as who asked."""
        return await self._start(REQUEST, body, key, actor)

    async def receive(self, body: dict[str, Any], key: str, actor: Actor = SYSTEM) -> ReturnResult:
        """``body``: ``returnAuthorizationId`` and ``lines`` of ``{sku, quantity, disposition}``;
        the ERP records ``actor`` as who received it."""
        return await self._start(RECEIVE, body, key, actor)

    async def _start(self, kind: str, body: dict[str, Any], key: str, actor: Actor) -> ReturnResult:
        try:
            begun = await begin(
                self.idempotency, self.journal, kind, body, key, self.leases, actor=actor
            )
        except KeyReused:
            return ReturnResult(None, user_errors=(KEY_REUSED,))
        except KeyInProgress:
            return ReturnResult(None, user_errors=(IN_PROGRESS,))
        if isinstance(begun, dict):
            return ReturnResult.from_json(begun)
        try:
            return await self.run(begun)
        finally:
            await self.leases.release(begun.id)

    async def recover(self) -> list[WorkflowState]:
        return [
            await self.recover_one(state)
            for state in await self.journal.unfinished()
            if state.kind in (REQUEST, RECEIVE)
        ]

    async def recover_one(self, state: WorkflowState) -> WorkflowState:
        """Carry one unfinished return workflow forward, or abandon it if it wrote nothing."""
        if not state.data.get("writing"):
            return await end(self.idempotency, self.journal, state, "FAILED", None)
        with contextlib.suppress(WorkflowFailed, SystemCallError):
            await self.run(state)
        return await self.journal.load(state.id) or state

    async def run(self, state: WorkflowState) -> ReturnResult:
        try:
            if state.kind == REQUEST:
                result = await self._request(state)
            else:
                result = await self._receive(state)
        except SystemCallError as error:
            saved = await self.journal.load(state.id) or state
            if not saved.data.get("writing"):
                # Nothing was written: fail plainly and free the key for a retry.
                await end(self.idempotency, self.journal, saved, "FAILED", None)
                raise
            raise WorkflowFailed(
                error.system, f"{error.message}; the return will be completed when it recovers"
            ) from None
        return result

    async def _finish(self, state: WorkflowState, result: ReturnResult) -> ReturnResult:
        await end(self.idempotency, self.journal, state, "COMPLETED", result.json())
        return result

    async def _save(self, state: WorkflowState, finished: str) -> WorkflowState:
        await self.journal.save(state)
        if self.after_step is not None:
            await self.after_step(finished, state)
        return state

    async def _request(self, state: WorkflowState) -> ReturnResult:
        body = state.request
        if not state.done("authorize"):
            refused = _lines_error(body["lines"], "quantity", 1)
            order = None if refused else await self.systems.order(body["orderId"])
            if refused is None and order is None:
                refused = ORDER_NOT_FOUND
            on_order = {line.sku for line in order.lines} if order else set()
            for n, line in enumerate(body["lines"]):
                if refused is None and line["sku"] not in on_order:
                    refused = UserError(
                        "NOT_ON_ORDER", ("lines", str(n), "sku"), f"{line['sku']} is not ordered"
                    )
            if refused is not None:
                return await self._finish(state, ReturnResult(None, user_errors=(refused,)))
            state = await self._save(state.after("check", writing=True), "check")
            async with step(REQUEST, state.id, "authorize", "erp"):
                ra = await self.systems.authorize_return(
                    {
                        "externalId": state.id,
                        "createdFrom": {"internalId": body["orderId"]},
                        "custbody_requested_by": audit_name(state.actor),
                        "items": [
                            {
                                "item": {"refName": x["sku"]},
                                "quantity": x["quantity"],
                                "reason": x["reason"],
                            }
                            for x in body["lines"]
                        ],
                    }
                )
            state = await self._save(
                state.after(
                    "authorize",
                    ra=ra.id,
                    status=ra.status.value,
                    declineReason=ra.decline_reason,
                    center=ra.center_id,
                ),
                "authorize",
            )
        data = state.data
        if data["status"] == "AUTHORIZED" and not state.done("expect"):
            async with step(REQUEST, state.id, "expect", "wms"):
                await self.systems.expect_return(
                    {
                        "rma_ref": data["ra"],
                        "order_ref": body["orderId"],
                        "facility_id": data["center"],
                        "lines": [
                            {"item_number": x["sku"], "qty": x["quantity"]} for x in body["lines"]
                        ],
                    }
                )
            state = await self._save(state.after("expect"), "expect")
        return await self._finish(
            state, ReturnResult(data["ra"], data["status"], data["declineReason"])
        )

    async def _receive(self, state: WorkflowState) -> ReturnResult:
        body = state.request
        ra_id = body["returnAuthorizationId"]
        if not state.done("receipt"):
            refused = _lines_error(body["lines"], "quantity", 0)
            ra = None if refused else await self.systems.return_authorization(ra_id)
            if refused is None and ra is None:
                refused = UserError(
                    "RETURN_NOT_FOUND", ("returnAuthorizationId",), "no such return"
                )
            elif refused is None and ra is not None and ra.status.value not in _RECEIVABLE:
                refused = UserError(
                    "RETURN_NOT_AUTHORIZED",
                    ("returnAuthorizationId",),
                    f"the return is {ra.status.value}, not AUTHORIZED",
                )
            # What is still awaited: authorized less what earlier receipts brought back.
            awaited: Counter[str] = Counter()
            for line in ra.lines if ra else ():
                awaited[line.sku] += line.quantity - line.quantity_received
            for n, line in enumerate(body["lines"]):
                if refused is None and line["quantity"] > awaited[line["sku"]]:
                    refused = UserError(
                        "QUANTITY_EXCEEDS_AUTHORIZED",
                        ("lines", str(n), "quantity"),
                        f"at most {awaited[line['sku']]} of {line['sku']} may still come back",
                    )
            received = [x for x in body["lines"] if x["quantity"] > 0]
            if refused is None and not received:
                # Nothing came back: no receipt to book (the WMS takes none of nothing).
                refused = UserError(
                    "INVALID_QUANTITY", ("lines",), "at least one line must bring something back"
                )
            if refused is not None:
                return await self._finish(state, ReturnResult(None, user_errors=(refused,)))
            assert ra is not None
            for x in received:
                awaited[x["sku"]] -= x["quantity"]
            # Journaled with the check: whether this receipt brings the last of the return.
            complete = not +awaited
            checked = state.after(
                "check", writing=True, complete=complete, orderId=ra.order_id, center=ra.center_id
            )
            state = await self._save(checked, "check")
            async with step(RECEIVE, state.id, "receipt", "wms"):
                booking = await self.systems.receive_return_wms(
                    {
                        "receipt_id": state.id,
                        "rma_ref": ra_id,
                        "facility_id": ra.center_id,
                        "lines": [
                            {
                                "item_number": x["sku"],
                                "qty_received": x["quantity"],
                                "disposition_code": x["disposition"],
                            }
                            for x in received
                        ],
                    }
                )
            if booking.refusal is not None:
                error = UserError(
                    booking.refusal, ("returnAuthorizationId",), "the center refused it"
                )
                return await self._finish(state, ReturnResult(ra_id, user_errors=(error,)))
            state = await self._save(state.after("receipt", receipt=booking.receipt_no), "receipt")
        # Keyed by the WMS receipt (a workflow journaled before receipts were: by its own id).
        receipt = state.data.get("receipt") or state.id
        lines = [
            ReceivedLine(x["sku"], x["quantity"], x["disposition"])
            for x in body["lines"]
            if x["quantity"] > 0
        ]
        if not state.done("record"):
            async with step(RECEIVE, state.id, "record", "erp"):
                # Who received it is recorded, not fingerprinted: the returns consumer sends
                # the same receipt without it, and the ERP answers whichever came second.
                recorded = {
                    **receipt_record_body(receipt, lines),
                    "receivedBy": audit_name(state.actor),
                }
                await self.systems.receive_return_erp(ra_id, recorded)
            state = await self._save(state.after("record"), "record")
        credit = credit_memo_body(receipt, ra_id, lines)
        if credit is not None and not state.done("credit"):
            async with step(RECEIVE, state.id, "credit", "erp"):
                memo = await self.systems.credit_return(credit)
            state = await self._save(state.after("credit", creditMemo=memo), "credit")
        memo_id = state.data.get("creditMemo")
        if not state.data.get("complete", True):  # journaled before partial receipts: whole
            status = "PARTIALLY_RECEIVED"
        else:
            status = "CREDITED" if memo_id else "RECEIVED"
        result = ReturnResult(
            ra_id,
            status,
            credit_memo_id=memo_id,
            order_id=state.order_id,
            center_id=state.data.get("center"),
        )
        return await self._finish(state, result)
