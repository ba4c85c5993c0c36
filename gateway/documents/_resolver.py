"""One place that turns what a client sent into the query text to run, or refuses it.

Every transport passes here before the engine: HTTP POST, GET and server-sent events in
``gateway/server/_app.py``, each graphql-transport-ws ``subscribe`` in ``gateway/server/_ws.py``.
It sits in front of ``Gateway.execute``/``Gateway.stream`` rather than inside the engine's
``_admit`` because the APQ store may be Redis, whose answers must be awaited, while ``_admit``
is synchronous by design (it is the hot path of every cached request); and in front of the
transports' own checks because they need the text: GET refuses a mutation sent by hash as it
refuses one sent as text.

The rules (docs/persisted-queries.md):

- a text without ids runs, unless ``trusted_documents`` is ``enforce`` and the text is none of
  the manifest's bodies (verbatim, or in normal form); ``log`` counts those that are not;
- an id (APQ hash, ``doc_id``, ``documentId``) the manifest lists runs the manifest's body;
- APQ, hash only: the stored text runs, else ``PERSISTED_QUERY_NOT_FOUND`` so the client sends
  it; hash with text: the text must hash to it (else refused, nothing stored), and is stored
  once the engine found it a valid document, so neither a forged nor a junk text enters a
  store other gateways share; ``enforce`` registers nothing.
"""

from __future__ import annotations

import logging
from pathlib import Path

from gateway._lru import SizedLru
from gateway.documents import _refusals as refuse
from gateway.documents._manifest import Manifest, load_manifest, text_digest
from gateway.documents._request import BadReference, DocumentRef, read_reference
from gateway.documents._settings import PersistedQueriesError, PersistedQuerySettings
from gateway.documents._stats import DocumentStats
from gateway.documents._store import ApqStore, MemoryApqStore, RedisApqStore, TieredApqStore
from gateway.engine import Gateway, RequestOutcome
from gateway.wire import GraphQLRequest

__all__ = ["DocumentResolver"]

log = logging.getLogger("gateway.documents")

# Distinct texts whose manifest verdict is remembered: a text repeated is checked once, so an
# unknown one refused again costs a sha256, and ``log`` reports each unknown text once.
_VERDICTS = 4096
_LOGGED_TEXT = 200


