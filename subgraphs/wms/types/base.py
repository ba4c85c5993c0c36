"""What the WMS subgraph's types share: the resolver ``Info`` and checked id arguments."""

from __future__ import annotations

from typing import TypeAlias

import strawberry

from connectors.http import sendable_id
from subgraphs.common.errors import BadUserInput
from subgraphs.wms.loaders import WmsContext

__all__ = ["Info", "checked_id"]

Info: TypeAlias = strawberry.Info[WmsContext, None]


def checked_id(value: str, argument: str) -> str:
    """``value`` if it can name a WMS record; ``BadUserInput`` naming ``argument`` if not."""
    if not sendable_id(value):
        raise BadUserInput(
            f"{argument} must be 1 to 64 letters, digits, '-', '_' or '.', got {value!r}"
        )
    return value
