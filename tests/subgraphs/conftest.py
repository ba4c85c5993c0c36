"""Fixtures of every subgraph's tests: clients of the session's subgraphs and systems, faults.

The servers are the session's (``crm_subgraph_url``, ``crm_system_url`` …, started in
``tests/conftest.py``); fault settings always come back to the defaults after a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.support.graphql import SetFaults, fault_setter


def _session_client(url_fixture: str, what: str) -> Callable[..., Iterator[httpx.Client]]:
    def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=request.getfixturevalue(url_fixture), timeout=30) as client:
            yield client

    client.__doc__ = f"A client of the session's {what}."
    return pytest.fixture(scope="session")(client)


def _faults(admin_fixture: str, what: str) -> Callable[..., Iterator[SetFaults]]:
    def faults(request: pytest.FixtureRequest) -> Iterator[SetFaults]:
        with fault_setter(request.getfixturevalue(admin_fixture)) as set_faults:
            yield set_faults

    faults.__doc__ = f"``set_faults(error_rate=1.0, ...)`` on the shared {what}; undone after."
    return pytest.fixture(faults)


crm_graph = _session_client("crm_subgraph_url", "CRM subgraph")
erp_graph = _session_client("erp_subgraph_url", "ERP subgraph")
wms_graph = _session_client("wms_subgraph_url", "WMS subgraph")

# The systems' REST APIs and their /_admin endpoints.
crm_admin = _session_client("crm_system_url", "CRM")
erp_admin = _session_client("erp_system_url", "ERP")
wms_admin = _session_client("wms_system_url", "WMS")

crm_faults = _faults("crm_admin", "CRM")
erp_faults = _faults("erp_admin", "ERP")
wms_faults = _faults("wms_admin", "WMS")
