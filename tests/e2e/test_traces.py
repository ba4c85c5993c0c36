"""Traces of the whole stack, sent over OTLP/HTTP to a real receiver on loopback: one
``submitOrder`` through the gateway is one trace across the gateway, the orders subgraph, the
ERP and the WMS; a webhook's milestone is one story through the consumers and the subscribers;
the gateway's sampling decision holds downstream; without an endpoint nothing is traced."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

import httpx
import pytest

from crossdock.settings import Settings
from gateway.executor._subscribe import EVENT_SPAN
from gateway.server._ws import OPERATION_SPAN
from schema.events import MILESTONE_STREAM
from systems.apps import create_system_app
from systems.common.middleware import SystemMiddleware
from telemetry.tracing import TracingMiddleware
from tests.e2e.orders import Accounts, place_order
from tests.e2e.streams import MILESTONES_BY_ORDER, sse_subscription, ws_subscription
from tests.e2e.world import E2EWorld, running_e2e_world
from tests.orchestration.conftest import copy_world
from tests.orchestration.picks import Picker
from tests.support.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.redis import unique_prefix
from tests.support.servers import serve


def only_otel(patch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """The ``OTEL_*`` variables become ``env``'s (another stack of the module may have its own
    set meanwhile)."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        patch.delenv(name)
    for name, value in env.items():
        patch.setenv(name, value)


@contextmanager
def traced_stack(
    settings: Settings, redis_url: str, scratch: Path, env: dict[str, str]
) -> Iterator[E2EWorld]:
    """A stack of its own (world copy, Redis prefix) built with the ``OTEL_*`` variables
    ``env`` and no others."""
    with pytest.MonkeyPatch.context() as patch, unique_prefix(redis_url) as prefix:
        only_otel(patch, env)
        own = copy_world(settings.model_copy(update={"cache_prefix": prefix}), scratch / "world")
        with running_e2e_world(own, scratch) as world:
            yield world


