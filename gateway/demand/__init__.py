"""Demand control, as Apollo Router does it: what an operation will cost, computed from the
supergraph before any fetch, and what its response did cost.

- ``_schema``: the supergraph's ``@cost`` weights and ``@listSize`` sizes, looked up once;
- ``_estimate``: an operation compiled once into a cost formula over its variables;
- ``_arguments``: what arguments add, and the sizes slicing arguments give;
- ``_actual``: the cost of a response, lists counted by their length;
- ``_control``: :class:`DemandControl`, the check before a request runs and after it
  answered, in ``measure`` or ``enforce`` mode (``COST_ESTIMATED_TOO_EXPENSIVE``,
  ``COST_ACTUAL_TOO_EXPENSIVE``, ``COST_QUERY_PARSE_FAILURE``);
- ``_metrics``: the costs as Prometheus histograms, results and refusals by code.

See ``docs/demand-control.md``.
"""

from gateway.demand._arguments import CostError
from gateway.demand._control import CostCheck, DemandControl, Settled
from gateway.demand._metrics import DemandMetrics
from gateway.demand._settings import DemandSettings

__all__ = ["CostCheck", "CostError", "DemandControl", "DemandMetrics", "DemandSettings", "Settled"]
