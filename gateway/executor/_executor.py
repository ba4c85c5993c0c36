"""Execute a plan and shape its response: the executor's public face."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.executor._run import PlanRun
from gateway.executor._shape import shape_response
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

    async def execute(
        self,
        plan: QueryPlan,
        operation: Operation,
        variables: Mapping[str, Any],
        coerced: Mapping[str, Any] | None = None,
    ) -> GraphQLResponse:
        """Fetch, merge and shape; subgraph failures become errors next to partial data.

        ``variables`` are forwarded to subgraphs as the client sent them (they apply their
        own defaults); ``coerced`` (defaults applied) decide ``@skip``/``@include``.
        """
        run = PlanRun(self.supergraph, self.transport, variables)
        await run.run(plan.node)
        data = shape_response(
            self.supergraph.api_schema,
            operation,
            variables if coerced is None else coerced,
            run.data,
            run.errors,
            run.failed,
        )
        response: GraphQLResponse = {}
        if run.errors:
            response["errors"] = run.errors
        response["data"] = data
        return response
