"""The graphql-transport-ws messages as TypedDicts, and the parsing of what a client sends.

The protocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) closes the
socket with ``4400: <reason>`` on any message it does not define; :func:`parse_client_message`
raises :class:`InvalidMessage` with that reason, checking the same fields graphql-ws checks.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

import orjson

from gateway.wire import GraphQLError, GraphQLRequest, GraphQLResponse

__all__ = [
    "PROTOCOL",
    "ClientMessage",
    "CompleteMessage",
    "ConnectionAckMessage",
    "ConnectionInitMessage",
    "ErrorMessage",
    "InvalidMessage",
    "NextMessage",
    "PingMessage",
    "PongMessage",
    "ServerMessage",
    "SubscribeMessage",
    "encode",
    "encode_next",
    "parse_client_message",
]

PROTOCOL = "graphql-transport-ws"


class ConnectionInitMessage(TypedDict):
    type: Literal["connection_init"]
    payload: NotRequired[dict[str, Any] | None]


class ConnectionAckMessage(TypedDict):
    type: Literal["connection_ack"]
    payload: NotRequired[dict[str, Any] | None]


class PingMessage(TypedDict):
    type: Literal["ping"]
    payload: NotRequired[dict[str, Any] | None]


class PongMessage(TypedDict):
    type: Literal["pong"]
    payload: NotRequired[dict[str, Any] | None]


class SubscribeMessage(TypedDict):
    id: str
    type: Literal["subscribe"]
    payload: GraphQLRequest


class NextMessage(TypedDict):
    id: str
    type: Literal["next"]
    payload: GraphQLResponse


class ErrorMessage(TypedDict):
    id: str
    type: Literal["error"]
    payload: list[GraphQLError]


class CompleteMessage(TypedDict):
    id: str
    type: Literal["complete"]


ClientMessage = (
    ConnectionInitMessage | PingMessage | PongMessage | SubscribeMessage | CompleteMessage
)
ServerMessage = (
    ConnectionAckMessage | PingMessage | PongMessage | NextMessage | ErrorMessage | CompleteMessage
)


class InvalidMessage(Exception):
    """A message the protocol does not define; ``str()`` is the 4400 close reason."""


def encode(message: ServerMessage) -> str:
    """JSON text: graphql-transport-ws messages travel as text frames."""
    return orjson.dumps(message).decode()


def encode_next(id_: str, payload: bytes) -> str:
    """A ``next`` message around a response already encoded (by the size-holding encoder)."""
    return (b'{"id":%s,"type":"next","payload":%s}' % (orjson.dumps(id_), payload)).decode()


def _optional_object(message: dict[str, Any], key: str, what: str) -> None:
    value = message.get(key)
    if value is not None and not isinstance(value, dict):
        raise InvalidMessage(f'"{what}" message expects the "{key}" property to be an object')


def _id(message: dict[str, Any], type_: str) -> str:
    value = message.get("id")
    if not isinstance(value, str) or not value:
        raise InvalidMessage(f'"{type_}" message requires a non-empty string "id" property')
    return value


def _subscribe_payload(message: dict[str, Any]) -> GraphQLRequest:
    payload = message.get("payload")
    if not isinstance(payload, dict):
        raise InvalidMessage('"subscribe" message expects the "payload" property to be an object')
    query = payload.get("query")
    # A persisted document may come by id alone (``documentId``, ``doc_id``); graphql-ws
    # clients send ``query: ""`` with ``extensions.persistedQuery`` instead.
    by_id = payload.get("documentId") is not None or payload.get("doc_id") is not None
    if not isinstance(query, str) and not (query is None and by_id):
        raise InvalidMessage('"subscribe" message payload expects "query" to be a string')
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise InvalidMessage(
            '"subscribe" message payload expects "operationName" to be a string or null'
        )
    for key in ("variables", "extensions"):
        value = payload.get(key)
        if value is not None and not isinstance(value, dict):
            raise InvalidMessage(
                f'"subscribe" message payload expects "{key}" to be an object or null'
            )
    request: GraphQLRequest = {"query": query or ""}
    if payload.get("documentId") is not None:
        request["documentId"] = payload["documentId"]
    if payload.get("doc_id") is not None:
        request["doc_id"] = payload["doc_id"]
    if name is not None:
        request["operationName"] = name
    if payload.get("variables") is not None:
        request["variables"] = payload["variables"]
    if payload.get("extensions") is not None:
        request["extensions"] = payload["extensions"]
    return request


def parse_client_message(text: str) -> ClientMessage:
    """The message ``text`` holds; raises :class:`InvalidMessage` for anything else."""
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidMessage("Message is not valid JSON") from None
    if not isinstance(message, dict):
        raise InvalidMessage("Message must be a JSON object")
    type_ = message.get("type")
    if not isinstance(type_, str):
        raise InvalidMessage('Message is missing the string "type" property')
    if type_ in ("connection_init", "ping", "pong"):
        _optional_object(message, "payload", type_)
        out: dict[str, Any] = {"type": type_}
        if message.get("payload") is not None:
            out["payload"] = message["payload"]
        return out  # type: ignore[return-value]
    if type_ == "subscribe":
        return {
            "id": _id(message, type_),
            "type": "subscribe",
            "payload": _subscribe_payload(message),
        }
    if type_ == "complete":
        return {"id": _id(message, type_), "type": "complete"}
    if type_ in ("connection_ack", "next", "error"):
        raise InvalidMessage(f'Unexpected message of type "{type_}" from a client')
    raise InvalidMessage(f'Unknown message type "{type_[:40]}"')
