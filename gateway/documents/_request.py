"""What a request says about its document: the text it carries and the ids it names.

Ids arrive three ways: Apollo's ``extensions.persistedQuery {version: 1, sha256Hash}`` (APQ,
and Apollo's persisted queries, whose manifest ids are the same hashes), Relay's ``doc_id``,
and GraphQL over HTTP's ``documentId`` (``sha256:<hex>`` names the same document as the bare
hex). A request naming two different documents is refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.wire import GraphQLRequest

__all__ = ["BadReference", "DocumentRef", "read_reference"]

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_PREFIX = "sha256:"


class BadReference(ValueError):
    """The request's ids are malformed or disagree; ``str()`` says how (BAD_REQUEST)."""


@dataclass(frozen=True)
class DocumentRef:
    """A request's document as it names it: any of these may be missing."""

    # The query text, when the request carries a non-empty one.
    text: str | None
    # ``extensions.persistedQuery.sha256Hash``, lowercase.
    apq_hash: str | None
    # ``documentId`` or ``doc_id``, as sent.
    document_id: str | None

    @property
    def manifest_ids(self) -> tuple[str, ...]:
        """The ids to look up in a manifest: the one sent, and for ``sha256:<hex>`` the hex
        (Apollo's manifests list bare hashes)."""
        if self.document_id is None:
            return () if self.apq_hash is None else (self.apq_hash,)
        if self.document_id.startswith(_PREFIX):
            return (self.document_id, self.document_id[len(_PREFIX) :].lower())
        return (self.document_id,)


def _apq_hash(extensions: Any) -> str | None:
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise BadReference("extensions.persistedQuery must be an object.")
    if persisted.get("version") != 1:
        raise BadReference("Unsupported persisted query version.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise BadReference("extensions.persistedQuery.sha256Hash must be a hex sha256.")
    return sha256.lower()


def _document_id(request: GraphQLRequest) -> str | None:
    found: str | None = None
    for key in ("documentId", "doc_id"):
        value = request.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise BadReference(f"{key} must be a non-empty string.")
        if found is not None and value != found:
            raise BadReference("documentId and doc_id name different documents.")
        found = value
    return found


def read_reference(request: GraphQLRequest) -> DocumentRef:
    """The request's text and ids; raises :class:`BadReference` for malformed ids."""
    query = request.get("query")
    text = query if isinstance(query, str) and query else None
    apq_hash = _apq_hash(request.get("extensions"))
    document_id = _document_id(request)
    if apq_hash is not None and document_id is not None:
        same = document_id.lower() in (apq_hash, _PREFIX + apq_hash)
        if not same:
            raise BadReference("documentId and extensions.persistedQuery name different documents.")
    return DocumentRef(text, apq_hash, document_id)
