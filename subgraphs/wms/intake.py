"""``POST /webhooks/wms``: the WMS's milestone webhooks, verified, normalized and made durable.

A request is checked in this order, and nothing is recorded unless it passes all of it:
its signature (``connectors.wms.signature``; unsigned, badly signed or stale: 401), its body
(``connectors.wms.webhooks``: not JSON, missing or mistyped fields, unknown codes, or not a
valid ``FulfillmentMilestone`` once normalized: 400), then its vendor event id against the
outbox (seen before with the same event: 200, not recorded again; seen with another event:
409, logged, since an id reused for other content is a fault in the sender that dropping it
would hide). A new event is committed to the outbox (``events.outbox``: SQLite on local disk,
or PostgreSQL) and answered 202 only once the commit is durable; the relay (``events.relay``)
then publishes it to the bus, at least once, and again if the bus loses it. So the bus being
down is no reason to refuse a webhook: only an outbox that cannot be written is (503, nothing
recorded, and the WMS retries). ``docs/events.md`` has the guarantees.

``mount_webhook_intake(app, settings, cache, bus=None)`` adds the route to the subgraph's app,
and runs the relay for as long as the app does (``app.state.wms_intake_relay``).
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
from events.base import EventBus
from events.factory import create_event_bus_for, create_outbox_for
from events.outbox import Admission, Outbox, OutboxUnavailable
from events.relay import OutboxRelay
from schema.events import MILESTONE_STREAM, FulfillmentMilestone
from subgraphs.settings import SubgraphSettings
from telemetry.metrics import ClientCalls
from telemetry.tracing import annotate, traceparent

__all__ = [
    "MAX_BODY_BYTES",
    "WEBHOOK_PATH",
    "AccountLookup",
    "erp_account_lookup",
    "intake_outbox",
    "mount_webhook_intake",
    "webhook_route",
]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/wms"

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
    outbox: Outbox,
    relay: OutboxRelay | None,
    *,
    secret: str,
    publish_wait_seconds: float = 1.0,
    tolerance_seconds: float = 300.0,
    stream: str = MILESTONE_STREAM,
    path: str = WEBHOOK_PATH,
    account_of: AccountLookup | None = None,
) -> Route:
    """The intake route (see the module docstring) recording events for ``stream`` in
    ``outbox``, relayed by ``relay``. A new event is answered once it is committed and, within
    ``publish_wait_seconds``, once ``relay`` has published it too: a sender's events are then
    on the bus when it hears back, as they were before the outbox, unless the bus is slow or
    down (then the answer does not wait for it, the relay publishes later)."""

    async def _account(event: FulfillmentMilestone) -> str | None:
        # The account is a convenience: with the ERP unreachable the milestone is recorded
        # without it (the consumers look it up themselves) rather than refused until the
        # WMS gives up on it and it is lost.
        assert account_of is not None
        try:
            return await account_of(event.order_id)
        except (SystemCallError, CacheUnavailable) as exc:
            logger.warning("milestone %s recorded without its account: %s", event.event_id, exc)
            return None

    def _seen(admission: Admission, event: FulfillmentMilestone) -> Response:
        if admission is Admission.CONFLICT:
            logger.warning(
                "wms webhook refused: event id %s was already received with another body",
                event.event_id,
            )
            return _answer(
                409,
                "EVENT_ID_REUSED",
                "this event id was already received with another body",
            )
        return _answer(200, "duplicate", "already received", event_id=event.event_id)

    async def receive(request: Request) -> Response:
        if not request.headers.get(SIGNATURE_HEADER):
            return _answer(401, "UNAUTHENTICATED", f"missing signature ({SIGNATURE_HEADER})")
        try:
            body = await _bounded_body(request)
        except _TooLarge:
            return _answer(413, "PAYLOAD_TOO_LARGE", f"body over {MAX_BODY_BYTES} bytes")
        except ClientDisconnect:
            # The WMS hung up mid-body: nothing to verify or record, and it will send again.
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
        annotate({"messaging.message.id": event.event_id, "crossdock.milestone": event.type})
        # What the event is, as normalized (before the account is added): the same webhook
        # sent again has it, another one reusing its id does not.
        fingerprint = hashlib.sha256(event.to_json()).hexdigest()
        try:
            # A read first, so that a duplicate costs no account lookup; ``add`` decides.
            seen = await outbox.admission(stream, event.event_id, fingerprint)
            if seen is not None:
                return _seen(seen, event)
            if account_of is not None:
                event = event.model_copy(update={"account_id": await _account(event)})
            # The webhook's request span: consumers and subscribers link back to it.
            admitted = await outbox.add(
                stream, event.event_id, fingerprint, event.to_json(), traceparent=traceparent()
            )
        except OutboxUnavailable as exc:
            logger.warning("wms webhook %s not recorded: %s", event.event_id, exc)
            return _answer(503, "UNAVAILABLE", "the event cannot be recorded now; retry")
        if admitted is not Admission.NEW:
            return _seen(admitted, event)
        entry = None
        if relay is not None:
            entry = await relay.published(
                stream, event.event_id, timeout_seconds=publish_wait_seconds
            )
        if entry is None:
            message = "recorded; published as soon as the event bus takes it"
            return _answer(202, "accepted", message, event_id=event.event_id)
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


def intake_outbox(settings: SubgraphSettings) -> Outbox:
    """The intake's outbox, where and for how long ``settings.webhooks`` say."""
    return create_outbox_for(settings.webhooks.outbox)


def mount_webhook_intake(
    app: Starlette,
    settings: SubgraphSettings,
    cache: Cache,
    *,
    bus: EventBus | None = None,
    calls: ClientCalls | None = None,
) -> None:
    """Add ``POST /webhooks/wms`` to ``app``, recording to the intake's outbox, and run the
    relay from it to ``bus`` with the app: a bus the caller owns and shares (``crossdock up``
    runs the consumers on it), or else one of the app's own, made as ``settings`` say and
    closed with the app. Each event is enriched with its order's CRM account, as the ERP
    records it. The relay is ``app.state.wms_intake_relay``, for ``/ready`` and metrics."""
    own_bus = bus is None
    target = create_event_bus_for(settings.bus) if bus is None else bus
    erp = system_client("erp", settings.connectors, calls=calls)
    outbox = intake_outbox(settings)
    relay = OutboxRelay(
        outbox, target, replay_window_seconds=settings.webhooks.replay_window_seconds
    )
    app.state.wms_intake_relay = relay
    app.router.routes.append(
        webhook_route(
            outbox,
            relay,
            secret=settings.webhooks.secret,
            publish_wait_seconds=settings.webhooks.publish_wait_seconds,
            tolerance_seconds=settings.webhooks.tolerance_seconds,
            account_of=erp_account_lookup(ErpClient(erp), cache),
        )
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            try:
                try:
                    await outbox.open()
                except OutboxUnavailable as exc:
                    # The graph starts all the same: webhooks are answered 503 (the WMS
                    # retries) and /ready shows the relay failing until the outbox opens.
                    logger.warning(
                        "wms webhook intake: the outbox cannot be opened (%s); webhooks are "
                        "answered 503 until it can",
                        exc,
                    )
                relay.start()
                yield
            finally:
                await relay.aclose()
                await outbox.aclose()
                await erp.aclose()
                if own_bus:
                    await target.aclose()

    app.router.lifespan_context = lifespan
