"""Query plans for developers, by Apollo's request header ``Apollo-Expose-Query-Plan``.

``Apollo-Expose-Query-Plan: true`` answers the request as usual, plus
``extensions.apolloQueryPlan = {"object": {"kind": "QueryPlan", "node": ...}, "text": "..."}``
(``gateway.planner.plan_json`` and ``plan_text``); ``dry-run`` answers with the plan only:
nothing is fetched, there is no ``data``. With ``multipart/mixed`` (``@defer``) the plan comes
in the first part.

Only where the ``expose_query_plans`` setting allows it (on by default, off in production);
elsewhere the header is ignored. The plan is the one the request was admitted with: after the
trusted-documents rule, authorization (a field the caller may not see is not in it) and
demand control, which refuse a dry run as they refuse the request. Event streams and
WebSockets ignore the header.
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request

from gateway.engine import RequestOutcome
from gateway.planner import QueryPlan, plan_json, plan_text
from gateway.wire import GraphQLResponse

__all__ = ["HEADER", "PlanRequest", "requested_plan", "with_plan", "with_plan_outcome"]

HEADER = "apollo-expose-query-plan"

PlanRequest = Literal["include", "dry-run"]


def requested_plan(request: Request, allowed: bool) -> PlanRequest | None:
    """What the request asks of its plan: ``include`` it, a ``dry-run``, or nothing (no
    header, another value, or plans not ``allowed`` here)."""
    if not allowed:
        return None
    value = request.headers.get(HEADER, "").strip().lower()
    if value == "true":
        return "include"
    if value == "dry-run":
        return "dry-run"
    return None


def with_plan(response: GraphQLResponse, plan: QueryPlan | None) -> GraphQLResponse:
    """``response`` with ``plan`` in ``extensions.apolloQueryPlan`` (unchanged without one)."""
    if plan is None:
        return response
    extensions = {
        **response.get("extensions", {}),
        "apolloQueryPlan": {"object": plan_json(plan), "text": plan_text(plan)},
    }
    return {**response, "extensions": extensions}


def with_plan_outcome(outcome: RequestOutcome) -> RequestOutcome:
    """``outcome`` with its plan in its response's extensions."""
    if outcome.plan is None:
        return outcome
    return RequestOutcome(
        with_plan(outcome.response, outcome.plan),
        outcome.status,
        outcome.plan,
        retry_after=outcome.retry_after,
    )
