"""Sending the milestone webhooks the lifecycle wrote, signed, until each is acknowledged.

Each pending row of ``webhook_deliveries`` is POSTed to the configured URL with the signature
header of ``systems.wms.signing``; a 2xx marks it ``DELIVERED``. Anything else (an error status, a
refused connection, a timeout) counts an attempt, keeps the error and schedules the next one
after an exponential, jittered and capped backoff; after ``max_attempts`` it is ``FAILED``.
Delivery is at least once: an acknowledgement lost on the way back means a second delivery,
which the receiver drops by the vendor event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from systems.common.db import Database
from systems.settings import WmsLifecycleSettings
from systems.wms.codes import format_ts
from systems.wms.lifecycle import AdvanceRequest, active_orders, advance
from systems.wms.signing import SIGNATURE_HEADER, signature_header

__all__ = ["LifecycleRunner", "WebhookSender", "backoff_seconds", "delivery_log"]

logger = logging.getLogger(__name__)

_BATCH = 100
_IDLE_SECONDS = 1.0  # how long the sender sleeps with nothing due, unless woken


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """The wait before the next attempt after ``attempts`` failed ones: ``base * 2**(n-1)``,
    capped at ``cap``, with "equal jitter" (between half and all of it)."""
    delay = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return float(delay / 2 + rng.random() * delay / 2)


def delivery_log(
    db: Database, fulfillment_order_no: str | None = None, *, rma_ref: str | None = None
) -> list[dict[str, Any]]:
    """Every webhook in the order it was written (those of one fulfillment order, or of one
    return, when given), with its delivery state and its body."""
    if fulfillment_order_no:
        rows = db.fetch_all(
            "SELECT * FROM webhook_deliveries WHERE fulfillment_order_no = ? ORDER BY seq",
            (fulfillment_order_no,),
        )
    elif rma_ref:
        rows = db.fetch_all(
            "SELECT * FROM webhook_deliveries WHERE rma_ref = ? ORDER BY seq", (rma_ref,)
        )
    else:
        rows = db.fetch_all("SELECT * FROM webhook_deliveries ORDER BY seq")
    return [
        {
            "event_id": row["event_id"],
            "seq": row["seq"],
            "fulfillment_order_no": row["fulfillment_order_no"],
            "rma_ref": row["rma_ref"],
            "event_code": row["event_code"],
            "status": row["status"],
            "attempts": row["attempts"],
            "last_status_code": row["last_status_code"],
            "last_error": row["last_error"],
            "created_ts": row["created_ts"],
            "delivered_ts": row["delivered_ts"],
            "payload": orjson.loads(row["body"]),
        }
        for row in rows
    ]


class WebhookSender:
    """Delivers due webhooks in the order they were written; ``wake`` after writing some."""

    def __init__(
        self, db: Database, settings: WmsLifecycleSettings, *, rng: random.Random | None = None
    ) -> None:
        if settings.webhook_url is None:
            raise ValueError("a webhook sender needs settings.webhook_url")
        self._db = db
        self._settings = settings
        self._url = settings.webhook_url
        self._rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            limits=httpx.Limits(max_connections=4),
        )

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled."""
        while True:
            try:
                await self.deliver_due()
            except Exception:
                logger.exception("webhook delivery round failed")
            wait = await asyncio.to_thread(self._seconds_to_next)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def _seconds_to_next(self) -> float:
        row = self._db.fetch_one(
            "SELECT min(next_attempt_ts) AS due FROM webhook_deliveries WHERE status = 'PENDING'"
        )
        if row is None or row["due"] is None:
            return _IDLE_SECONDS
        due: float = row["due"]
        return min(max(due - time.time(), 0.0), _IDLE_SECONDS)

    async def deliver_due(self) -> int:
        """Attempt every webhook due now once; how many were attempted."""
        rows = await asyncio.to_thread(
            self._db.fetch_all,
            "SELECT event_id, body, attempts FROM webhook_deliveries "
            "WHERE status = 'PENDING' AND next_attempt_ts <= ? ORDER BY seq LIMIT ?",
            (time.time(), _BATCH),
        )
        for row in rows:
            await self._attempt(row["event_id"], row["body"].encode(), row["attempts"] + 1)
        return len(rows)

    async def _attempt(self, event_id: str, body: bytes, attempt: int) -> None:
        secret = self._settings.webhook_secret
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: signature_header(
            secret, body)}  # fmt: skip
        code: int | None = None
        try:
            answer = await self._client.post(self._url, content=body, headers=headers)
            code = answer.status_code
            error = None if answer.is_success else f"HTTP {code}: {answer.text[:200]}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        await asyncio.to_thread(self._record, event_id, attempt, code, error)

    def _record(self, event_id: str, attempt: int, code: int | None, error: str | None) -> None:
        s = self._settings
        if error is None:
            status, due, delivered = "DELIVERED", time.time(), format_ts(datetime.now(UTC))
        else:
            status = "FAILED" if attempt >= s.max_attempts else "PENDING"
            wait = backoff_seconds(attempt, s.retry_base_seconds, s.retry_max_seconds, self._rng)
            due, delivered = time.time() + wait, None
            logger.warning("webhook %s attempt %d failed: %s", event_id, attempt, error)
        with self._db.transaction() as conn:
            conn.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?, last_status_code = ?,"
                " last_error = coalesce(?, last_error), next_attempt_ts = ?, delivered_ts = ?"
                " WHERE event_id = ?",
                (status, attempt, code, error, due, delivered, event_id),
            )

    async def aclose(self) -> None:
        await self._client.aclose()


class LifecycleRunner:
    """The timed mode: every ``speed_seconds``, each order still on its way takes one step."""

    def __init__(
        self,
        db: Database,
        settings: WmsLifecycleSettings,
        *,
        on_written: Sequence[WebhookSender] = (),
        rng: random.Random | None = None,
    ) -> None:
        if settings.speed_seconds is None:
            raise ValueError("the timed lifecycle needs settings.speed_seconds")
        self._db = db
        self._speed = settings.speed_seconds
        self._rate = settings.exception_rate
        self._senders = on_written
        self._rng = rng or random.Random()

    def tick(self) -> int:
        """One step of every active order; how many moved."""
        moved = 0
        for number in active_orders(self._db):
            request = AdvanceRequest(fulfillment_order_no=number, steps=1)
            try:
                advance(self._db, request, exception_rate=self._rate, rng=self._rng)
                moved += 1
            except Exception:
                logger.exception("could not advance %s", number)
        return moved

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._speed)
            if await asyncio.to_thread(self.tick):
                for sender in self._senders:
                    sender.wake()
