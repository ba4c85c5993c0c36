"""``POST /webhooks/wms``: the WMS's milestone webhooks, verified, normalized and published.

A request is checked in this order, and nothing is published unless it passes all of it:
its signature (``connectors.wms.signature``; unsigned, badly signed or stale: 401), its body
(``connectors.wms.webhooks``: not JSON, missing or mistyped fields, unknown codes, or not a
valid ``FulfillmentMilestone`` once normalized: 400), then its vendor event id (seen before
with the same event: 200, not published again; seen with another event: 409, logged, since
an id reused for other content is a fault in the sender that dropping it would hide). A new
event is appended to the bus and answered 2xx only once the bus has accepted it; if the bus
or the record of seen ids cannot be reached the answer is 503 and the WMS retries.

``mount_webhook_intake(app, settings, cache, bus=None)`` adds the route to the subgraph's app.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cache.base import Cache, CacheUnavailable
from connectors.erp.client import ErpClient
from connectors.http import SystemCallError
from connectors.settings import system_client
from connectors.wms.signature import SIGNATURE_HEADER, SignatureInvalid, verify
from connectors.wms.webhooks import parse_webhook
from events.base import EventBus, EventBusUnavailable
from events.factory import create_event_bus_for
from events.idempotency import SeenEvents, SeenState
from schema.events import MILESTONE_STREAM, FulfillmentMilestone
from subgraphs.settings import SubgraphSettings

__all__ = [
    "MAX_BODY_BYTES",
    "SEEN_SCOPE",
    "WEBHOOK_PATH",
    "AccountLookup",
    "erp_account_lookup",
    "mount_webhook_intake",
    "webhook_route",
]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/wms"
SEEN_SCOPE = "wms-webhooks"

AccountLookup = Callable[[str], Awaitable[str | None]]
"""An order id to its account id (``None``: unknown), for enriching events."""


def _answer(status: int, code: str, message: str, **extra: object) -> Response:
    if status < 300:
        return JSONResponse({"status": code, "message": message, **extra}, status_code=status)
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


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
        except ClientDisconnect:
            # The WMS hung up mid-body: nothing to verify or publish, and it will send again.
            logger.info("wms webhook abandoned: the sender disconnected before the whole body")
            return Response(status_code=400)
        try:
            verify(secret, request.headers.get(SIGNATURE_HEADER), body,
                   tolerance_seconds=tolerance_seconds)  # fmt: skip
        except SignatureInvalid as exc:
            logger.warning("wms webhook refused: %s", exc)
            return _answer(401, "UNAUTHENTICATED", str(exc))
        try:
            event = parse_webhook(body)
        except ValueError as exc:
            logger.warning("wms webhook malformed: %s", exc)
            return _answer(400, "BAD_REQUEST", str(exc))
        # What the event is, as normalized (before the account is added): the same webhook
        # sent again has it, another one reusing its id does not.
        fingerprint = hashlib.sha256(event.to_json()).hexdigest()
        try:
            state = await seen.begin(event.event_id, fingerprint)
        except CacheUnavailable:
            return _answer(503, "UNAVAILABLE", "cannot check for duplicates now; retry")
        if state is SeenState.CONFLICT:
            logger.warning(
                "wms webhook refused: event id %s was already received with another body",
                event.event_id,
            )
            return _answer(
                409,
                "EVENT_ID_REUSED",
                "this event id was already received with another body",
            )
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
        await seen.done(event.event_id, fingerprint)
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
    app: Starlette, settings: SubgraphSettings, cache: Cache, *, bus: EventBus | None = None
) -> None:
    """Add ``POST /webhooks/wms`` to ``app``, publishing to ``bus``: one the caller owns and
    shares (``crossdock up`` runs the consumers on it), or else one of the app's own, made as
    ``settings`` say and closed with the app. Each event is enriched with its order's CRM
    account, as the ERP records it."""
    own_bus = bus is None
    target = create_event_bus_for(settings.bus) if bus is None else bus
    erp = system_client("erp", settings.connectors)
    app.router.routes.append(
        webhook_route(
            target,
            SeenEvents(cache, SEEN_SCOPE),
            secret=settings.webhooks.secret,
            tolerance_seconds=settings.webhooks.tolerance_seconds,
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
