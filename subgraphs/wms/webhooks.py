"""``POST /webhooks/wms``: the WMS's milestone webhooks, verified, normalized and published.

A request is checked in this order, and nothing is published unless it passes all of it:
its signature (``events.signing``; unsigned, badly signed or stale: 401), its body (not JSON,
missing or mistyped fields, unknown codes, or not a valid ``FulfillmentMilestone`` once
normalized: 400), then its vendor event id (seen before: 200, not published again). A new
event is appended to the bus and answered 2xx only once the bus has accepted it; if the bus or
the record of seen ids cannot be reached the answer is 503 and the WMS retries.

``mount_webhook_intake(app, settings, cache, bus=None)`` adds the route to the subgraph's app.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cache.base import Cache, CacheUnavailable
from crossdock.settings import Settings
from events.base import EventBus, EventBusUnavailable
from events.factory import create_event_bus_for
from events.idempotency import SeenEvents, SeenState
from events.signing import SIGNATURE_HEADER, SignatureInvalid, verify
from schema.events import FulfillmentMilestone, LineQuantity, MilestoneDetail, MilestoneType
from subgraphs.common.client import SystemCallError, system_client
from subgraphs.erp.client import ErpClient

__all__ = [
    "MAX_BODY_BYTES",
    "MILESTONE_STREAM",
    "SEEN_SCOPE",
    "WEBHOOK_PATH",
    "AccountLookup",
    "WmsWebhook",
    "erp_account_lookup",
    "mount_webhook_intake",
    "normalize",
    "webhook_route",
]

logger = logging.getLogger(__name__)

MILESTONE_STREAM = "fulfillment-milestones"
WEBHOOK_PATH = "/webhooks/wms"
SEEN_SCOPE = "wms-webhooks"

AccountLookup = Callable[[str], Awaitable[str | None]]
"""An order id to its account id (``None``: unknown), for enriching events."""

# The WMS's webhook event codes and carrier codes, in our words.
_EVENT = {
    "WV_REL": MilestoneType.RELEASED,
    "WV_PCK": MilestoneType.PICKING,
    "WV_PKD": MilestoneType.PICKED,
    "WV_PAK": MilestoneType.PACKED,
    "WV_BKO": MilestoneType.BACKORDERED,
    "SH_SHP": MilestoneType.SHIPPED,
    "SH_IT": MilestoneType.IN_TRANSIT,
    "SH_OFD": MilestoneType.OUT_FOR_DELIVERY,
    "SH_DLV": MilestoneType.DELIVERED,
    "SH_DLY": MilestoneType.DELAYED,
    "SH_EXC": MilestoneType.EXCEPTION,
    "RT_RCV": MilestoneType.RETURN_RECEIVED,
}
_CARRIER = {"UPSN": "UPS", "FDEG": "FEDEX", "USPS": "USPS", "CNWY": "XPO"}


class _Line(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_number: str = Field(min_length=1, max_length=200)
    qty: StrictInt = Field(ge=0)


class WmsWebhook(BaseModel):
    """A milestone webhook as the WMS sends it (snake_case, its own codes)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    event_id: str = Field(min_length=1, max_length=200)
    event_code: str = Field(min_length=1, max_length=32)
    event_ts: AwareDatetime
    facility_id: str = Field(min_length=1, max_length=200)
    order_ref: str = Field(min_length=1, max_length=200)
    order_number: str = Field(min_length=1, max_length=200)
    fulfillment_order_no: str | None = None
    shipment_no: str | None = None
    tracking_no: str | None = None
    carrier_scac: str | None = None
    service_level: str | None = None
    est_delivery_date: date | None = None
    lines: list[_Line] = Field(default_factory=list, max_length=1000)
    exception_code: str | None = None
    exception_desc: str | None = None
    # A return receipt's (RT_RCV): the RMA it received against, the ERP's return authorization.
    rma_ref: str | None = Field(default=None, min_length=1, max_length=200)


def normalize(webhook: WmsWebhook, *, account_id: str | None = None) -> FulfillmentMilestone:
    """The canonical event of ``webhook``; ``ValueError`` for an unknown code or an event that
    is not valid once normalized (a shipment milestone without its shipment, …)."""
    kind = _EVENT.get(webhook.event_code.upper())
    if kind is None:
        raise ValueError(f"unknown event_code {webhook.event_code!r}")
    if kind is MilestoneType.RETURN_RECEIVED and webhook.rma_ref is None:
        raise ValueError("a return receipt webhook needs its rma_ref")
    carrier = None
    if webhook.carrier_scac is not None:
        carrier = _CARRIER.get(webhook.carrier_scac.upper())
        if carrier is None:
            raise ValueError(f"unknown carrier_scac {webhook.carrier_scac!r}")
    estimated = None
    if webhook.est_delivery_date is not None:
        estimated = datetime.combine(webhook.est_delivery_date, time(0), tzinfo=UTC)
    reason = webhook.exception_desc or webhook.exception_code
    return FulfillmentMilestone(
        event_id=webhook.event_id,
        type=kind,
        order_id=webhook.order_ref,
        order_number=webhook.order_number,
        account_id=account_id,
        fulfillment_order_id=webhook.fulfillment_order_no,
        shipment_id=webhook.shipment_no,
        center_id=webhook.facility_id,
        occurred_at=webhook.event_ts,
        source="wms",
        detail=MilestoneDetail(
            tracking_number=webhook.tracking_no,
            carrier=carrier,
            service=webhook.service_level,
            quantities=tuple(
                LineQuantity(sku=line.item_number, quantity=line.qty) for line in webhook.lines
            ),
            exception_reason=reason,
            estimated_delivery=estimated,
            return_authorization_id=webhook.rma_ref,
        ),
    )


