"""Execute a plan and shape its response (or a response per event): the executor's face."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

from gateway._single_flight import SingleFlight
from gateway.auth import ANONYMOUS, Identity
from gateway.executor._deadline import Deadline
from gateway.executor._defer import DeferredRun
from gateway.executor._run import PlanRun
from gateway.executor._shape import CostMeter
from gateway.executor._subscribe import (
    Finishing,
    Observe,
    Settler,
    split_subscription_plan,
    subscription_responses,
)
from gateway.executor._transport import SubgraphTransport
from gateway.planner import Operation, QueryPlan
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLResponse

__all__ = ["Executor"]


class Executor:
    """Runs plans against the subgraphs of one supergraph over a shared transport."""

    def __init__(self, supergraph: Supergraph, transport: SubgraphTransport) -> None:
        self.supergraph = supergraph
        self.transport = transport
        # Events being finished for subscribers that share them (share_subscriptions).
        self._finishing: Finishing | None = (
            SingleFlight() if transport.settings.share_subscriptions else None
        )

    async def execute(
        self,
        plan: QueryPlan,
        operation: Operation,
        variables: Mapping[str, Any],
        coerced: Mapping[str, Any] | None = None,
        *,
        deadline: Deadline | None = None,
        identity: Identity = ANONYMOUS,
        meter: CostMeter | None = None,
    ) -> GraphQLResponse:
        """Fetch, merge and shape; subgraph failures become errors next to partial data.

        ``meter`` (demand control's) measures the actual cost while the response is shaped;
        a plan with deferred parts leaves it unset (``measured`` as it was).

        ``variables`` are forwarded to subgraphs as the client sent them (they apply their
        own defaults); ``coerced`` (defaults applied) decide ``@skip``/``@include``. At the
        ``deadline`` the fetches still running are cancelled and the response is what
        arrived, with ``GATEWAY_TIMEOUT`` errors (see :mod:`gateway.executor._deadline`).
        Every fetch forwards ``identity``'s token.
        """
        if plan.deferred:  # the deferred parts too, merged into the one response
            return await DeferredRun(
                self.supergraph,
                self.transport,
                plan,
                operation,
                variables,
                coerced,
                deadline,
                identity,
            ).whole()
        run = PlanRun(self.supergraph, self.transport, variables, deadline, identity)
        await run.run_plan(plan.node)
        return run.response(operation, coerced, meter)

    def incremental(
        self,
        plan: QueryPlan,
        operation: Operation,
        variables: Mapping[str, Any],
        coerced: Mapping[str, Any] | None = None,
        *,
        deadline: Deadline | None = None,
        identity: Identity = ANONYMOUS,
    ) -> AsyncGenerator[GraphQLResponse, None]:
        """The payloads of a plan with deferred parts (``plan.deferred``): the initial one as
        soon as its own fetches are done, then one per deferred fragment as its fetches
        finish (see :mod:`gateway.executor._defer`). Nothing starts before ``__anext__``."""
        return DeferredRun(
            self.supergraph,
            self.transport,
            plan,
            operation,
            variables,
            coerced,
            deadline,
            identity,
        ).payloads()

    def subscribe(
        self,
        plan: QueryPlan,
        operation: Operation,
        variables: Mapping[str, Any],
        coerced: Mapping[str, Any] | None = None,
        settler: Settler | None = None,
        *,
        timeout: float | None = None,
        identity: Identity = ANONYMOUS,
        observe: Observe | None = None,
    ) -> AsyncGenerator[GraphQLResponse, None]:
        """One response per event of a subscription's plan; see :func:`subscription_responses`.

        The subscription lasts as long as it lasts; each event's own fetches must be done
        within ``timeout`` seconds of its arrival, as a query's within its deadline.

        Raises :class:`PlanningError` (before anything is opened) for a plan that does not
        start with the subscription's own fetch.
        """
        primary, rest = split_subscription_plan(plan)
        return subscription_responses(
            self.supergraph,
            self.transport,
            primary,
            rest,
            operation,
            variables,
            coerced,
            settler,
            timeout=timeout,
            identity=identity,
            finishing=self._finishing,
            observe=observe,
        )
