"""Run a subscription: open it on the owning subgraph, then finish each event with the plan.

The planner plans a subscription like a query whose first fetch is the subscription itself:
``Sequence[Fetch(owner, "subscription {...}"), Flatten(...) -> Fetch(_entities), ...]``. Here
that first fetch is opened over graphql-transport-ws (:mod:`gateway.executor._ws_client`), and
every ``next`` payload it sends seeds a :class:`PlanRun` as a root fetch's answer would; the
rest of the plan runs on it (the entity fetches through HTTP, as for a query) and the shaped
response is yielded. Events that wait together are taken together (at most the buffer's size)
and finished concurrently, then yielded in order: a burst (a resume replaying a backlog) costs
about one entity-fetch round per batch rather than one per event. While the gateway finishes a
batch, or waits to be scheduled, the upstream buffer is not held against the client: only
events arriving while a response waits for the client to ask for it are (see
``SubscriptionSettings``).

Subscribers that share one upstream subscription (identical subgraph request and token,
``gateway.executor._ws_client``) get the same event payloads; finishing an event is then shared
too (``finishing``): one run per event, rest of the plan, operation, variables and token, whose
response every such subscriber yields, so N subscribers of one order cost one entity round
per event. Subscribers of another selection or token finish the event on their own, on a copy
of it (a run writes entity fields into the event's objects).

With tracing on, an event whose payload carries its producer's ``traceparent`` in its
``extensions`` (the wms subgraph's milestones do: the delivery span's) is resolved in a span
(:data:`EVENT_SPAN`) that is a child of it and linked to it, its entity fetches under it: the
producer's trace and sampling decision go on through the gateway (docs/tracing.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Coroutine, Hashable, Mapping
from typing import Any, Protocol

import orjson

from gateway._single_flight import SingleFlight
from gateway.auth import ANONYMOUS, Identity
from gateway.executor._deadline import Deadline
from gateway.executor._errors import gateway_error
from gateway.executor._run import PlanRun
from gateway.executor._transport import SubgraphTransport
from gateway.executor._ws_client import Ended, SubscriptionFailed
from gateway.planner import Fetch, Operation, PlanningError, PlanNode, QueryPlan, Sequence
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLResponse
from telemetry.tracing import EVENT_TRACEPARENT, SpanKind, current_tracer, span_after

__all__ = [
    "EVENT_SPAN",
    "Finishing",
    "Observe",
    "Settler",
    "split_subscription_plan",
    "subscription_responses",
]

EVENT_SPAN = "graphql.subscription.event"
"""The span of one event's resolution: a child of (and linked to) its producer's context."""

Observe = Callable[[float], None]
"""Told how long each event took to resolve, in seconds (the gateway's metrics)."""

Finishing = SingleFlight[Hashable, GraphQLResponse]
"""Events being finished for subscribers that share them, by what makes a response the same."""


class Settler(Protocol):
    """Sees each event's response before it is yielded (the engine's demand control): gives
    the response to yield instead, and whether it is the last. One object serves every
    subscription, so an idle subscription holds nothing more for it."""

    def settle(
        self,
        supergraph: Supergraph,
        operation: Operation,
        variables: Mapping[str, Any],
        response: GraphQLResponse,
    ) -> tuple[GraphQLResponse, bool]: ...


def split_subscription_plan(plan: QueryPlan) -> tuple[Fetch, PlanNode | None]:
    """The subscription's own fetch, and what is left of the plan to run on every event."""
    node = plan.node
    rest: PlanNode | None = None
    if isinstance(node, Sequence) and node.nodes:
        others = node.nodes[1:]
        rest = others[0] if len(others) == 1 else Sequence(others) if others else None
        node = node.nodes[0]
    if not isinstance(node, Fetch) or node.operation_kind != "subscription" or node.requires:
        raise PlanningError("a subscription plan must start with the subscription's fetch")
    return node, rest


async def subscription_responses(
    supergraph: Supergraph,
    transport: SubgraphTransport,
    primary: Fetch,
    rest: PlanNode | None,
    operation: Operation,
    variables: Mapping[str, Any],
    coerced: Mapping[str, Any] | None = None,
    settler: Settler | None = None,
    *,
    timeout: float | None = None,
    identity: Identity = ANONYMOUS,
    finishing: Finishing | None = None,
    observe: Observe | None = None,
) -> AsyncGenerator[GraphQLResponse, None]:
    """One response per event, in order; ends when the subgraph completes the subscription.

    The subscription runs on the subgraph connection of ``identity``'s token, and each
    event's entity fetches forward it too.

    The entity fetches that finish a batch of events must be done ``timeout`` seconds after
    the batch is taken up, as a query's fetches within its deadline.

    A subscription that cannot be opened, or that the subgraph ends with ``error``, or whose
    connection drops, or whose consumer falls too far behind, ends with one response that
    carries only ``errors``. Closing the generator early (``aclose()``, or cancelling the task
    that waits on it) completes the subscription on the subgraph. ``settler`` sees each
    event's response first, and may replace it and end the subscription after it.

    With ``finishing``, an identical subscription of the same token that has delivered no event
    yet is joined upstream, and events it shares are finished once for every subscriber of
    the same selection and variables (see the module's doc). ``observe`` is told, for each
    event, the time from its batch taken up to its response made.
    """
    service = primary.service
    try:
        upstream = await transport.subscriptions.subscribe(
            service,
            supergraph.url(service),
            PlanRun(supergraph, transport, variables).request(primary),
            token=identity.token,
            share=finishing is not None,
        )
    except SubscriptionFailed as error:
        yield {"errors": [gateway_error(str(error), "SUBGRAPH_ERROR", service)]}
        return
    most = transport.subscriptions.settings.buffer
    try:
        while True:
            taken = upstream.take_many(most)
            if taken is None:
                await upstream.arrival()
                continue
            if isinstance(taken, Ended):
                if taken.errors:
                    yield {"errors": list(taken.errors)}
                return
            deadline = None if timeout is None or rest is None else Deadline.after(timeout)
            began = time.perf_counter()
            responses = await _finish_all(
                supergraph,
                transport,
                primary,
                taken,
                rest,
                operation,
                variables,
                coerced,
                deadline,
                identity,
                finishing if upstream.shared else None,
            )
            del taken  # an idle subscription must not keep its last events
            if observe is not None:
                took = time.perf_counter() - began
                for _ in range(len(responses)):  # not the responses: none kept while idle
                    observe(took)
            responses.reverse()
            while responses:
                response, last = responses.pop(), False
                if settler is not None:
                    response, last = settler.settle(
                        supergraph, operation, variables if coerced is None else coerced, response
                    )
                # Only while the client has not asked for the next response are events
                # arriving held against it (SUBSCRIPTION_TOO_SLOW).
                upstream.holding = True
                try:
                    yield response
                finally:
                    upstream.holding = False
                del response  # an idle subscription must not keep its last response either
                if last:
                    return
    finally:
        upstream.close()


async def _finish_all(
    supergraph: Supergraph,
    transport: SubgraphTransport,
    primary: Fetch,
    events: list[dict[str, Any]],
    rest: PlanNode | None,
    operation: Operation,
    variables: Mapping[str, Any],
    coerced: Mapping[str, Any] | None,
    deadline: Deadline | None,
    identity: Identity,
    finishing: Finishing | None = None,
) -> list[GraphQLResponse]:
    """The responses of ``events``, in their order; their entity fetches run concurrently.

    With ``finishing`` (the events are shared with other subscribers), each event is finished
    on a copy of it, once for every subscriber with the same ``_finish_key``."""

    def finish(event: dict[str, Any]) -> Coroutine[Any, Any, GraphQLResponse]:
        return _finish(
            supergraph,
            transport,
            primary,
            event,
            rest,
            operation,
            variables,
            coerced,
            deadline,
            identity,
        )

    if finishing is not None:
        base = _finish_key(primary, operation, variables, coerced, identity)

        def shared(event: dict[str, Any]) -> Coroutine[Any, Any, GraphQLResponse]:
            def own() -> Coroutine[Any, Any, GraphQLResponse]:
                # Made by the run the others join, so once per key.
                return finish(orjson.loads(orjson.dumps(event)))

            if base is None:
                return own()
            # The event object itself: every sharer holds the very same payload, and a
            # flight keeps it alive (its id cannot be another's meanwhile).
            return finishing.run((id(event), *base), own)

        return list(await asyncio.gather(*(shared(e) for e in events)))

    if len(events) == 1 or rest is None:
        return [await finish(e) for e in events]
    return list(await asyncio.gather(*(finish(e) for e in events)))


def _finish_key(
    primary: Fetch,
    operation: Operation,
    variables: Mapping[str, Any],
    coerced: Mapping[str, Any] | None,
    identity: Identity,
) -> tuple[Hashable, ...] | None:
    """What makes two subscribers' responses to one event the same: the plan (its first fetch:
    the rest follows from it) and the operation, the very objects (the plan cache hands one
    document's to every client, and they stay alive while their subscriptions run), the
    variables, and the token whose authorization context the fetches forward. ``None``:
    variables that are not JSON."""
    try:
        bound = orjson.dumps(
            [variables, coerced], option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
        )
    except TypeError:
        return None
    return (id(primary), id(operation), bound, identity.token)


async def _finish(
    supergraph: Supergraph,
    transport: SubgraphTransport,
    primary: Fetch,
    event: dict[str, Any],
    rest: PlanNode | None,
    operation: Operation,
    variables: Mapping[str, Any],
    coerced: Mapping[str, Any] | None,
    deadline: Deadline | None,
    identity: Identity,
) -> GraphQLResponse:
    """One event's response: its payload seeds the run as the root fetch's answer would."""
    run = PlanRun(supergraph, transport, variables, deadline, identity)
    run.merge_root(primary, event)
    if current_tracer() is None:  # tracing off: one context-variable read
        await run.run_plan(rest)
    else:
        with span_after(
            EVENT_SPAN,
            _produced_by(event),
            kind=SpanKind.CONSUMER,
            attributes={
                "graphql.operation.type": "subscription",
                "graphql.operation.name": operation.name or "",
                "graphql.federation.subgraph": primary.service,
            },
        ):
            await run.run_plan(rest)
    return run.response(operation, coerced)


def _produced_by(event: Mapping[str, Any]) -> str | None:
    """The ``traceparent`` an event's payload carries in its ``extensions``, if any."""
    extensions = event.get("extensions")
    if not isinstance(extensions, dict):
        return None
    found = extensions.get(EVENT_TRACEPARENT)
    return found if isinstance(found, str) else None
