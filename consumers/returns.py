"""``ReturnCredits``: the ERP's side of a return receipt, recording it and crediting it.

On ``RETURN_RECEIVED`` the receipt is read from the WMS (``GET /return-receipts?rma_refs=``:
what came back and each line's disposition, the record rather than the event's copy, which
carries no dispositions). The ERP then records it (``POST /returnAuthorizations/{id}/receive``)
and credits what is credited (``POST /creditMemos``: everything but goods still to inspect), and
the return authorization ends ``CREDITED`` (a return received in parts: each receipt in turn,
``PARTIALLY_RECEIVED`` until the last). Both writes are keyed by the WMS receipt number with the
very bodies the ``receiveReturn`` workflow sends (``resolvers.returns``), so whichever of
the workflow and this consumer writes first makes the one record and the one credit memo, and
the other is answered them; a redelivered event changes nothing twice either.

A return the ERP already holds as received or credited under other keys (recorded by hand, a
workflow journaled before the keys were the receipt's) is an answer, not a failure: the ERP
keeps one receipt and one credit memo per return. Anything else fails and is retried, then
dead-lettered: an event that does not parse or names no return, a receipt the WMS does not
know, the ERP or WMS unavailable, a refusal (a declined return, more credited than received).
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.http import SystemCallError, SystemClient
from connectors.wms.client import WmsClient
from connectors.wms.records import ReturnReceiptRecord
from events.base import Delivery
from monitoring import Monitor
from monitoring.outcomes import credited
from resolvers.returns import ReceivedLine, credit_memo_body, receipt_record_body
from schema.events import FulfillmentMilestone, MilestoneType

__all__ = ["RETURNS_GROUP", "ReceiptNotFound", "ReturnCredits", "ReturnRefused"]

log = logging.getLogger("crossdock.consumers")

RETURNS_GROUP = "returns"
"""The consumer group (and ``SeenEvents`` scope) of the returns consumer."""

# The ERP's 409s that say the work is already done (one receipt, one memo per return).
_ALREADY_RECORDED = "ALREADY_RECEIVED"
_ALREADY_CREDITED = "ALREADY_CREDITED"


class ReceiptNotFound(LookupError):
    """The WMS has no receipt for the return a ``RETURN_RECEIVED`` event names (retried, then
    dead letters: the WMS writes the milestone with the receipt)."""


class ReturnRefused(SystemCallError):
    """The ERP refused to record or credit the receipt (409 other than already done)."""


class ReturnCredits:
    """The handler of the ``returns`` group: one milestone at a time, over the ERP and the WMS."""

    def __init__(
        self, erp: SystemClient, wms: SystemClient, *, monitor: Monitor | None = None
    ) -> None:
        self._erp = erp
        self._wms = WmsClient(wms)
        self._monitor = monitor

    async def __call__(self, delivery: Delivery) -> None:
        # An event that does not parse raises here: retried, then parked in the dead letters.
        event = FulfillmentMilestone.from_json(delivery.data)
        if event.type is not MilestoneType.RETURN_RECEIVED:
            return
        ra_id = event.detail.return_authorization_id
        if ra_id is None:
            raise ReceiptNotFound(f"event {event.event_id} names no return authorization")
        # Recorded only when a memo credits something: goods still to inspect are not yet.
        if await self.credit(ra_id) and self._monitor is not None:
            await self._monitor.record_quietly(credited(event.order_id, ra_id, event.center_id))

    async def credit(self, ra_id: str) -> bool:
        """Record and credit the WMS's receipts of return ``ra_id`` in the ERP (each once);
        whether any of them credits something.

        A return received in parts has a receipt per part, and the event does not say which
        it announces: every receipt is sent, oldest first (the ERP adds them up in order), and
        those already recorded and credited are answered, not repeated."""
        credited_any = False
        for receipt in await self._receipts(ra_id):
            credited_any = await self._credit_receipt(ra_id, receipt) or credited_any
        return credited_any

    async def _credit_receipt(self, ra_id: str, receipt: ReturnReceiptRecord) -> bool:
        lines = [
            ReceivedLine(line.sku, line.quantity_received, line.disposition.value)
            for line in receipt.lines
        ]
        await self._write(
            f"/returnAuthorizations/{ra_id}/receive",
            receipt_record_body(receipt.id, lines),
            done=_ALREADY_RECORDED,
        )
        memo = credit_memo_body(receipt.id, ra_id, lines)
        if memo is None:
            log.info("receipt %s of return %s: nothing credited yet", receipt.id, ra_id)
            return False
        await self._write("/creditMemos", memo, done=_ALREADY_CREDITED)
        return True

    async def _receipts(self, ra_id: str) -> list[ReturnReceiptRecord]:
        found = await self._wms.return_receipts([ra_id])
        if not found:
            raise ReceiptNotFound(f"the wms has no receipt of return {ra_id!r}")
        return sorted(found, key=lambda r: (r.received_at, r.id))

    async def _write(self, path: str, body: dict[str, Any], *, done: str) -> None:
        answer = await self._erp.request("POST", path, json=body, accept=(409,))
        if answer.status != 409:
            return
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        code = error.get("code") if isinstance(error, dict) else None
        if code == done:
            log.info("%s: %s, nothing to do", path, code)
            return
        message = error.get("message") if isinstance(error, dict) else None
        raise ReturnRefused("erp", f"POST {path} refused: {code}: {message}")
