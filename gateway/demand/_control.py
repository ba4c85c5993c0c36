"""Demand control for one gateway: the estimate checked before any fetch, the actual cost of
what was answered, in ``measure`` or ``enforce`` mode, as Apollo Router does it.

Errors a client can get, by ``extensions.code`` (enforce mode only)::

    COST_ESTIMATED_TOO_EXPENSIVE  the estimate is over ``max``: nothing was fetched
                                  (``cost.estimated``, ``cost.max`` in ``extensions``)
    COST_ACTUAL_TOO_EXPENSIVE     what was fetched is over ``actual_max``: the data is withheld
                                  (``cost.actual``, ``cost.max``); a subscription ends
    COST_QUERY_PARSE_FAILURE      the operation cannot be costed, e.g. it leaves out the one
                                  slicing argument a ``@listSize`` requires
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.demand._actual import ActualMeter, actual_cost
from gateway.demand._arguments import CostError
from gateway.demand._estimate import CostFormula, compile_operation
from gateway.demand._metrics import DemandMetrics
from gateway.demand._schema import CostSchema
from gateway.demand._settings import DemandSettings
from gateway.planner import Operation
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLError, GraphQLResponse

__all__ = ["CostCheck", "DemandControl", "Settled"]

log = logging.getLogger("gateway.demand")

ESTIMATED_TOO_EXPENSIVE = "COST_ESTIMATED_TOO_EXPENSIVE"
ACTUAL_TOO_EXPENSIVE = "COST_ACTUAL_TOO_EXPENSIVE"
PARSE_FAILURE = "COST_QUERY_PARSE_FAILURE"
OK = "COST_OK"


def _display(value: float) -> str:
    """A cost as Apollo Router writes it in messages (Rust's ``f64`` display: ``2``, ``1.5``)."""
    value = float(value)
    if math.isinf(value):
        return "inf"
    return str(int(value)) if value.is_integer() else repr(value)


def _json(value: float) -> float:
    # JSON has no infinity; an estimate that overflows is the largest number it has.
    return value if math.isfinite(value) else sys.float_info.max


@dataclass(frozen=True)
class CostCheck:
    """What demand control found for a request before it runs."""

    # The estimate (``None`` when off or when it could not be computed).
    estimated: float | None = None
    # Set when the request is refused: the errors to answer.
    errors: list[GraphQLError] | None = None


_OFF = CostCheck()


@dataclass(frozen=True)
class Settled:
    """What demand control found in a response (:meth:`DemandControl.measure`)."""

    # The response to send: the one measured, or the error that withholds it.
    response: GraphQLResponse
    # Its actual cost (None: not measured, demand control off or no data).
    actual: float | None = None
    # Over ``actual_max``; ``withheld``: so its data is not sent (enforce mode).
    over: bool = False
    withheld: bool = False


class DemandControl:
    """Costs operations against the supergraph they run on; keeps its metrics across reloads."""

    def __init__(self, settings: DemandSettings | None = None) -> None:
        self.settings = settings or DemandSettings()
        self.metrics = DemandMetrics()
        # The lookups of the supergraphs in use, by identity: the one served and, during a
        # reload, the one requests still running were admitted on.
        self._schemas: dict[int, tuple[Supergraph, CostSchema]] = {}
        # Formulas are cached on each operation (``Operation.derived``) under this key, so a
        # known document costs one evaluation over its variables.
        self._key = ("demand", self.settings.list_size)

    @property
    def enforcing(self) -> bool:
        return self.settings.mode == "enforce"

    def schema(self, supergraph: Supergraph) -> CostSchema:
        found = self._schemas.get(id(supergraph))
        if found is not None and found[0] is supergraph:
            return found[1]
        schema = CostSchema(supergraph)
        if len(self._schemas) >= 2:
            self._schemas.pop(next(iter(self._schemas)))
        self._schemas[id(supergraph)] = (supergraph, schema)
        return schema

    def formula(self, supergraph: Supergraph, operation: Operation) -> CostFormula:
        """The operation's cost formula, compiled on first use; raises :class:`CostError`."""
        cached = operation.derived.get(self._key)
        if cached is None:
            try:
                cached = compile_operation(
                    self.schema(supergraph), operation, self.settings.list_size
                )
            except CostError as error:
                cached = error  # refused the same way every time, compiled once
            operation.derived[self._key] = cached
        if isinstance(cached, CostError):
            raise cached
        assert isinstance(cached, CostFormula)
        return cached

    def estimate(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> float:
        """The estimated cost of ``operation`` with ``variables``; raises :class:`CostError`."""
        return self.formula(supergraph, operation).evaluate(variables)

    def actual(
        self,
        supergraph: Supergraph,
        operation: Operation,
        data: Mapping[str, Any] | None,
        variables: Mapping[str, Any],
    ) -> float:
        """The actual cost of the ``data`` an execution of ``operation`` returned."""
        return actual_cost(self.schema(supergraph), operation, data, variables)

    def meter(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> ActualMeter | None:
        """What measures the actual cost of one execution of ``operation`` while its
        response is shaped (None: nothing to measure); pass its ``measured`` to
        :meth:`measure`."""
        if not self.settings.enabled:
            return None
        schema = self.schema(supergraph)
        if schema.root(operation.kind) is None:
            return None
        return ActualMeter(schema, variables)

    def check(
        self, supergraph: Supergraph, operation: Operation, variables: Mapping[str, Any]
    ) -> CostCheck:
        """Cost a request before anything runs; refuse it (enforce mode) when over ``max``."""
        if not self.settings.enabled:
            return _OFF
        try:
            estimated = self.estimate(supergraph, operation, variables)
        except CostError as failure:
            self.metrics.result(PARSE_FAILURE)
            if not self.enforcing:
                log.info("operation %s cannot be costed: %s", operation.name, failure)
                return _OFF
            self.metrics.refusal(PARSE_FAILURE)
            message = f"Query could not be parsed: {failure}"
            return CostCheck(errors=[{"message": message, "extensions": {"code": PARSE_FAILURE}}])
        self.metrics.estimated.observe(estimated)
        log.debug("operation %s: estimated cost %s", operation.name, _display(estimated))
        limit = self.settings.max
        if estimated <= limit:
            self.metrics.result(OK)
            return CostCheck(estimated)
        self.metrics.result(ESTIMATED_TOO_EXPENSIVE)
        if not self.enforcing:
            log.info(
                "operation %s: estimated cost %s is over the maximum %s (measure mode: ran)",
                operation.name,
                _display(estimated),
                _display(limit),
            )
            return CostCheck(estimated)
        self.metrics.refusal(ESTIMATED_TOO_EXPENSIVE)
        error: GraphQLError = {
            "message": (
                f"query estimated cost {_display(estimated)} exceeded configured maximum "
                f"{_display(limit)}"
            ),
            "extensions": {
                "cost.estimated": _json(estimated),
                "cost.max": _json(limit),
                "code": ESTIMATED_TOO_EXPENSIVE,
            },
        }
        return CostCheck(estimated, [error])

    def settle(
        self,
        supergraph: Supergraph,
        operation: Operation,
        variables: Mapping[str, Any],
        response: GraphQLResponse,
    ) -> tuple[GraphQLResponse, bool]:
        """The response to send after measuring what it holds, and whether it was withheld
        (enforce mode, over ``actual_max``): then a subscription must end. Counted in the
        metrics as one request (:meth:`measure` then :meth:`count`)."""
        settled = self.measure(supergraph, operation, variables, response)
        self.count(settled)
        return settled.response, settled.withheld

    def measure(
        self,
        supergraph: Supergraph,
        operation: Operation,
        variables: Mapping[str, Any],
        response: GraphQLResponse,
        measured: float | None = None,
    ) -> Settled:
        """What :meth:`settle` decides, without counting it: an execution shared by several
        requests is measured once, and :meth:`count` ed once per request. ``measured``: the
        actual cost a :meth:`meter` took while the response was shaped (else it is walked)."""
        if not self.settings.enabled or response.get("data") is None:
            return Settled(response)
        actual = (
            self.actual(supergraph, operation, response.get("data"), variables)
            if measured is None
            else measured
        )
        limit = self.settings.actual_max
        if limit is None or actual <= limit:
            return Settled(response, actual)
        if not self.enforcing:
            log.info(
                "operation %s: actual cost %s is over the maximum %s (measure mode: answered)",
                operation.name,
                _display(actual),
                _display(limit),
            )
            return Settled(response, actual, over=True)
        log.warning(
            "operation %s: actual cost %s over the maximum %s; its data was withheld",
            operation.name,
            _display(actual),
            _display(limit),
        )
        error: GraphQLError = {
            "message": (
                f"Query actual cost {_display(actual)} exceeded configured maximum "
                f"{_display(limit)}"
            ),
            "extensions": {
                "cost.actual": _json(actual),
                "cost.max": _json(limit),
                "code": ACTUAL_TOO_EXPENSIVE,
            },
        }
        return Settled({"errors": [error]}, actual, over=True, withheld=True)

    def count(self, settled: Settled) -> None:
        """One request's share of ``settled`` in the metrics: its actual cost, and the
        result and refusal when it was over ``actual_max``."""
        if settled.actual is None:
            return
        self.metrics.actual.observe(settled.actual)
        if settled.over:
            self.metrics.result(ACTUAL_TOO_EXPENSIVE)
        if settled.withheld:
            self.metrics.refusal(ACTUAL_TOO_EXPENSIVE)
