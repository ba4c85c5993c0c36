"""Fixtures of every subgraph's tests: clients of the session's subgraphs and systems, faults.

The servers are the session's (``crm_subgraph_url``, ``crm_system_url`` …, started in
``tests/conftest.py``); fault settings always come back to the defaults after a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from crossdock.settings import Settings
from gateway.auth import AuthSettings
from subgraphs.apps import SubgraphName
from systems.world_records import World
from tests.subgraphs.identity import Customer, Roles, customers
from tests.support.graphql import SetFaults, fault_setter
from tests.support.subgraphs import own_subgraph
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer


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


# Identity: the session's subgraphs run with auth off, as `crossdock up` does; these run
# apart with auth on, verifying the tokens of one test issuer (its JWKS as a file).


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    """The identity provider of the subgraphs' identity tests."""
    return TestIssuer()


@pytest.fixture(scope="session")
def auth(issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory) -> AuthSettings:
    """Auth on, with ``issuer``'s keys."""
    jwks = issuer.jwks_file(tmp_path_factory.mktemp("jwks"))
    return AuthSettings(jwks=str(jwks), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)


@pytest.fixture(scope="session")
def xy(world: World) -> tuple[Customer, Customer]:
    """Customers X (the caller, in the identity tests) and Y (the one it probes)."""
    return customers(world)


@pytest.fixture(scope="session")
def roles(issuer: TestIssuer, xy: tuple[Customer, Customer]) -> Roles:
    """Tokens of customer X and of staff."""
    return Roles(issuer, xy[0])


def _guarded(name: SubgraphName) -> Callable[..., Iterator[httpx.Client]]:
    def guarded(settings: Settings, auth: AuthSettings) -> Iterator[httpx.Client]:
        with own_subgraph(name, settings, auth=auth) as client:
            yield client

    guarded.__doc__ = f"A client of a {name} subgraph of its own, with auth on."
    return pytest.fixture(scope="session")(guarded)


crm_guarded = _guarded("crm")
erp_guarded = _guarded("erp")
wms_guarded = _guarded("wms")


@pytest.fixture(scope="session")
def world_orders_of(world: World) -> dict[str, list[str]]:
    """Every account's order ids, by account id."""
    orders: dict[str, list[str]] = {}
    for order in world.orders:
        orders.setdefault(order.account_id, []).append(order.id)
    return orders
