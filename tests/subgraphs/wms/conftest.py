"""Fixtures: clients of the WMS subgraph and of the WMS, and fault injection that always undoes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import FaultSettings
from tests.subgraphs.wms.graphql import SetFaults


@pytest.fixture(scope="session")
def subgraph(wms_subgraph_url: str) -> Iterator[httpx.Client]:
    """A client of the session's WMS subgraph."""
    with httpx.Client(base_url=wms_subgraph_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def wms_admin(wms_system_url: str) -> Iterator[httpx.Client]:
    """A client of the session's WMS (its REST API and its ``/_admin`` endpoints)."""
    with httpx.Client(base_url=wms_system_url, timeout=30) as client:
        yield client


@pytest.fixture
def wms_faults(wms_admin: httpx.Client) -> Iterator[SetFaults]:
    """``set_faults(error_rate=1.0, ...)`` on the shared WMS; the defaults come back afterwards."""

    def set_faults(**faults: Any) -> None:
        response = wms_admin.put("/_admin/faults", json=faults)
        assert response.status_code == 200, response.text

    try:
        yield set_faults
    finally:
        response = wms_admin.put("/_admin/faults", json=FaultSettings().model_dump(mode="json"))
        assert response.status_code == 200, response.text
