"""The adapters to the systems: the ERP, CRM and WMS as the graph's other rooms see them.

One subpackage per system (``crm``, ``erp``, ``wms``), each with its client (typed calls over
REST), the vendor's payload models (validated at the edge) and their normalization into our
records; the WMS's also holds its webhooks' format and signature. The shared HTTP client,
:class:`SystemClient`, gives every call one deadline, bounded 429 retries and errors fit for an
API client. Nothing here knows GraphQL: subgraphs, resolvers and consumers all stand on this.
"""

from connectors.http import (
    SystemCallError,
    SystemClient,
    SystemResponse,
    SystemResponseInvalid,
    SystemUnavailable,
    sendable_id,
)
from connectors.payloads import Payload, dangling, parse_payload
from connectors.settings import SYSTEM_NAMES, ConnectorSettings, SystemName, system_client
from connectors.values import AddressRecord, Region

__all__ = [
    "SYSTEM_NAMES",
    "AddressRecord",
    "ConnectorSettings",
    "Payload",
    "Region",
    "SystemCallError",
    "SystemClient",
    "SystemName",
    "SystemResponse",
    "SystemResponseInvalid",
    "SystemUnavailable",
    "dangling",
    "parse_payload",
    "sendable_id",
    "system_client",
]
