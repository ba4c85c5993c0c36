"""Fixtures: the sample system served on loopback, and clients of it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from tests.support.servers import serve
from tests.systems.common.sample_app import build_app


@pytest.fixture
def app() -> Starlette:
    return build_app()


@pytest.fixture
def client(app: Starlette) -> Iterator[httpx.Client]:
    """A client of a fresh app: for tests that change or count its state."""
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def shared_client() -> Iterator[httpx.Client]:
    """A client of one app per module: for tests that only read."""
    with serve(build_app()) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client
