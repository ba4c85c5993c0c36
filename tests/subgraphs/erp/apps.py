"""ERP subgraph apps of a test's own: own client, cold in-memory cache, own timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from crossdock.settings import Settings
from subgraphs.erp.app import create_app
from tests.support.servers import serve

__all__ = ["subgraph_with"]


@contextmanager
def subgraph_with(settings: Settings, **changes: Any) -> Iterator[httpx.Client]:
    """An ERP subgraph of its own over ``settings`` with ``changes``, and a client of it.

    Its reference cache is a fresh in-memory one (``redis_url`` None), so it starts cold.
    """
    own = settings.model_copy(update={"redis_url": None, **changes})
    with serve(create_app(own)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
