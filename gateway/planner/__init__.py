"""The query planner: an operation becomes ``Fetch``/``Flatten``/``Sequence``/``Parallel`` nodes."""

from gateway.planner._defer import (
    defer_label,
    deferred_by_key,
    deferred_nodes,
    fragment_body,
    is_deferred,
)
from gateway.planner._locate import PlanningError
from gateway.planner._nodes import (
    DeferredPart,
    EntityPlace,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RepField,
    RepSelection,
    Sequence,
    iter_fetches,
)
from gateway.planner._operation import (
    CollectedField,
    Operation,
    OperationError,
    applies_to,
    collect_fields,
    included,
    parse_fieldset,
    select_operation,
)
from gateway.planner._planner import QueryPlanner, build_plan
from gateway.planner._print import plan_json, plan_text

__all__ = [
    "CollectedField",
    "DeferredPart",
    "EntityPlace",
    "Fetch",
    "Flatten",
    "Operation",
    "OperationError",
    "Parallel",
    "PlanNode",
    "PlanningError",
    "QueryPlan",
    "QueryPlanner",
    "RepField",
    "RepSelection",
    "Sequence",
    "applies_to",
    "build_plan",
    "collect_fields",
    "defer_label",
    "deferred_by_key",
    "deferred_nodes",
    "fragment_body",
    "included",
    "is_deferred",
    "iter_fetches",
    "parse_fieldset",
    "plan_json",
    "plan_text",
    "select_operation",
]
