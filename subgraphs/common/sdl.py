"""The SDL a subgraph publishes to the gateway through ``{ _service { sdl } }``."""

from __future__ import annotations

import strawberry.federation
from strawberry.printer import print_schema

__all__ = ["subgraph_sdl"]


def subgraph_sdl(schema: strawberry.federation.Schema) -> str:
    """Exactly what ``{ _service { sdl } }`` answers for ``schema``."""
    # The _service resolver of strawberry.federation.Schema returns this very call.
    return print_schema(schema)
