"""The query planner: operation in, :class:`QueryPlan` out, plans kept in an LRU cache."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from gateway._lru import SizedLru
from gateway.planner._builder import GroupBuilder
from gateway.planner._defer import split_plan
from gateway.planner._nodes import QueryPlan
from gateway.planner._operation import Operation
from gateway.supergraph import Supergraph
from telemetry.tracing import span

__all__ = ["QueryPlanner", "build_plan", "plan_weight"]


def build_plan(
    supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
) -> QueryPlan:
    """Plan one operation; ``variables`` only matter through ``@skip``/``@include``/``@defer``."""
    builder = GroupBuilder(supergraph, operation, variables)
    roots = builder.build()
    return split_plan(builder, roots, operation)


# What a fetch holds besides its operation text (records, tuples, representation shapes),
# estimated generously: the cache's byte bound counts it with the text.
_FETCH_OVERHEAD = 1024


def plan_weight(plan: QueryPlan) -> int:
    """Roughly the bytes ``plan`` keeps alive: its subgraph operations and their records."""
    return sum(len(f.operation) + _FETCH_OVERHEAD for f in plan.fetches()) + _FETCH_OVERHEAD


class QueryPlanner:
    """Plans operations against one supergraph, caching plans by document and operation.

    The cache key is the caller's document key (a hash of the query text, never the text
    itself; with what authorization removed from it when it removed anything, so a plan is
    never shared across callers who may see different fields), the operation name, and the
    truth values of the variables ``@skip``/``@include`` read. The cache is bounded by
    entries and by the bytes its plans hold.
    """

    def __init__(
        self, supergraph: Supergraph, *, cache_size: int = 1024, cache_bytes: int = 64 << 20
    ) -> None:
        self.supergraph = supergraph
        self.cache_size = cache_size
        self.cache: SizedLru[Hashable, QueryPlan] = SizedLru(
            cache_size, cache_bytes, max_entry_bytes=cache_bytes // 16
        )
        self.misses = 0

    def plan(
        self, operation: Operation, variables: Mapping[str, Any], document_key: Hashable | None
    ) -> QueryPlan:
        """The cached or a new plan; ``document_key=None`` plans without caching."""
        conditions = tuple(bool(variables.get(n)) for n in operation.condition_variables())
        key = (document_key, operation.name, conditions)
        plan = self.cache.get(key) if document_key is not None else None
        if plan is not None:
            return plan
        self.misses += 1
        with span("graphql.plan"):  # only for a plan built: a cached one costs nothing
            plan = build_plan(self.supergraph, operation, variables)
        if document_key is not None:
            self.cache.put(key, plan, plan_weight(plan))
        return plan
