"""One deadline per request: when it passes, the fetches in flight stop and what arrived stays.

A request's deadline is set once, when it is admitted to run (:meth:`Deadline.after`; its wait
for an execution slot counts, ``gateway._execution_slots``), and watched by one timer for the
whole run (``asyncio.timeout_at`` in :meth:`PlanRun.run`), not one per fetch: when it fires,
the run's task and every fetch under it are cancelled, each fetch in flight closes its
connection (so the subgraph sees its request abandoned), and the response keeps the data that
arrived, with a ``GATEWAY_TIMEOUT`` error at the fields of each fetch that was cut and one
without a path for the request as a whole.

Each fetch tells its subgraph how long the gateway will still wait for it, in whole
milliseconds, in the :data:`TIMEOUT_HEADER` request header (as gRPC's ``grpc-timeout`` and
Envoy's ``x-envoy-expected-rq-timeout-ms`` do): a time left, not a clock reading, so clocks
need not agree. A subgraph can stop its own work then too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.wire import GraphQLError

__all__ = ["TIMEOUT_CODE", "TIMEOUT_HEADER", "Deadline", "cut_fetch_error", "timeout_error"]

TIMEOUT_HEADER = "x-request-timeout-ms"
"""The request header carrying the milliseconds the gateway still waits for a fetch."""

TIMEOUT_CODE = "GATEWAY_TIMEOUT"
"""``extensions.code`` of the errors of a request whose deadline passed (as Apollo Router's)."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a request must be done, in event-loop time, and the timeout it was set from."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline ``seconds`` from now (in the running loop's time)."""
        return cls(asyncio.get_running_loop().time() + seconds, seconds)

    def remaining(self) -> float:
        """Seconds left (negative once it has passed)."""
        return self.at - asyncio.get_running_loop().time()


def timeout_error(deadline: Deadline) -> GraphQLError:
    """The error of a request whose deadline passed (no path: it is about the whole request)."""
    return {
        "message": (
            f"The request did not finish within its deadline of {deadline.seconds:g}s; "
            "the data that arrived in time is kept."
        ),
        "extensions": {"code": TIMEOUT_CODE},
    }


def cut_fetch_error(service: str, deadline: Deadline | None) -> str:
    """The message at the fields of a fetch the deadline cut short."""
    within = f" within the request's deadline of {deadline.seconds:g}s" if deadline else ""
    return f"Subgraph '{service}' did not answer{within}."
