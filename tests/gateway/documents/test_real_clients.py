"""The real clients: Apollo Client's persisted-queries link and urql's persisted exchange, in
Node, against a gateway on loopback (``real_clients.cjs``).

Their npm packages, at pinned versions, are installed once into a folder under the system's
temporary directory (never into the repository): npm's registry is reachable wherever these
tests run. Each client queries twice, from a fresh client each time, as two page loads would.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, print_ast

from tests.gateway.documents.conftest import (
    ORDER,
    ORDER_DATA,
    ORDER_VARIABLES,
    GatewayServer,
    apollo_manifest,
    metrics,
    sha256,
)

PACKAGES = (
    "@apollo/client@3.14.1",
    "graphql@16.15.0",
    "@urql/core@6.0.3",
    "@urql/exchange-persisted@5.0.1",
)
SCRIPT = Path(__file__).with_name("real_clients.cjs")
# What the clients send: graphql-js's print of the query, which graphql-core's matches.
APOLLO_QUERY = print_ast(parse(ORDER))
URQL_QUERY = print_ast(parse("query Seq { lastSeq }"))


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The clients' packages, installed on first use; fails (never skips) without npm."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.fail("these tests run Node clients: install nodejs and npm", pytrace=False)
    version = hashlib.sha256(" ".join(PACKAGES).encode()).hexdigest()[:12]
    home = Path(tempfile.gettempdir()) / f"crossdock-node-clients-{version}"
    if not (home / "node_modules" / ".complete").exists():
        staging = Path(tempfile.mkdtemp(prefix="crossdock-node-clients-"))
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(staging), *PACKAGES],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"npm install failed: {result.stderr[-2000:]}", pytrace=False)
        (staging / "node_modules" / ".complete").touch()
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return home / "node_modules"


def run_clients(node_modules: Path, url: str) -> dict[str, list[dict[str, Any]]]:
    queries = {"apollo": [APOLLO_QUERY, ORDER_VARIABLES], "urql": [URQL_QUERY, {}]}
    result = subprocess.run(
        ["node", str(SCRIPT), url, json.dumps(queries)],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out: dict[str, list[dict[str, Any]]] = json.loads(result.stdout)
    return out


def hash_only_get(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The GET both clients send first: the hash alone, objects as JSON parameters."""
    return {
        "method": "GET",
        "params": {
            "operationName": parse(query).definitions[0].name.value,  # type: ignore[attr-defined]
            "variables": json.dumps(variables, separators=(",", ":")),
            "persistedQuery": {"version": 1, "sha256Hash": sha256(query)},
        },
        "body": None,
    }


def sent(request: dict[str, Any]) -> dict[str, Any]:
    """A recorded request with its ``extensions`` parameter decoded (key order differs)."""
    params = dict(request["params"])
    if "extensions" in params:
        params["persistedQuery"] = json.loads(params.pop("extensions"))["persistedQuery"]
    return {**request, "params": params}


def check_page_loads(
    loads: list[dict[str, Any]], query: str, variables: dict[str, Any], data: Any
) -> list[dict[str, Any]]:
    """Both loads got ``data``; the first sent the hash alone, then the text (the requests
    after the first are returned); the second sent only the hash."""
    first, second = loads
    assert (first["data"], first["errors"]) == (data, None)
    assert sent(first["requests"][0]) == hash_only_get(query, variables)
    registrations = [sent(r) for r in first["requests"][1:]]
    assert (second["data"], second["errors"]) == (data, None)
    assert [sent(r) for r in second["requests"]] == [hash_only_get(query, variables)]
    return registrations


def test_apollo_client_and_urql_register_then_send_only_the_hash(
    node_modules: Path, gateway_server: GatewayServer
) -> None:
    with gateway_server() as url:
        out = run_clients(node_modules, url)
        counters = metrics(url)
    # Apollo Client sends the text by POST, with the hash.
    (register,) = check_page_loads(out["apollo"], APOLLO_QUERY, ORDER_VARIABLES, ORDER_DATA)
    assert register["method"] == "POST"
    assert register["body"]["query"] == APOLLO_QUERY
    assert register["body"]["extensions"] == {
        "persistedQuery": {"version": 1, "sha256Hash": sha256(APOLLO_QUERY)}
    }
    # urql sends it by GET too (``preferGetForPersistedQueries``), marked ``miss: true``, and
    # dispatches that retry twice, aborting one (a quirk of urql 6, not of the gateway).
    registers = check_page_loads(out["urql"], URQL_QUERY, {}, {"lastSeq": 0})
    assert 1 <= len(registers) <= 2
    for register in registers:
        assert register["method"] == "GET"
        assert register["params"]["query"] == URQL_QUERY
        assert register["params"]["persistedQuery"]["miss"] is True
    assert (counters["apq_misses"], counters["apq_hits"]) == (2, 2)
    assert 2 <= counters["apq_registrations"] <= 3


def test_apollo_client_runs_by_hash_on_an_enforcing_gateway(
    node_modules: Path, gateway_server: GatewayServer, tmp_path: Path
) -> None:
    # The manifest Apollo's generator would write for this app: ids are the bodies' sha256,
    # so the link's first GET is answered from the manifest, with nothing to register.
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Order": APOLLO_QUERY})
    with gateway_server(trusted_documents="enforce", manifest=manifest) as url:
        out = run_clients(node_modules, url)
        counters = metrics(url)
    for load in out["apollo"]:
        assert (load["data"], load["errors"]) == (ORDER_DATA, None)
        assert [r["method"] for r in load["requests"]] == ["GET"]
    # urql's query is not in the manifest: refused, and its text is not taken either.
    for load in out["urql"]:
        assert load["data"] is None
        assert load["errors"] == [
            f"Persisted query '{sha256(URQL_QUERY)}' not found in the persisted query list"
        ]
    assert counters["trusted_document_hits"] == 2
    assert counters["apq_registrations"] == 0
