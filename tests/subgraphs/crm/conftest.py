"""Fixtures: clients of the CRM subgraph and of the CRM, and fault injection that always undoes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crossdock.settings import FaultSettings
from tests.subgraphs.crm.graphql import SetFaults


@pytest.fixture(scope="session")
def subgraph(crm_subgraph_url: str) -> Iterator[httpx.Client]:
    """A client of the session's CRM subgraph."""
    with httpx.Client(base_url=crm_subgraph_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def crm_admin(crm_system_url: str) -> Iterator[httpx.Client]:
    """A client of the session's CRM (its REST API and its ``/_admin`` endpoints)."""
    with httpx.Client(base_url=crm_system_url, timeout=30) as client:
        yield client


@pytest.fixture
def crm_faults(crm_admin: httpx.Client) -> Iterator[SetFaults]:
    """``set_faults(error_rate=1.0, ...)`` on the shared CRM; the defaults come back afterwards."""

    def set_faults(**faults: Any) -> None:
        response = crm_admin.put("/_admin/faults", json=faults)
        assert response.status_code == 200, response.text

    try:
        yield set_faults
    finally:
        response = crm_admin.put("/_admin/faults", json=FaultSettings().model_dump(mode="json"))
        assert response.status_code == 200, response.text
