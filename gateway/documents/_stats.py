"""What persisted queries and trusted documents did, counted since start, for ``/metrics``
(``crossdock_gateway_<field>_total``)."""

from __future__ import annotations

from dataclasses import dataclass

from telemetry.metrics import CountedFields

__all__ = ["DOCUMENT_COUNTERS", "DocumentStats"]

DOCUMENT_COUNTERS = {
    "apq_hits": "hash-only APQ requests whose text was stored",
    "apq_misses": "hash-only APQ requests answered PERSISTED_QUERY_NOT_FOUND",
    "apq_registrations": "APQ texts stored (hash checked, document valid)",
    "apq_store_errors": "APQ store operations that failed in Redis (answered from memory)",
    "trusted_document_hits": "operations run from the trusted-documents manifest by their id",
    "unknown_operations": "operations not in the manifest that ran (trusted_documents=log)",
    "refused_operations": (
        "operations refused for not being in the manifest (PERSISTED_QUERY_NOT_IN_LIST, "
        "QUERY_NOT_IN_SAFELIST)"
    ),
}


@dataclass
class DocumentStats(CountedFields):
    """Counters of one gateway app (one event loop: no lock), bound by the server to its
    ``/metrics`` counters (``gateway.server._metrics``)."""

    apq_hits: int = 0
    apq_misses: int = 0
    apq_registrations: int = 0
    apq_store_errors: int = 0
    trusted_document_hits: int = 0
    unknown_operations: int = 0
    refused_operations: int = 0
