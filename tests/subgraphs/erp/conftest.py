"""Fixtures: clients of the ERP subgraph and of the ERP, and fault injection that always undoes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import FaultSettings
from tests.subgraphs.erp.graphql import SetFaults


@pytest.fixture(scope="session")
def erp_graph(erp_subgraph_url: str) -> Iterator[httpx.Client]:
    """A client of the session's ERP subgraph."""
    with httpx.Client(base_url=erp_subgraph_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def erp_admin(erp_system_url: str) -> Iterator[httpx.Client]:
    """A client of the session's ERP (its REST API and its ``/_admin`` endpoints)."""
    with httpx.Client(base_url=erp_system_url, timeout=30) as client:
        yield client


@pytest.fixture
def erp_faults(erp_admin: httpx.Client) -> Iterator[SetFaults]:
    """``set_faults(error_rate=1.0, ...)`` on the shared ERP; the defaults come back afterwards."""

    def set_faults(**faults: Any) -> None:
        response = erp_admin.put("/_admin/faults", json=faults)
        assert response.status_code == 200, response.text

    try:
        yield set_faults
    finally:
        response = erp_admin.put("/_admin/faults", json=FaultSettings().model_dump(mode="json"))
        assert response.status_code == 200, response.text
