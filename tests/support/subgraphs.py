"""A subgraph of a test's own on loopback: own system client, own cache, own settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from crossdock.settings import Settings
from subgraphs.apps import SubgraphName, create_subgraph_app
from tests.support.servers import serve

__all__ = ["own_subgraph"]


@contextmanager
def own_subgraph(name: SubgraphName, settings: Settings, **changes: Any) -> Iterator[httpx.Client]:
    """Subgraph ``name`` over ``settings`` with ``changes``, served apart, and a client of it.

    Its reference cache is a fresh in-memory one unless ``changes`` name a ``redis_url``, so
    it starts cold and shares nothing with the session's subgraphs.
    """
    own = settings.model_copy(update={"redis_url": None, **changes})
    with (
        serve(create_subgraph_app(name, own.subgraphs)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client
