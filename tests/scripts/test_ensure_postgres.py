"""``scripts/ensure-postgres``: with the server answering it changes nothing, prints nothing,
and leaves the database the tests use in place (made if it was missing)."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.postgres import POSTGRES_URL, require_postgres

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-postgres"


def test_an_answering_server_gets_its_missing_database_and_nothing_is_printed() -> None:
    require_postgres()
    name = f"crossdock_ensure_{uuid.uuid4().hex[:12]}"
    try:
        done = subprocess.run(
            ["bash", str(SCRIPT)],
            env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "CROSSDOCK_POSTGRES_DATABASE": name},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (done.returncode, done.stdout) == (0, ""), done.stderr
        assert f"creating the database {name}" in done.stderr
        again = subprocess.run(
            ["bash", str(SCRIPT)],
            env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "CROSSDOCK_POSTGRES_DATABASE": name},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
