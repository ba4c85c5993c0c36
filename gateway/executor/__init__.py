"""The executor: runs a query plan against the subgraphs, merges and shapes the response."""

from gateway.executor._deadline import TIMEOUT_CODE, TIMEOUT_HEADER, Deadline
from gateway.executor._defer import DeferredRun, merge_at
from gateway.executor._executor import Executor
from gateway.executor._merge import deep_merge, objects_at, representation, restore_keys
from gateway.executor._run import PlanRun
from gateway.executor._shape import CostMeter, Price, hidden_enums, shape_response
from gateway.executor._transport import SubgraphFetchError, SubgraphTransport, TransportSettings

__all__ = [
    "TIMEOUT_CODE",
    "TIMEOUT_HEADER",
    "CostMeter",
    "Deadline",
    "DeferredRun",
    "Executor",
    "PlanRun",
    "Price",
    "SubgraphFetchError",
    "SubgraphTransport",
    "TransportSettings",
    "deep_merge",
    "hidden_enums",
    "merge_at",
    "objects_at",
    "representation",
    "restore_keys",
    "shape_response",
]
