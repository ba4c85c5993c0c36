"""What every subgraph shares: the federation schema, errors, loaders, value types, pagination,
the app.

A subgraph builds its schema with :func:`federation_schema`, serves each request for the
``Actor`` its token proves (its context a :class:`CallerContext`; ``identity``), declares who
may ask for what with the federation auth directives (``access``) and keeps a customer to
its own account in its loaders (``scoping``), reaches its system through a
connector (``connectors``) behind :class:`Loader` s created per request, raises
:class:`BadUserInput` for bad arguments, describes the connectors' enums for the graph with
:func:`graphql_enum`, and is served by :func:`create_graphql_app`.
"""

from subgraphs.common.app import SubgraphGraphQL, create_graphql_app
from subgraphs.common.enums import graphql_enum
from subgraphs.common.errors import BadUserInput, ErrorCodes
from subgraphs.common.federation import FEDERATION_VERSION, SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.common.identity import NOBODY, CallerContext, Identification, actor_of
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

__all__ = [
    "FEDERATION_VERSION",
    "MAX_OFFSET",
    "NOBODY",
    "Address",
    "BadUserInput",
    "CallerContext",
    "Connection",
    "Edge",
    "ErrorCodes",
    "GroupLoader",
    "Identification",
    "Loader",
    "Money",
    "PageInfo",
    "PageRequest",
    "Region",
    "SubgraphGraphQL",
    "SubgraphSchema",
    "actor_of",
    "build_connection",
    "create_graphql_app",
    "decode_cursor",
    "described",
    "encode_cursor",
    "federation_schema",
    "graphql_enum",
    "grouped",
    "keyed",
    "page_request",
    "reference_loader",
    "subgraph_sdl",
]
