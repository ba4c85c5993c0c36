"""The refusals of persisted queries and trusted documents, each a GraphQL error with a stable
``extensions.code``::

    PERSISTED_QUERY_NOT_FOUND      a hash-only APQ request whose text is not stored: Apollo
                                   Client and urql send the text (message
                                   ``PersistedQueryNotFound``, as they match on it too)
    PERSISTED_QUERY_NOT_SUPPORTED  APQ is off, or an id without a manifest: the client sends
                                   the text (message ``PersistedQueryNotSupported``)
    PERSISTED_QUERY_HASH_MISMATCH  the text does not hash to the sha256 sent with it; nothing
                                   is stored (HTTP 400)
    PERSISTED_QUERY_NOT_IN_LIST    an id (hash, ``doc_id``, ``documentId``) that the manifest
                                   does not list, as Apollo Router answers it
    QUERY_NOT_IN_SAFELIST          ``enforce``: a text that is none of the manifest's bodies
    BAD_REQUEST                    ``persistedQuery`` of another version or shape, or ids that
                                   name different documents (HTTP 400)

Every refusal is ``invalid`` (GraphQL-over-HTTP: 200 for ``application/json``, 400 for
``application/graphql-response+json``; a ``next`` event over SSE) unless it says HTTP 400.
"""

from __future__ import annotations

from gateway.engine import RequestOutcome

__all__ = [
    "bad_request",
    "hash_mismatch",
    "not_found",
    "not_in_list",
    "not_in_safelist",
    "not_supported",
]


def _refusal(message: str, code: str, status: str = "invalid") -> RequestOutcome:
    return RequestOutcome({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def not_found() -> RequestOutcome:
    return _refusal("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def not_supported() -> RequestOutcome:
    return _refusal("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")


def hash_mismatch() -> RequestOutcome:
    return _refusal(
        "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", "bad_request"
    )


def not_in_list(document_id: str) -> RequestOutcome:
    shown = document_id if len(document_id) <= 80 else document_id[:80] + "..."
    return _refusal(
        f"Persisted query '{shown}' not found in the persisted query list",
        "PERSISTED_QUERY_NOT_IN_LIST",
    )


def not_in_safelist() -> RequestOutcome:
    return _refusal(
        "The operation body was not found in the persisted query safelist",
        "QUERY_NOT_IN_SAFELIST",
    )


def bad_request(message: str) -> RequestOutcome:
    return _refusal(message, "BAD_REQUEST", "bad_request")
