"""What every subgraph shares: system client, loaders, value types, pagination, errors, app.

A subgraph builds its schema with :func:`federation_schema`, reaches its system through a
:class:`SystemClient` behind :class:`Loader` s created per request, validates the system's
answers as :class:`Payload` s, raises :class:`BadUserInput` for bad arguments, and is served by
:func:`create_graphql_app`.
"""

from subgraphs.common.app import SubgraphGraphQL, create_graphql_app
from subgraphs.common.client import (
    SystemCallError,
    SystemClient,
    SystemResponse,
    SystemResponseInvalid,
    SystemUnavailable,
    sendable_id,
    system_client,
)
from subgraphs.common.errors import (
    FEDERATION_VERSION,
    BadUserInput,
    ErrorCodes,
    SubgraphSchema,
    federation_schema,
)
from subgraphs.common.fields import described
from subgraphs.common.loaders import GroupLoader, Loader, grouped, keyed, reference_loader
from subgraphs.common.relay import (
    MAX_OFFSET,
    Connection,
    Edge,
    PageInfo,
    PageRequest,
    build_connection,
    decode_cursor,
    encode_cursor,
    page_request,
)
from subgraphs.common.sdl import subgraph_sdl
from subgraphs.common.types import Address, Money, Region
from subgraphs.common.vendor import Payload, dangling, parse_payload

__all__ = [
    "FEDERATION_VERSION",
    "MAX_OFFSET",
    "Address",
    "BadUserInput",
    "Connection",
    "Edge",
    "ErrorCodes",
    "GroupLoader",
    "Loader",
    "Money",
    "PageInfo",
    "PageRequest",
    "Payload",
    "Region",
    "SubgraphGraphQL",
    "SubgraphSchema",
    "SystemCallError",
    "SystemClient",
    "SystemResponse",
    "SystemResponseInvalid",
    "SystemUnavailable",
    "build_connection",
    "create_graphql_app",
    "dangling",
    "decode_cursor",
    "described",
    "encode_cursor",
    "federation_schema",
    "grouped",
    "keyed",
    "page_request",
    "parse_payload",
    "reference_loader",
    "sendable_id",
    "subgraph_sdl",
    "system_client",
]
