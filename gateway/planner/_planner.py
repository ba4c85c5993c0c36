"""The query planner: operation in, :class:`QueryPlan` out, plans kept in an LRU cache."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any

from gateway.planner._builder import GroupBuilder
from gateway.planner._nodes import QueryPlan
from gateway.planner._operation import Operation
from gateway.planner._tree import arrange
from gateway.supergraph import Supergraph

__all__ = ["QueryPlanner", "build_plan"]


def build_plan(
    supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
) -> QueryPlan:
    """Plan one operation; ``variables`` only matter through ``@skip``/``@include``."""
    builder = GroupBuilder(supergraph, operation, variables)
    roots = builder.build()
    return QueryPlan(arrange(builder.groups, roots, operation))


class QueryPlanner:
    """Plans operations against one supergraph, caching plans by document and operation.

    The cache key is the caller's document key (a hash of the query text), the operation
    name, and the truth values of the variables ``@skip``/``@include`` read.
    """

    def __init__(self, supergraph: Supergraph, *, cache_size: int = 1024) -> None:
        self.supergraph = supergraph
        self.cache_size = cache_size
        self._cache: OrderedDict[Hashable, QueryPlan] = OrderedDict()
        self.misses = 0

    def plan(
        self, operation: Operation, variables: Mapping[str, Any], document_key: Hashable
    ) -> QueryPlan:
        conditions = tuple(bool(variables.get(n)) for n in operation.condition_variables())
        key = (document_key, operation.name, conditions)
        plan = self._cache.get(key)
        if plan is not None:
            self._cache.move_to_end(key)
            return plan
        self.misses += 1
        plan = build_plan(self.supergraph, operation, variables)
        self._cache[key] = plan
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return plan
