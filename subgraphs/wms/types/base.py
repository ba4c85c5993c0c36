"""What the WMS subgraph's types share: the resolver ``Info`` and a typed field decorator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar, cast

import strawberry

from subgraphs.common.errors import BadUserInput
from subgraphs.wms.client import sendable_id
from subgraphs.wms.loaders import WmsContext

__all__ = ["Info", "checked_id", "described"]

Info: TypeAlias = strawberry.Info[WmsContext, None]

F = TypeVar("F", bound=Callable[..., Any])


def described(description: str) -> Callable[[F], F]:
    """``@described(...)``, typed for mypy (Strawberry's ``field`` answers ``Any``)."""
    return cast(Callable[[F], F], strawberry.field(description=description))


def checked_id(value: str, argument: str) -> str:
    """``value`` if it can name a WMS record; ``BadUserInput`` naming ``argument`` if not."""
    if not sendable_id(value):
        raise BadUserInput(
            f"{argument} must be 1 to 64 letters, digits, '-', '_' or '.', got {value!r}"
        )
    return value
