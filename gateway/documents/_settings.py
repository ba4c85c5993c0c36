"""The settings of persisted queries (APQ) and trusted documents:
``CROSSDOCK_GATEWAY__PERSISTED_QUERIES__<KEY>``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PersistedQueriesError", "PersistedQuerySettings", "TrustedMode"]


class PersistedQueriesError(Exception):
    """Persisted queries cannot start (a bad manifest, a bad Redis URL); ``str()`` is one line
    for the start-up error."""


# off: no manifest; log: unknown operations run and are counted; enforce: only the manifest's.
TrustedMode = Literal["off", "log", "enforce"]


class PersistedQuerySettings(BaseModel):
    """Automatic persisted queries and the trusted-documents manifest (docs/persisted-queries.md).

    The APQ store is this process's memory, in front of Redis when ``GatewaySettings.redis_url``
    is set (keys ``<redis_prefix>apq:<sha256>``), so gateways sharing the Redis share what
    clients registered.
    """

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    apq: bool = Field(
        default=True,
        description="accept APQ registrations and hash-only requests; off, they are answered "
        "PERSISTED_QUERY_NOT_SUPPORTED and Apollo Client falls back to sending the "
        'text. trusted_documents="enforce" turns registration off whatever this says',
    )
    apq_cache_bytes: int = Field(
        default=16 << 20,
        gt=0,
        description="bytes of query text the in-memory store keeps (least recently used go "
        "first); a text over a sixteenth of it is not kept in memory (Redis still "
        "keeps it)",
    )
    apq_ttl: float | None = Field(
        default=86_400.0,
        gt=0,
        description="seconds a registration lives in Redis; None: until Redis evicts it",
    )
    apq_redis_timeout: float = Field(
        default=0.5,
        gt=0,
        description="seconds Redis has to answer one command; after a failure the store uses "
        "memory only for apq_redis_retry_interval seconds, so a dead Redis costs "
        "requests nothing",
    )
    apq_redis_retry_interval: float = Field(default=5.0, ge=0)
    trusted_documents: TrustedMode = "off"
    manifest: Path | None = Field(
        default=None,
        description="the manifest of allowed operations: Apollo's persisted query manifest or "
        'Relay\'s {"<id>": "<text>"}; read once at start, required by log and enforce',
    )

    @model_validator(mode="after")
    def _manifest_for_its_mode(self) -> PersistedQuerySettings:
        if self.trusted_documents != "off" and self.manifest is None:
            raise ValueError(
                f'trusted_documents="{self.trusted_documents}" needs a manifest '
                "(persisted_queries.manifest)"
            )
        return self
