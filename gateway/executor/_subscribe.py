"""Run a subscription: open it on the owning subgraph, then finish each event with the plan.

The planner plans a subscription like a query whose first fetch is the subscription itself:
``Sequence[Fetch(owner, "subscription {...}"), Flatten(...) -> Fetch(_entities), ...]``. Here
that first fetch is opened over graphql-transport-ws (:mod:`gateway.executor._ws_client`), and
every ``next`` payload it sends seeds a :class:`PlanRun` as a root fetch's answer would; the
rest of the plan runs on it (the entity fetches through HTTP, as for a query) and the shaped
response is yielded. Events are handled one at a time, so they reach the client in order.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from gateway.executor._errors import gateway_error
from gateway.executor._run import PlanRun
from gateway.executor._transport import SubgraphTransport
from gateway.executor._ws_client import Ended, SubscriptionFailed
from gateway.planner import Fetch, Operation, PlanningError, PlanNode, QueryPlan, Sequence
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLResponse

__all__ = ["split_subscription_plan", "subscription_responses"]


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
) -> AsyncGenerator[GraphQLResponse, None]:
    """One response per event, in order; ends when the subgraph completes the subscription.

    A subscription that cannot be opened, or that the subgraph ends with ``error``, or whose
    connection drops, or whose consumer falls too far behind, ends with one response that
    carries only ``errors``. Closing the generator early (``aclose()``, or cancelling the task
    that waits on it) completes the subscription on the subgraph.
    """
    service = primary.service
    try:
        upstream = await transport.subscriptions.subscribe(
            service,
            supergraph.url(service),
            PlanRun(supergraph, transport, variables).request(primary),
        )
    except SubscriptionFailed as error:
        yield {"errors": [gateway_error(str(error), "SUBGRAPH_ERROR", service)]}
        return
    try:
        while True:
            event = upstream.take()
            if event is None:
                await upstream.arrival()
                continue
            if isinstance(event, Ended):
                if event.errors:
                    yield {"errors": list(event.errors)}
                return
            # In a function of its own: an idle subscription must not keep its last event.
            yield await _finish(
                supergraph, transport, primary, event, rest, operation, variables, coerced
            )
    finally:
        upstream.close()


async def _finish(
    supergraph: Supergraph,
    transport: SubgraphTransport,
    primary: Fetch,
    event: dict[str, Any],
    rest: PlanNode | None,
    operation: Operation,
    variables: Mapping[str, Any],
    coerced: Mapping[str, Any] | None,
) -> GraphQLResponse:
    """One event's response: its payload seeds the run as the root fetch's answer would."""
    run = PlanRun(supergraph, transport, variables)
    run.merge_root(primary, event)
    await run.run(rest)
    return run.response(operation, coerced)
