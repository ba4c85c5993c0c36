"""The real PostgreSQL the tests run against (127.0.0.1:5432, database ``test``), and tables
of one test's own that are dropped when it ends (a conftest imports the fixtures it uses)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

__all__ = ["POSTGRES_URL", "postgres_table", "postgres_url", "require_postgres"]

POSTGRES_URL = os.environ.get(
    "CROSSDOCK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def require_postgres(url: str = POSTGRES_URL) -> str:
    """``url`` if PostgreSQL answers there; else the test fails (never skips, in CI or not)
    saying what to do."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {url} ({str(exc).strip()}). These tests need a "
            "real server: run `bash scripts/ensure-postgres` (scripts/test does) and try again.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL's URL; fails the test when it does not answer."""
    return require_postgres()


@pytest.fixture
def postgres_table(postgres_url: str) -> Iterator[str]:
    """A table name no other test uses; the table is dropped when the test ends."""
    name = f"outbox_test_{uuid.uuid4().hex[:16]}"
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
