"""``crossdock compose`` as a user runs it: from files, from a running subgraph, and on errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import strawberry
from graphql import parse
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from tests.support.servers import serve

COMMAND = [sys.executable, "-m", "crossdock.cli", "compose"]


def compose(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, check=False
    )


@strawberry.federation.type(keys=["id"])
class Account:
    id: strawberry.ID
    name: str


@strawberry.type
class Query:
    @strawberry.field
    def account(self, id: strawberry.ID) -> Account | None:
        return Account(id=id, name="Acme")


def test_composes_files_and_a_running_subgraph(tmp_path: Path) -> None:
    orders = tmp_path / "orders.graphql"
    orders.write_text(
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
        'type Account @key(fields: "id") { id: ID! orderCount: Int! }\n'
    )
    schema = strawberry.federation.Schema(query=Query)
    app = Starlette(routes=[Route("/graphql", GraphQL(schema))])
    out = tmp_path / "supergraph.graphql"
    with serve(app) as url:
        result = compose(
            "--subgraph", f"crm={url}/graphql",
            "--subgraph", f"orders={orders}@http://127.0.0.1:4004/graphql",
            "--out", str(out),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    supergraph = out.read_text()
    parse(supergraph)
    assert f'CRM @join__graph(name: "crm", url: "{url}/graphql")' in supergraph
    assert 'ORDERS @join__graph(name: "orders", url: "http://127.0.0.1:4004/graphql")' in supergraph
    assert "orderCount: Int! @join__field(graph: ORDERS)" in supergraph


def test_composition_errors_name_subgraph_and_coordinate(tmp_path: Path) -> None:
    bad = tmp_path / "bad.graphql"
    bad.write_text('type T @key(fields: "nope") { id: ID! } type Query { t: T }')
    result = compose("--subgraph", f"bad={bad}@http://127.0.0.1:9/graphql")
    assert result.returncode == 1
    assert "KEY_INVALID_FIELDS" in result.stderr
    assert "(subgraph bad, T)" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_subgraph_is_a_clear_error() -> None:
    result = compose("--subgraph", "gone=http://127.0.0.1:9/graphql")
    assert result.returncode == 1
    assert "SUBGRAPH_UNREACHABLE" in result.stderr and "gone" in result.stderr


def test_malformed_subgraph_argument_is_refused() -> None:
    result = compose("--subgraph", "no-url-here")
    assert result.returncode == 2
    assert "NAME=URL or NAME=FILE@URL" in result.stderr


def test_unwritable_output_and_impossible_urls_are_clear_errors(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "supergraph.graphql"
    result = compose("--out", str(missing))
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    result = compose("--subgraph", "x=http://127.0.0.1:99999/graphql")
    assert result.returncode == 2
    assert "impossible port 99999" in result.stderr and "Traceback" not in result.stderr