class DocumentResolver:
    """Resolves requests against an APQ store (None: APQ off) and a manifest (None: off)."""

    def __init__(
        self,
        gateway: Gateway,
        settings: PersistedQuerySettings,
        *,
        store: ApqStore | None,
        manifest: Manifest | None,
        stats: DocumentStats | None = None,
    ) -> None:
        self.gateway = gateway
        self.mode = settings.trusted_documents if manifest is not None else "off"
        self.manifest = manifest
        # ``enforce`` runs the manifest's operations only: nothing to register.
        self.store = store if self.mode != "enforce" else None
        self.stats = stats if stats is not None else DocumentStats()
        self._verdicts: SizedLru[bytes, bool] = SizedLru(_VERDICTS, _VERDICTS)

    @classmethod
    def from_settings(
        cls,
        gateway: Gateway,
        settings: PersistedQuerySettings,
        *,
        redis_url: str | None,
        redis_prefix: str,
    ) -> DocumentResolver:
        """The resolver ``settings`` describe; raises ``PersistedQueriesError`` (one line) for
        a bad manifest or Redis URL."""
        manifest = None
        if settings.trusted_documents != "off":
            assert settings.manifest is not None  # checked by the settings
            manifest = load_manifest(Path(settings.manifest))
        stats = DocumentStats()
        store: ApqStore | None = None
        if settings.apq:
            memory = MemoryApqStore(settings.apq_cache_bytes)
            store = memory
            if redis_url is not None:
                try:
                    shared = RedisApqStore(
                        redis_url,
                        prefix=redis_prefix,
                        ttl=settings.apq_ttl,
                        timeout=settings.apq_redis_timeout,
                    )
                except ValueError as error:  # redis-py's word on a URL it cannot use
                    raise PersistedQueriesError(f"redis_url: {error}") from None
                store = TieredApqStore(
                    memory, shared, retry_interval=settings.apq_redis_retry_interval, stats=stats
                )
        return cls(gateway, settings, store=store, manifest=manifest, stats=stats)

    async def aclose(self) -> None:
        if self.store is not None:
            await self.store.aclose()

    async def resolve(self, request: GraphQLRequest) -> GraphQLRequest | RequestOutcome:
        """The request with the text to run as its ``query``, or the outcome refusing it.
        Never raises for anything a client sends."""
        try:
            ref = read_reference(request)
        except BadReference as error:
            return refuse.bad_request(str(error))
        if ref.apq_hash is not None:
            return await self._persisted_query(request, ref)
        if ref.document_id is not None:
            return self._by_id(request, ref)
        if ref.text is None:
            return request  # not GraphQL: the engine says so
        return self._freeform(request, ref.text)

    def _freeform(self, request: GraphQLRequest, text: str) -> GraphQLRequest | RequestOutcome:
        if self.mode == "off" or self._known(text, request):
            return request
        if self.mode == "enforce":
            self.stats.refused_operations += 1
            return refuse.not_in_safelist()
        self.stats.unknown_operations += 1
        return request

    def _listed(self, ref: DocumentRef) -> str | None:
        """The manifest's body for the request's id, if it lists it."""
        if self.manifest is None:
            return None
        for document_id in ref.manifest_ids:
            body = self.manifest.body(document_id)
            if body is not None:
                return body
        return None

    def _by_id(self, request: GraphQLRequest, ref: DocumentRef) -> GraphQLRequest | RequestOutcome:
        """``documentId`` / ``doc_id``: ids of the manifest only."""
        assert ref.document_id is not None
        if self.manifest is None:
            return refuse.not_supported()
        body = self._listed(ref)
        if body is None:
            self.stats.refused_operations += 1
            return refuse.not_in_list(ref.document_id)
        if ref.text is not None and ref.text != body:
            return refuse.bad_request(f"The query sent is not the document {ref.document_id}.")
        self.stats.trusted_document_hits += 1
        return _with_text(request, body)

    async def _persisted_query(
        self, request: GraphQLRequest, ref: DocumentRef
    ) -> GraphQLRequest | RequestOutcome:
        assert ref.apq_hash is not None
        if ref.text is not None:
            return await self._register(request, ref.apq_hash, ref.text)
        body = self._listed(ref)
        if body is not None:
            self.stats.trusted_document_hits += 1
            return _with_text(request, body)
        if self.mode == "enforce":
            self.stats.refused_operations += 1
            return refuse.not_in_list(ref.apq_hash)
        if self.store is None:
            return refuse.not_supported()
        text = await self.store.get(ref.apq_hash)
        if text is None:
            self.stats.apq_misses += 1
            return refuse.not_found()
        self.stats.apq_hits += 1
        return self._freeform(_with_text(request, text), text)

    async def _register(
        self, request: GraphQLRequest, apq_hash: str, text: str
    ) -> GraphQLRequest | RequestOutcome:
        """A text sent with its hash: checked, then stored if it is a valid document."""
        if text_digest(text).hex() != apq_hash:
            return refuse.hash_mismatch()
        if self.mode == "enforce":
            return self._freeform(request, text)
        if self.store is None:
            return refuse.not_supported()
        gateway = self.gateway
        state = gateway.state
        # The engine's own parse and validation, cached: running the request right after
        # finds it done. An invalid text is not stored; the engine answers its errors.
        if gateway.prepare(state, text, gateway.cache_key(text)).document is not None:
            await self.store.put(apq_hash, text)
            self.stats.apq_registrations += 1
        return self._freeform(request, text)

    def _known(self, text: str, request: GraphQLRequest) -> bool:
        """Whether the manifest allows ``text``; remembered per text, and an unknown text
        logged when first seen (``log`` mode's report of what would be refused)."""
        assert self.manifest is not None
        digest = text_digest(text)
        known = self._verdicts.get(digest)
        if known is None:
            known = self.manifest.allows(text, max_tokens=self.gateway.limits.max_tokens)
            self._verdicts.put(digest, known, 1)
            if not known:
                shown = text if len(text) <= _LOGGED_TEXT else text[:_LOGGED_TEXT] + "..."
                log.warning(
                    "operation not in the trusted documents (%s, sha256 %s, name %r): %s",
                    self.mode,
                    digest.hex(),
                    request.get("operationName"),
                    " ".join(shown.split()),
                )
        return known


def _with_text(request: GraphQLRequest, text: str) -> GraphQLRequest:
    resolved: GraphQLRequest = {**request, "query": text}
    return resolved
