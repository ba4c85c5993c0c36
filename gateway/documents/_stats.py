"""What persisted queries and trusted documents did, counted since start, for ``/metrics``."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["DocumentStats"]

_HELP = {
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
class DocumentStats:
    """Counters of one gateway app (one event loop: no lock)."""

    apq_hits: int = 0
    apq_misses: int = 0
    apq_registrations: int = 0
    apq_store_errors: int = 0
    trusted_document_hits: int = 0
    unknown_operations: int = 0
    refused_operations: int = 0

    def prometheus_lines(self) -> list[str]:
        """Each counter as ``crossdock_gateway_<field>_total`` in Prometheus' text format."""
        lines = []
        for field in fields(self):
            name = f"crossdock_gateway_{field.name}_total"
            lines += [
                f"# HELP {name} {_HELP[field.name]}",
                f"# TYPE {name} counter",
                f"{name} {getattr(self, field.name)}",
            ]
        return lines
