"""Validating a system's payloads at the edge: what every connector's ``vendor`` module shares.

Each connector models its system's records as pydantic :class:`Payload` s and parses them with
:func:`parse_payload`; a payload that does not fit (a missing key, a wrong type, an unknown
code) raises ``SystemResponseInvalid``, which the subgraphs report as ``SUBGRAPH_ERROR`` on the
fields it affects. So does a record that refers to one its system does not have
(:func:`dangling`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.http import SystemResponseInvalid

__all__ = ["Payload", "dangling", "parse_payload"]

M = TypeVar("M", bound=BaseModel)


class Payload(BaseModel):
    """A vendor record: immutable, and blind to fields the graph does not use."""

    model_config = ConfigDict(frozen=True, extra="ignore")


def parse_payload(system: str, model: type[M], data: Any, *, what: str | None = None) -> M:
    """``data`` validated as ``model``; ``SystemResponseInvalid`` naming the first problem.

    ``what`` names the record in the message (default: the model's name without ``Payload``).
    """
    try:
        return model.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        name = what or model.__name__.removesuffix("Payload")
        raise SystemResponseInvalid(system, f"malformed {name} ({where}: {first['msg']})") from None


def dangling(system: str, referrer: str, what: str, key: str) -> SystemResponseInvalid:
    """The error for a record (``referrer``) that refers to a ``what`` its system lacks."""
    return SystemResponseInvalid(system, f"{referrer} refers to unknown {what} {key}")