def exporting_to(receiver: OtlpReceiver, **more: str) -> dict[str, str]:
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_BSP_SCHEDULE_DELAY": "50",  # milliseconds: the test waits on arrivals
        **more,
    }


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def traced(
    e2e_settings: Settings,
    redis_url: str,
    receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[E2EWorld]:
    """The stack tracing every request (the sampler's ratio left at its default, 1)."""
    scratch = tmp_path_factory.mktemp("traced")
    with traced_stack(e2e_settings, redis_url, scratch, exporting_to(receiver)) as world:
        yield world


def of_trace(spans: list[ReceivedSpan], trace_id: str) -> list[ReceivedSpan]:
    return [s for s in spans if s.trace_id == trace_id]


def submit_span(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
    return next(
        (
            s
            for s in spans
            if s.service == "gateway"
            and s.kind == "SERVER"
            and s.attributes.get("graphql.operation.name") == "Submit"
        ),
        None,
    )


SERVICES = {"gateway", "orders-subgraph", "erp-system", "wms-system"}


def test_one_submit_order_is_one_trace_across_gateway_orders_erp_and_wms(
    traced: E2EWorld, receiver: OtlpReceiver, picker: Picker, accounts: Accounts
) -> None:
    receiver.clear()
    place_order(traced, picker, accounts.take())

    def whole(spans: list[ReceivedSpan]) -> bool:
        root = submit_span(spans)
        if root is None:
            return False
        found = of_trace(spans, root.trace_id)
        # Each service exports its spans in batches of its own, so a child may come in
        # before its parent: the trace is whole once every parent has come in too.
        ids = {s.span_id for s in found}
        return (
            {s.service for s in found} >= SERVICES
            and any(s.name == "submitOrder create_order" for s in found)
            and all(s.parent_span_id in ids for s in found if s is not root)
        )

    spans = receiver.wait_for(whole, what="the submitOrder trace from all four services")
    root = submit_span(spans)
    assert root is not None
    trace = of_trace(spans, root.trace_id)
    # One tree: the gateway's request span is its root, every other span's parent is in it.
    assert root.parent_span_id == ""
    ids = {s.span_id for s in trace}
    assert all(s.parent_span_id in ids for s in trace if s is not root)
    names = {(s.service, s.name) for s in trace}
    # The stack's first submitOrder: its text parsed and its plan built (cached ones get none).
    assert {
        ("gateway", "graphql.parse_validate"),
        ("gateway", "graphql.plan"),
        ("gateway", "fetch orders"),
        ("orders-subgraph", "POST /graphql"),
    } <= names, names
    # The orders subgraph's workflow steps and its calls to each system, and the systems'
    # request spans as children of those calls.
    by_id = {s.span_id: s for s in trace}
    erp = [s for s in trace if s.service == "erp-system" and s.kind == "SERVER"]
    wms = [s for s in trace if s.service == "wms-system" and s.kind == "SERVER"]
    assert erp and wms
    callers = [by_id[served.parent_span_id] for served in erp + wms]
    assert all(c.kind == "CLIENT" and c.service.endswith("-subgraph") for c in callers)
    # The workflow's own calls (the other subgraphs answer the order's fields after it).
    assert {c.attributes["peer.service"] for c in callers if c.service == "orders-subgraph"} >= {
        "erp",
        "wms",
    }
    assert any(s.attributes.get("http.route") == "/salesOrders" for s in erp), erp
    steps = [s for s in trace if s.attributes.get("crossdock.workflow") == "submitOrder"]
    assert {s.attributes["peer.service"] for s in steps} >= {"erp", "wms"}


async def test_a_webhook_its_consumers_and_its_subscribers_are_one_linked_story(
    traced: E2EWorld, receiver: OtlpReceiver, picker: Picker, accounts: Accounts
) -> None:
    placed = await asyncio.to_thread(place_order, traced, picker, accounts.take())
    async with ws_subscription(traced, MILESTONES_BY_ORDER, {"orderId": placed.order_id}) as sub:
        await asyncio.to_thread(traced.advance, placed.fulfillment_order, "PICKING")
        seen = [(await sub.take(1))[0]["fulfillmentMilestones"]]
        while seen[-1]["type"] != "PICKING":  # the release's milestone may come first
            seen.append((await sub.take(1))[0]["fulfillmentMilestones"])
    event_id = seen[-1]["eventId"]
    process, deliver = f"process {MILESTONE_STREAM}", f"deliver {MILESTONE_STREAM}"

    def about(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [s for s in spans if s.attributes.get("messaging.message.id") == event_id]

    def linked(spans: list[ReceivedSpan]) -> bool:
        names = [s.name for s in about(spans)]
        return deliver in names and names.count(process) >= 2

    spans = await asyncio.to_thread(
        receiver.wait_for, linked, what=f"the consumer and subscriber spans of {event_id}"
    )
    [intake] = [s for s in about(spans) if s.kind == "SERVER"]
    assert (intake.service, intake.name) == ("wms-subgraph", "POST /webhooks/wms")
    followers = [s for s in about(spans) if s.name in (process, deliver)]
    for span in followers:
        assert (span.service, span.kind) == ("wms-subgraph", "CONSUMER")
        # In the webhook's trace, under the span that took it in, and linked to it.
        assert (span.trace_id, span.parent_span_id) == (intake.trace_id, intake.span_id)
        assert span.links == ((intake.trace_id, intake.span_id),)
    groups = {s.attributes["messaging.consumer.group.name"] for s in followers if s.name == process}
    assert len(groups) >= 2, groups  # the ERP's and the CRM's consumers at least
    await resolved_at_the_gateway(receiver, event_id)
    # The subscription's start over the WebSocket: a trace of its own, not the socket's.
    starts = [
        s
        for s in receiver.spans
        if s.name == OPERATION_SPAN and s.attributes.get("graphql.operation.name") == "ByOrder"
    ]
    assert starts, "no span for the subscription's start"
    assert all((s.service, s.kind, s.parent_span_id) == ("gateway", "SERVER", "") for s in starts)
    assert all(s.attributes["graphql.operation.type"] == "subscription" for s in starts)


async def resolved_at_the_gateway(receiver: OtlpReceiver, event_id: str) -> None:
    """The gateway's resolution of milestone ``event_id`` for its subscriber is in the
    webhook's trace: a child of the feed's delivery span and linked to it, with its entity
    fetches under it, and the subgraphs' requests of those fetches under them."""
    deliver = f"deliver {MILESTONE_STREAM}"

    def delivered(spans: list[ReceivedSpan]) -> ReceivedSpan | None:
        return next(
            (
                s
                for s in spans
                if s.name == deliver and s.attributes.get("messaging.message.id") == event_id
            ),
            None,
        )

    def whole(spans: list[ReceivedSpan]) -> bool:
        feed = delivered(spans)
        if feed is None:
            return False
        events = [s for s in spans if s.name == EVENT_SPAN and s.parent_span_id == feed.span_id]
        fetches = {s.span_id for s in spans if s.parent_span_id in {e.span_id for e in events}}
        # The ERP's (the order's number and total) and the CRM's (its account's name) requests.
        served = {s.service for s in spans if s.kind == "SERVER" and s.parent_span_id in fetches}
        return bool(events) and served >= {"erp-subgraph", "crm-subgraph"}

    spans = await asyncio.to_thread(
        receiver.wait_for, whole, what=f"the gateway's resolution of {event_id}"
    )
    feed = delivered(spans)
    assert feed is not None
    [event] = [s for s in spans if s.name == EVENT_SPAN and s.parent_span_id == feed.span_id]
    assert (event.service, event.kind, event.trace_id) == ("gateway", "CONSUMER", feed.trace_id)
    assert event.links == ((feed.trace_id, feed.span_id),)
    assert event.attributes["graphql.operation.type"] == "subscription"
    assert event.attributes["graphql.operation.name"] == "ByOrder"
    assert event.attributes["graphql.federation.subgraph"] == "wms"
    fetches = [s for s in spans if s.parent_span_id == event.span_id]
    assert {s.name for s in fetches} >= {"fetch erp", "fetch crm"}, fetches
    assert all(
        (s.service, s.kind, s.trace_id) == ("gateway", "CLIENT", feed.trace_id) for s in fetches
    )
    # Each fetch sent its traceparent: the subgraph's request span is its child.
    by_fetch = {s.parent_span_id: s for s in spans if s.kind == "SERVER"}
    for fetch in fetches:
        served = by_fetch[fetch.span_id]
        assert served.trace_id == feed.trace_id and served.service.endswith("-subgraph")


async def milestone_to_a_subscriber(world: E2EWorld, order_id: str, fulfillment_order: str) -> str:
    """Advance the order to PICKING with a subscriber over server-sent events; the event id
    of its PICKING milestone, once the subscriber got it."""
    async with sse_subscription(world, MILESTONES_BY_ORDER, {"orderId": order_id}) as sub:
        await asyncio.to_thread(world.advance, fulfillment_order, "PICKING")
        while True:
            payload = await sub.next()
            # What the subscriber is sent carries no trace context of ours.
            assert set(payload) == {"data"}, payload
            milestone = payload["data"]["fulfillmentMilestones"]
            if milestone["type"] == "PICKING":  # the release's milestone may come first
                return str(milestone["eventId"])


async def test_a_milestone_resolved_for_an_sse_subscriber_is_in_the_webhooks_trace(
    traced: E2EWorld, receiver: OtlpReceiver, picker: Picker, accounts: Accounts
) -> None:
    placed = await asyncio.to_thread(place_order, traced, picker, accounts.take())
    event_id = await milestone_to_a_subscriber(traced, placed.order_id, placed.fulfillment_order)
    await resolved_at_the_gateway(receiver, event_id)


def test_sampled_out_at_the_gateway_nothing_is_recorded_downstream(
    e2e_settings: Settings, redis_url: str, picker: Picker, accounts: Accounts, tmp_path: Path
) -> None:
    control = uuid.uuid4().hex
    with (
        otlp_receiver() as receiver,  # its own: the traced stack's spans go on arriving
        traced_stack(
            e2e_settings, redis_url, tmp_path, exporting_to(receiver, OTEL_TRACES_SAMPLER_ARG="0")
        ) as world,
    ):
        placed = place_order(world, picker, accounts.take())
        # The webhook's milestone sampled out at the intake: its subscriber's resolution at the
        # gateway, and the fetches it makes, follow that decision.
        asyncio.run(milestone_to_a_subscriber(world, placed.order_id, placed.fulfillment_order))
        # A client cannot overrule the gateway by sending a sampled context of its own.
        pushy = httpx.post(
            f"{world.gateway}/graphql",
            json={"query": "{ distributionCenters { id } }"},
            headers={"traceparent": f"00-{uuid.uuid4().hex}-{'2' * 16}-01"},
            timeout=30,
        )
        assert pushy.status_code == 200 and "errors" not in pushy.json(), pushy.text
        # The control: a caller whose own trace is sampled is followed by the same ERP.
        answer = httpx.get(
            f"{world.systems['erp']}/salesOrders",
            params={"limit": 1},
            headers={"traceparent": f"00-{control}-{'1' * 16}-01"},
            timeout=10,
        )
        assert answer.status_code == 200
    # Leaving the stack exported every span still buffered, in every service.
    spans = receiver.spans
    assert [s.trace_id for s in spans] == [control], sorted({(s.service, s.name) for s in spans})


def test_without_an_endpoint_or_with_the_sdk_disabled_nothing_is_traced(
    e2e_settings: Settings,
) -> None:
    with otlp_receiver() as receiver:
        nothing_traced(e2e_settings, receiver)


def nothing_traced(e2e_settings: Settings, receiver: OtlpReceiver) -> None:
    for env in (
        {"OTEL_TRACES_SAMPLER": "always_on", "OTEL_SERVICE_NAME": "x"},
        exporting_to(receiver, OTEL_SDK_DISABLED="true"),
    ):
        with pytest.MonkeyPatch.context() as patch:
            only_otel(patch, env)
            app = create_system_app("erp", e2e_settings.systems)
            with serve(app) as url:
                answer = httpx.get(
                    f"{url}/salesOrders",
                    params={"limit": 1},
                    headers={"traceparent": f"00-{uuid.uuid4().hex}-{'1' * 16}-01"},
                    timeout=10,
                )
                assert answer.status_code == 200
        # No tracing middleware installed at all (the system's own and the metrics' only).
        assert cast(object, TracingMiddleware) not in [m.cls for m in app.user_middleware]
        assert cast(object, SystemMiddleware) in [m.cls for m in app.user_middleware]
    assert receiver.spans == [] and receiver.requests == 0
