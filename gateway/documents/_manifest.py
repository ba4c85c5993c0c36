"""The trusted-documents manifest: the operations a gateway may run, read once at start.

Two formats, told apart by their shape::

    Apollo   {"format": "apollo-persisted-query-manifest", "version": 1,
              "operations": [{"id": "<id>", "name": "Q", "type": "query", "body": "<text>"}]}
             (what @apollo/generate-persisted-query-manifest writes; ids are the body's sha256)
    Relay    {"<id>": "<text>", ...}   (relay-compiler's ``persistConfig`` output)

Anything else, an unreadable file, or a body that does not parse is a :class:`ManifestError`,
whose text is one line naming the file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson
from graphql import GraphQLError, parse

from gateway.documents._normalize import normal_form
from gateway.documents._settings import PersistedQueriesError

__all__ = ["Manifest", "ManifestError", "load_manifest", "text_digest"]

_WHAT = "trusted-documents manifest (persisted_queries.manifest)"
_APOLLO_FORMAT = "apollo-persisted-query-manifest"
_OPERATION_TYPES = ("query", "mutation", "subscription")


class ManifestError(PersistedQueriesError):
    """The manifest cannot be used; ``str()`` is one line for the start-up error."""


def text_digest(text: str) -> bytes:
    """The sha256 of a query text's UTF-8, as APQ hashes it (``surrogatepass``: a lone
    surrogate in JSON must hash, not raise)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Manifest:
    """The operations of one manifest file, by id, and the bodies they allow."""

    path: Path
    format: Literal["apollo", "relay"]
    bodies: Mapping[str, str]
    # sha256 of every body: a text the client sends verbatim is known without a parse.
    digests: frozenset[bytes]
    # The normal form of every body, for a text laid out differently (``normal_form``).
    normal_forms: frozenset[str]

    def __len__(self) -> int:
        return len(self.bodies)

    def body(self, document_id: str) -> str | None:
        """The text of the operation ``document_id``, or None when it is not listed."""
        return self.bodies.get(document_id)

    def allows(self, text: str, *, max_tokens: int | None = None) -> bool:
        """Whether ``text`` is one of the manifest's bodies, verbatim or in normal form."""
        if text_digest(text) in self.digests:
            return True
        normal = normal_form(text, max_tokens=max_tokens)
        return normal is not None and normal in self.normal_forms


def _apollo(raw: dict[str, Any]) -> dict[str, str]:
    if raw.get("version") != 1:
        raise ValueError(f'unsupported "version" {raw.get("version")!r} (expected 1)')
    operations = raw.get("operations")
    if not isinstance(operations, list):
        raise ValueError('"operations" must be a list')
    bodies: dict[str, str] = {}
    for index, operation in enumerate(operations):
        where = f"operations[{index}]"
        if not isinstance(operation, dict):
            raise ValueError(f"{where} must be an object")
        document_id, body = operation.get("id"), operation.get("body")
        if not isinstance(document_id, str) or not document_id:
            raise ValueError(f'{where} needs a non-empty string "id"')
        if not isinstance(body, str) or not body:
            raise ValueError(f'{where} (id {document_id}) needs a non-empty string "body"')
        kind = operation.get("type")
        if kind is not None and kind not in _OPERATION_TYPES:
            raise ValueError(f'{where} (id {document_id}) has unknown "type" {kind!r}')
        if bodies.setdefault(document_id, body) != body:
            raise ValueError(f"{where}: id {document_id} is listed with two different bodies")
    return bodies


def _relay(raw: dict[str, Any]) -> dict[str, str]:
    for document_id, body in raw.items():
        if not document_id or not isinstance(body, str) or not body:
            raise ValueError(
                f"entry {document_id!r} is not a query text: expected Apollo's manifest "
                f'(with "format": "{_APOLLO_FORMAT}") or Relay\'s {{"<id>": "<text>"}}'
            )
    return dict(raw)


def _parse_bodies(bodies: Mapping[str, str]) -> frozenset[str]:
    """The bodies' normal forms; raises ValueError naming the first that does not parse."""
    forms = set()
    for document_id, body in bodies.items():
        try:
            parse(body, no_location=True)
        except GraphQLError as error:
            message = f"the body of id {document_id} does not parse: {error.message}"
            raise ValueError(message) from None
        normal = normal_form(body)
        if normal is None:
            raise ValueError(f"the body of id {document_id} is not an executable document")
        forms.add(normal)
    return frozenset(forms)


def load_manifest(path: Path) -> Manifest:
    """Read and check the manifest at ``path``; raises :class:`ManifestError`."""
    try:
        raw = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(f"{_WHAT} {path}: cannot read it: {error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"{_WHAT} {path}: not JSON: {error}") from None
    try:
        if not isinstance(raw, dict):
            raise ValueError("a manifest is a JSON object")
        format_: Literal["apollo", "relay"]
        # Relay's ids are hashes, never "format": the key tells the two formats apart.
        if "format" in raw:
            if raw["format"] != _APOLLO_FORMAT:
                raise ValueError(f'unknown "format" {raw["format"]!r}')
            format_, bodies = "apollo", _apollo(raw)
        else:
            format_, bodies = "relay", _relay(raw)
        if not bodies:
            raise ValueError("it lists no operations")
        normal_forms = _parse_bodies(bodies)
    except ValueError as error:
        raise ManifestError(f"{_WHAT} {path}: {error}") from None
    digests = frozenset(text_digest(body) for body in bodies.values())
    return Manifest(path, format_, bodies, digests, normal_forms)
