"""``ConnectorSettings``: where the systems are and how patiently a client calls them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectors.http import DEFAULT_MAX_CONNECTIONS, SystemClient
from telemetry.metrics import ClientCalls

__all__ = ["SYSTEM_NAMES", "ConnectorSettings", "SystemName", "system_client"]

SystemName = Literal["crm", "erp", "wms"]
"""The systems the graph connects to."""
SYSTEM_NAMES: tuple[SystemName, ...] = ("crm", "erp", "wms")


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorSettings:
    """The base URL of each system, and the policy every call to one follows: one deadline for
    the whole call (429 retries and their waits included), bounded 429 retries honouring
    ``Retry-After`` up to a cap, the largest answer read, and the connections one process
    keeps to one system at once (its calls in flight: more wait for one to come free)."""

    crm_url: str
    erp_url: str
    wms_url: str
    timeout_seconds: float = 5.0
    max_retries: int = 2
    max_retry_after_seconds: float = 2.0
    max_response_bytes: int = 16 << 20
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    def url(self, system: SystemName) -> str:
        """The base URL of ``system``."""
        return {"crm": self.crm_url, "erp": self.erp_url, "wms": self.wms_url}[system]


def system_client(
    system: SystemName, settings: ConnectorSettings, *, calls: ClientCalls | None = None
) -> SystemClient:
    """A client of ``system`` as ``settings`` configure it (one per process and system), its
    calls timed into ``calls`` when given."""
    return SystemClient(
        system,
        settings.url(system),
        timeout=settings.timeout_seconds,
        max_retries=settings.max_retries,
        max_retry_after=settings.max_retry_after_seconds,
        max_response_bytes=settings.max_response_bytes,
        max_connections=settings.max_connections,
        calls=calls,
    )
