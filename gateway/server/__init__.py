"""The gateway server: Starlette app with GraphQL over HTTP, subscriptions over WebSocket
(graphql-transport-ws) and server-sent events, GraphiQL, health, readiness and metrics."""

from gateway.server._app import create_app, create_gateway_app
from gateway.server._graphiql import graphiql_asset_route, graphiql_html
from gateway.server._hangup import disconnected
from gateway.server._reload import SupergraphWatcher, load_supergraph
from gateway.server._requests import RequestSettings
from gateway.server._settings import GatewaySettings, RedisUrl

__all__ = [
    "GatewaySettings",
    "RedisUrl",
    "RequestSettings",
    "SupergraphWatcher",
    "create_app",
    "create_gateway_app",
    "disconnected",
    "graphiql_asset_route",
    "graphiql_html",
    "load_supergraph",
]
