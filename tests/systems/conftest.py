"""Fixtures of the system tests: a client of each of the session's systems.

A module whose tests write defines its own ``erp`` or ``wms`` over a private copy
(``tests.systems.harness.private_system``), so the session's systems stay as seeded.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="module")
def crm(crm_system_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=crm_system_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def erp(erp_system_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=erp_system_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def wms(wms_system_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=wms_system_url, timeout=10) as client:
        yield client
