"""The WMS's side of the subscription benchmark: signed milestone webhooks, at a rate or at once.

Each webhook is the body the reference WMS sends (``docs/wms-webhooks.md``) for a shipment of
the seeded world, signed as it signs (``systems.wms.signing``), under a fresh event id. The
publisher notes ``time.monotonic()`` just before each POST starts: that is the start of the
delivery latency the benchmark reports, keyed by event id (the id travels to the subscriber
as ``eventId``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from bench.http1 import PostClient
from systems.wms.signing import SIGNATURE_HEADER, signature_header
from systems.world_records import World

__all__ = ["Milestone", "Publisher", "Sent", "Target", "targets_from_world"]

_SCAC = {"UPS": "UPSN", "FEDEX": "FDEG", "USPS": "USPS", "XPO": "CNWY"}


@dataclass(frozen=True)
class Target:
    """An order a subscriber follows, and the shipment its milestones are about."""

    order_id: str
    order_number: str
    center_id: str
    fulfillment_order_id: str
    shipment_id: str
    tracking_number: str
    carrier_scac: str
    service: str


@dataclass(frozen=True)
class Milestone:
    """One webhook to send: which order, under which vendor event id."""

    target: Target
    event_id: str


@dataclass(frozen=True)
class Sent:
    """One webhook sent: when its POST started and was answered (monotonic seconds), how."""

    event_id: str
    order_id: str
    started: float
    answered: float
    status: int

    @property
    def accepted(self) -> bool:
        return self.status == 202


def targets_from_world(world: World, count: int) -> list[Target]:
    """``count`` distinct orders that have a shipment, in the world's order (deterministic)."""
    targets: list[Target] = []
    seen: set[str] = set()
    fulfillments = {f.id: f for f in world.fulfillment_orders}
    for shipment in world.shipments:
        if shipment.order_id in seen or shipment.carrier not in _SCAC:
            continue
        seen.add(shipment.order_id)
        fulfillment = fulfillments[shipment.fulfillment_order_id]
        targets.append(
            Target(
                order_id=shipment.order_id,
                order_number=fulfillment.order_number,
                center_id=shipment.center_id,
                fulfillment_order_id=fulfillment.id,
                shipment_id=shipment.id,
                tracking_number=shipment.tracking_number,
                carrier_scac=_SCAC[shipment.carrier],
                service=shipment.service,
            )
        )
        if len(targets) == count:
            return targets
    raise ValueError(f"the world has only {len(targets)} orders with a shipment, not {count}")


def webhook_body(milestone: Milestone) -> bytes:
    """The WMS's ``SH_IT`` (in transit) webhook for ``milestone``, stamped now."""
    target = milestone.target
    return orjson.dumps(
        {
            "event_id": milestone.event_id,
            "event_code": "SH_IT",
            "event_ts": datetime.now(UTC).isoformat(),
            "facility_id": target.center_id,
            "order_ref": target.order_id,
            "order_number": target.order_number,
            "fulfillment_order_no": target.fulfillment_order_id,
            "shipment_no": target.shipment_id,
            "tracking_no": target.tracking_number,
            "carrier_scac": target.carrier_scac,
            "service_level": target.service,
            "est_delivery_date": None,
            "lines": [],
            "exception_code": None,
            "exception_desc": None,
        }
    )


class Publisher:
    """POSTs signed milestone webhooks to the wms subgraph's intake, at most ``max_in_flight``
    at a time (``bench.http1``: kept-alive loopback connections, little CPU per request)."""

    def __init__(self, url: str, secret: str, *, max_in_flight: int = 64) -> None:
        self.url = url
        self.secret = secret
        self.max_in_flight = max_in_flight
        self._http = PostClient(url, connections=max_in_flight)
        self._gate = asyncio.Semaphore(max_in_flight)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post(self, milestone: Milestone) -> Sent:
        body = webhook_body(milestone)
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: signature_header(self.secret, body),
        }
        started = time.monotonic()
        status = await self._http.post(body, headers)
        answered = time.monotonic()
        return Sent(milestone.event_id, milestone.target.order_id, started, answered, status)

    async def _gated(self, milestone: Milestone) -> Sent:
        async with self._gate:
            return await self.post(milestone)

    async def burst(self, milestones: Sequence[Milestone]) -> list[Sent]:
        """Every milestone as fast as the intake answers, ``max_in_flight`` at a time."""
        return list(await asyncio.gather(*(self._gated(m) for m in milestones)))

    async def at_rate(self, milestones: Sequence[Milestone], per_second: float) -> list[Sent]:
        """One milestone every ``1/per_second`` seconds (open loop: a slow answer does not
        delay the next send, unless ``max_in_flight`` are unanswered)."""
        started = time.monotonic()
        tasks: list[asyncio.Task[Sent]] = []
        for n, milestone in enumerate(milestones):
            delay = started + n / per_second - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._gate.acquire()
            tasks.append(asyncio.create_task(self._released(milestone)))
        return list(await asyncio.gather(*tasks))

    async def _released(self, milestone: Milestone) -> Sent:
        try:
            return await self.post(milestone)
        finally:
            self._gate.release()