def _answer(status: int, code: str, message: str, **extra: object) -> Response:
    if status < 300:
        return JSONResponse({"status": code, "message": message, **extra}, status_code=status)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _describe(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or exc.title
    return f"{where}: {first['msg']}"


def _parse(body: bytes) -> FulfillmentMilestone:
    """The canonical event a webhook body announces; ``ValueError`` saying what is wrong."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ValueError("body is not JSON") from None
    try:
        return normalize(WmsWebhook.model_validate(data))
    except ValidationError as exc:
        raise ValueError(_describe(exc)) from None


MAX_BODY_BYTES = 1 << 20
"""The largest webhook body read: a milestone is a few KB; anything bigger is refused (413)
before it is verified, so an unsigned flood cannot fill the memory."""


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request) -> bytes:
    """The request's body, or ``_TooLarge`` as soon as it is known to exceed the limit."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_route(
    bus: EventBus,
    seen: SeenEvents,
    *,
    secret: str,
    tolerance_seconds: float = 300.0,
    stream: str = MILESTONE_STREAM,
    path: str = WEBHOOK_PATH,
    account_of: AccountLookup | None = None,
) -> Route:
    """The intake route (see the module docstring) publishing to ``stream`` on ``bus``."""

    async def _account(event: FulfillmentMilestone) -> str | None:
        # The account is a convenience: with the ERP unreachable the milestone is published
        # without it (the consumers look it up themselves) rather than refused until the
        # WMS gives up on it and it is lost.
        assert account_of is not None
        try:
            return await account_of(event.order_id)
        except (SystemCallError, CacheUnavailable) as exc:
            logger.warning("milestone %s published without its account: %s", event.event_id, exc)
            return None

    async def receive(request: Request) -> Response:
        if not request.headers.get(SIGNATURE_HEADER):
            return _answer(401, "UNAUTHENTICATED", f"missing signature ({SIGNATURE_HEADER})")
        try:
            body = await _bounded_body(request)
        except _TooLarge:
            return _answer(413, "PAYLOAD_TOO_LARGE", f"body over {MAX_BODY_BYTES} bytes")
        try:
            verify(secret, request.headers.get(SIGNATURE_HEADER), body,
                   tolerance_seconds=tolerance_seconds)  # fmt: skip
        except SignatureInvalid as exc:
            logger.warning("wms webhook refused: %s", exc)
            return _answer(401, "UNAUTHENTICATED", str(exc))
        try:
            event = _parse(body)
        except ValueError as exc:
            logger.warning("wms webhook malformed: %s", exc)
            return _answer(400, "BAD_REQUEST", str(exc))
        try:
            state = await seen.begin(event.event_id)
        except CacheUnavailable:
            return _answer(503, "UNAVAILABLE", "cannot check for duplicates now; retry")
        if state is SeenState.DONE:
            return _answer(200, "duplicate", "already received", event_id=event.event_id)
        if state is SeenState.BUSY:
            return _answer(503, "IN_PROGRESS", "the same event is being received; retry")
        try:
            if account_of is not None:
                event = event.model_copy(update={"account_id": await _account(event)})
            entry = await bus.publish(stream, event.event_id, event.to_json())
        except BaseException as exc:
            await seen.release(event.event_id)
            if isinstance(exc, EventBusUnavailable):
                return _answer(503, "UNAVAILABLE", "the event bus is unavailable; retry")
            raise
        await seen.done(event.event_id)
        return _answer(202, "accepted", "published", event_id=event.event_id, entry_id=entry)

    return Route(path, receive, methods=["POST"])


_ACCOUNT_TTL_SECONDS = 24 * 3600.0


def erp_account_lookup(erp: ErpClient, cache: Cache) -> AccountLookup:
    """The CRM account of an ERP order, as the ERP records it, remembered in ``cache`` (an
    order never changes hands). ``None`` for an order the ERP does not know; an ERP that
    cannot answer raises ``SystemCallError``."""

    async def account_of(order_id: str) -> str | None:
        key = f"wms-webhooks:account-of:{order_id}"
        cached = await cache.get(key)
        if cached is not None:
            return cached.decode() or None
        found = await erp.orders([order_id])
        account = next((order.account_id for order in found if order.id == order_id), None)
        await cache.set(key, (account or "").encode(), ttl_seconds=_ACCOUNT_TTL_SECONDS)
        return account

    return account_of


def mount_webhook_intake(
    app: Starlette, settings: Settings, cache: Cache, *, bus: EventBus | None = None
) -> None:
    """Add ``POST /webhooks/wms`` to ``app``, publishing to ``bus``: one the caller owns and
    shares (``crossdock up`` runs the consumers on it), or else one of the app's own, made as
    ``settings`` say and closed with the app. Each event is enriched with its order's CRM
    account, as the ERP at ``settings.system_url("erp")`` records it."""
    own_bus = bus is None
    target = create_event_bus_for(settings) if bus is None else bus
    erp = system_client("erp", settings)
    lifecycle = settings.wms_lifecycle
    app.router.routes.append(
        webhook_route(
            target,
            SeenEvents(cache, SEEN_SCOPE),
            secret=lifecycle.webhook_secret,
            tolerance_seconds=lifecycle.signature_tolerance_seconds,
            account_of=erp_account_lookup(ErpClient(erp), cache),
        )
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            try:
                yield
            finally:
                await erp.aclose()
                if own_bus:
                    await target.aclose()

    app.router.lifespan_context = lifespan
