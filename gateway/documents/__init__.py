"""Persisted queries and trusted documents: which text a request runs, and whether it may.

- automatic persisted queries (APQ): Apollo's ``extensions.persistedQuery`` sha256 protocol,
  texts kept in memory or, with ``GatewaySettings.redis_url``, in Redis behind memory
  (``_store``);
- trusted documents: a manifest of allowed operations, Apollo's or Relay's (``_manifest``),
  addressed by APQ hash, ``doc_id`` or ``documentId`` (``_request``), in mode ``off``,
  ``log`` or ``enforce``;
- :class:`DocumentResolver`, the one step every transport passes before the engine
  (``_resolver``), with its refusals (``_refusals``) and counters (``_stats``).
"""

from gateway.documents._manifest import Manifest, ManifestError, load_manifest
from gateway.documents._normalize import normal_form
from gateway.documents._resolver import DocumentResolver
from gateway.documents._settings import (
    PersistedQueriesError,
    PersistedQuerySettings,
    TrustedMode,
)
from gateway.documents._stats import DOCUMENT_COUNTERS, DocumentStats
from gateway.documents._store import (
    ApqStore,
    MemoryApqStore,
    RedisApqStore,
    StoreUnavailable,
    TieredApqStore,
)

__all__ = [
    "DOCUMENT_COUNTERS",
    "ApqStore",
    "DocumentResolver",
    "DocumentStats",
    "Manifest",
    "ManifestError",
    "MemoryApqStore",
    "PersistedQueriesError",
    "PersistedQuerySettings",
    "RedisApqStore",
    "StoreUnavailable",
    "TieredApqStore",
    "TrustedMode",
    "load_manifest",
    "normal_form",
]
