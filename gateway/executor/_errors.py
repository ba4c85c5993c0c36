"""Errors as the client gets them: a subgraph's (with ``serviceName``) or the gateway's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.executor._merge import ResponsePath
from gateway.wire import GraphQLError

__all__ = ["gateway_error", "subgraph_error"]


def subgraph_error(
    error: Any, service: str, repath: Callable[[ResponsePath], ResponsePath | None]
) -> GraphQLError | None:
    """A subgraph's error as the client gets it: located by ``repath``, ``serviceName`` added.

    ``None`` for something that is not an error object at all.
    """
    if not isinstance(error, dict):
        return None
    out: GraphQLError = {"message": str(error.get("message", "Subgraph error"))}
    path = error.get("path")
    if isinstance(path, list):
        client_path = repath(path)
        if client_path is not None:
            out["path"] = client_path
    raw_extensions = error.get("extensions")
    extensions = dict(raw_extensions) if isinstance(raw_extensions, dict) else {}
    extensions.setdefault("code", "SUBGRAPH_ERROR")
    extensions["serviceName"] = service
    out["extensions"] = extensions
    return out


def gateway_error(message: str, code: str, service: str | None = None) -> GraphQLError:
    """An error the gateway makes up, with its ``code`` (and the subgraph it is about)."""
    extensions: dict[str, Any] = {"code": code}
    if service is not None:
        extensions["serviceName"] = service
    return {"message": message, "extensions": extensions}
