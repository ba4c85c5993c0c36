"""Error messages without internals: what the production switch lets a client read.

In production a client sees no more of the graph than its trusted operations need:

- an error about a subgraph (it carries ``serviceName``) keeps only its code and its path;
  its message becomes ``Subgraph errors redacted`` (Apollo Router's words for the same), unless
  its code is one a client must act on (:data:`PUBLIC_CODES`: bad input, authentication),
  whose message is kept; ``serviceName`` and every other extension go, since subgraphs put
  system names, internal ids or traces there;
- the gateway's own errors keep their code and extensions (a cost estimate and its limit are
  the client's business) but a planning failure no longer says what the planner met;
- every message kept loses its "Did you mean …?" suggestions (validation, variable values,
  a subgraph's bad-input errors), which spell out the schema that introspection, off in
  production, would have kept to itself.

Paths and locations stay: they point into the client's own operation.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.wire import GraphQLError, GraphQLResponse

__all__ = [
    "PLANNING_FAILED",
    "PLANNING_FAILED_MESSAGE",
    "PUBLIC_CODES",
    "REDACTED_MESSAGE",
    "redact_error",
    "redact_response",
]

REDACTED_MESSAGE: Final = "Subgraph errors redacted"
PLANNING_FAILED: Final = "QUERY_PLANNING_FAILED"
PLANNING_FAILED_MESSAGE: Final = "Query planning failed."

PUBLIC_CODES: Final = frozenset(
    {
        "BAD_USER_INPUT",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "UNAUTHORIZED_FIELD_OR_TYPE",
        "PERSISTED_QUERY_NOT_FOUND",
    }
)
"""Codes of subgraph errors whose message a client needs to correct what it sent."""

_SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)


def redact_error(error: GraphQLError) -> GraphQLError:
    """``error`` as a client may read it in production."""
    extensions = error.get("extensions") or {}
    code = extensions.get("code")
    if "serviceName" in extensions:
        out: GraphQLError = {
            "message": _unsuggested(error["message"]) if code in PUBLIC_CODES else REDACTED_MESSAGE,
            "extensions": {"code": code if isinstance(code, str) else "SUBGRAPH_ERROR"},
        }
        if "path" in error:
            out["path"] = error["path"]
        if "locations" in error:
            out["locations"] = error["locations"]
        return out
    if code == PLANNING_FAILED:
        # The field and the reason describe the supergraph: internals. The code stays.
        return {"message": PLANNING_FAILED_MESSAGE, "extensions": {"code": PLANNING_FAILED}}
    message = _unsuggested(error["message"])
    return error if message == error["message"] else {**error, "message": message}


def _unsuggested(message: str) -> str:
    return _SUGGESTION.sub("", message)


def redact_response(response: GraphQLResponse) -> GraphQLResponse:
    """``response`` with every error redacted (the same object when it has none)."""
    errors = response.get("errors")
    items = response.get("incremental")
    if items and any("errors" in item for item in items):  # a deferred payload's
        response = {
            **response,
            "incremental": [
                {**item, "errors": [redact_error(e) for e in item["errors"]]}
                if "errors" in item
                else item
                for item in items
            ],
        }
    if not errors:
        return response
    return {**response, "errors": [redact_error(error) for error in errors]}
