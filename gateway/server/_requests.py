"""What one client request may take: its time (the deadline) and the size of its response.

The deadline itself is the engine's (``Gateway(request_timeout=...)``, see
``gateway.executor._deadline``); the response size is held here, where every transport turns
a response into bytes anyway: :class:`ResponseEncoder` encodes it once and, when it is over
the limit, answers a small ``RESPONSE_TOO_LARGE`` error instead, so the cap costs one length
comparison. HTTP, server-sent events and each WebSocket ``next`` use the same encoder; each
payload of a deferred operation is held to the limit on its own.
"""

from __future__ import annotations

import logging

import orjson
from pydantic import BaseModel, ConfigDict, Field

from gateway.wire import GraphQLError, GraphQLResponse, IncrementalItem

__all__ = ["RESPONSE_TOO_LARGE", "RequestSettings", "ResponseEncoder"]

log = logging.getLogger("gateway.server")

RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
"""``extensions.code`` of the error that replaces a response over the size limit."""


class RequestSettings(BaseModel):
    """What one client request may take (``CROSSDOCK_GATEWAY__REQUESTS__<KEY>``)."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    # Every subgraph fetch gets only what is left of the deadline (and is told so in the
    # ``x-request-timeout-ms`` header); at the deadline the fetches in flight are cancelled.
    timeout: float | None = Field(
        default=30.0,
        gt=0,
        description="seconds a query or mutation may run, from when it is admitted to run "
        "(its wait for an execution slot included) to its response (each subscription event, "
        "for its own fetches); then the client gets what "
        "arrived, with GATEWAY_TIMEOUT errors; unset: no deadline (docs/deadlines.md)",
    )
    max_response_bytes: int | None = Field(
        default=16 << 20,
        gt=0,
        description="a response to a client over this many bytes of JSON is replaced by a "
        "RESPONSE_TOO_LARGE error; unset: no limit",
    )


class ResponseEncoder:
    """Responses as JSON bytes; one over ``max_bytes`` becomes a ``RESPONSE_TOO_LARGE`` error."""

    def __init__(self, max_bytes: int | None) -> None:
        self.max_bytes = max_bytes
        self.error: GraphQLError = {
            "message": (
                f"The response is larger than the gateway's limit of {max_bytes} "
                "bytes; ask for fewer fields or a smaller page."
            ),
            "extensions": {"code": RESPONSE_TOO_LARGE, "maxBytes": max_bytes},
        }
        # Made once: answering a refused response must cost nothing more.
        self.too_large = orjson.dumps({"data": None, "errors": [self.error]})

    def __call__(self, response: GraphQLResponse) -> bytes:
        body = orjson.dumps(response)
        if self.max_bytes is not None and len(body) > self.max_bytes:
            log.warning(
                "a response of %d bytes was over the limit of %d bytes", len(body), self.max_bytes
            )
            if "hasNext" in response:
                return orjson.dumps(self._too_large_payload(response))
            return self.too_large
        return body

    def _too_large_payload(self, payload: GraphQLResponse) -> GraphQLResponse:
        """One payload of a deferred operation (``@defer``) over the limit, held on its own:
        its data replaced by the error, in the same place (the initial payload's, or each
        incremental item's), so the stream stays well formed and goes on."""
        has_next = payload["hasNext"]
        if "incremental" not in payload:
            return {"data": None, "errors": [self.error], "hasNext": has_next}
        items: list[IncrementalItem] = []
        for item in payload["incremental"]:
            replaced: IncrementalItem = {"data": None, "path": item["path"], "errors": [self.error]}
            if "label" in item:
                replaced["label"] = item["label"]
            items.append(replaced)
        return {"incremental": items, "hasNext": has_next}
