"""Every workflow step's timing and outcome, as one JSON log line (and in-process totals), and
as a span (``telemetry.tracing``) when tracing is on.

The totals per system let the benchmark say where a submission spends its time.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson

from telemetry.tracing import span

__all__ = ["STEP_TOTALS", "logger", "prometheus_text", "step"]

logger = logging.getLogger("resolvers.steps")

# (workflow kind, step, outcome) -> [count, seconds]; read by /metrics-style reporting.
STEP_TOTALS: defaultdict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])


@asynccontextmanager
async def step(kind: str, workflow_id: str, name: str, system: str) -> AsyncIterator[None]:
    """Time the step ``name`` of a workflow against ``system`` and log how it ended."""
    started = time.perf_counter()
    outcome, error = "ok", None
    try:
        with span(
            f"{kind} {name}",
            attributes={
                "crossdock.workflow": kind,
                "crossdock.workflow_id": workflow_id,
                "crossdock.step": name,
                "peer.service": system,
            },
        ):
            yield
    except BaseException as failure:
        outcome, error = "failed", getattr(failure, "message", None) or type(failure).__name__
        raise
    finally:
        seconds = time.perf_counter() - started
        totals = STEP_TOTALS[(kind, name, outcome)]
        totals[0] += 1
        totals[1] += seconds
        line = {
            "event": "workflow_step",
            "workflow": kind,
            "workflow_id": workflow_id,
            "step": name,
            "system": system,
            "outcome": outcome,
            "ms": round(seconds * 1000, 3),
        }
        if error is not None:
            line["error"] = str(error)
        logger.info(orjson.dumps(line).decode())


def prometheus_text() -> str:
    """``STEP_TOTALS`` in the Prometheus text format: a count and seconds per step."""
    lines = [
        "# HELP crossdock_workflow_steps_total Workflow steps run, by outcome.",
        "# TYPE crossdock_workflow_steps_total counter",
    ]
    totals = sorted(STEP_TOTALS.items())
    for (kind, name, outcome), (count, _) in totals:
        labels = f'workflow="{kind}",step="{name}",outcome="{outcome}"'
        lines.append(f"crossdock_workflow_steps_total{{{labels}}} {int(count)}")
    lines += [
        "# HELP crossdock_workflow_step_seconds_total Time spent in workflow steps.",
        "# TYPE crossdock_workflow_step_seconds_total counter",
    ]
    for (kind, name, outcome), (_, seconds) in totals:
        labels = f'workflow="{kind}",step="{name}",outcome="{outcome}"'
        lines.append(f"crossdock_workflow_step_seconds_total{{{labels}}} {seconds:.6f}")
    return "\n".join(lines) + "\n"
