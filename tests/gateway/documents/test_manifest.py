"""Manifests as Apollo's and Relay's tooling write them, and every bad one a one-line error at
start: from the loader, from ``create_app``, and from ``crossdock gateway`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.documents import ManifestError, PersistedQuerySettings, load_manifest, normal_form
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.documents.conftest import ORDER, apollo_manifest, relay_manifest, sha256
from tests.gateway.subscription_federation import Federation

FRAGMENTS = (
    "query Q { order(id: 1) { ...A ...B } } "
    "fragment A on Order { id } fragment B on Order { total }"
)


def write(path: Path, content: Any) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_apollo_manifest(tmp_path: Path) -> None:
    manifest = load_manifest(apollo_manifest(tmp_path / "m.json", {"Order": ORDER}))
    assert manifest.format == "apollo"
    assert manifest.body(sha256(ORDER)) == ORDER
    assert manifest.body("other") is None
    assert manifest.allows(ORDER)


def test_relay_manifest(tmp_path: Path) -> None:
    manifest = load_manifest(relay_manifest(tmp_path / "m.json", {"a1b2": ORDER}))
    assert manifest.format == "relay"
    assert manifest.body("a1b2") == ORDER
    assert len(manifest) == 1


def test_bodies_match_as_apollo_router_matches_them(tmp_path: Path) -> None:
    manifest = load_manifest(relay_manifest(tmp_path / "m.json", {"q": FRAGMENTS}))
    moved = "fragment B on Order { total } # comment\n query Q { order(id: 1) { ...A, ...B } }\n"
    assert manifest.allows(moved + "fragment A on Order { id }")
    assert not manifest.allows(FRAGMENTS.replace("...A ...B", "...B ...A"))
    assert not manifest.allows("}}}")
    assert normal_form("type T { a: Int }") is None  # not an executable document


BAD = {
    "not JSON": ("{", "not JSON: "),
    "not an object": ([ORDER], "a manifest is a JSON object"),
    "other format": (
        {"format": "graphql-codegen", "operations": []},
        "unknown \"format\" 'graphql-codegen'",
    ),
    "other version": (
        {"format": "apollo-persisted-query-manifest", "version": 2, "operations": []},
        'unsupported "version" 2 (expected 1)',
    ),
    "operations not a list": (
        {"format": "apollo-persisted-query-manifest", "version": 1, "operations": {}},
        '"operations" must be a list',
    ),
    "an operation without a body": (
        {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "x"}]},
        'operations[0] (id x) needs a non-empty string "body"',
    ),
    "an unknown type": (
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": "x", "body": ORDER, "type": "fetch"}],
        },
        "operations[0] (id x) has unknown \"type\" 'fetch'",
    ),
    "an id with two bodies": (
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": "x", "body": ORDER}, {"id": "x", "body": "{ lastSeq }"}],
        },
        "operations[1]: id x is listed with two different bodies",
    ),
    "a relay value that is not text": ({"x": 1}, "entry 'x' is not a query text"),
    "a body that does not parse": (
        {"x": "query {"},
        "the body of id x does not parse: Syntax Error: Expected Name, found <EOF>.",
    ),
    "no operations": ({}, "it lists no operations"),
}


@pytest.mark.parametrize("content, problem", BAD.values(), ids=BAD.keys())
def test_a_bad_manifest_is_one_line_naming_the_file(
    content: Any, problem: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "m.json", content)
    with pytest.raises(ManifestError) as raised:
        load_manifest(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"trusted-documents manifest (persisted_queries.manifest) {path}: ")
    assert problem in message


def test_a_missing_manifest_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"m\.json: cannot read it: No such file or directory$"):
        load_manifest(tmp_path / "m.json")


def test_the_app_does_not_start_on_a_bad_manifest(federation: Federation, tmp_path: Path) -> None:
    options = PersistedQuerySettings(trusted_documents="enforce", manifest=tmp_path / "m.json")
    with pytest.raises(ManifestError):
        create_app(Gateway(federation.supergraph), GatewaySettings(persisted_queries=options))


def test_log_and_enforce_need_a_manifest() -> None:
    with pytest.raises(ValidationError, match='trusted_documents="enforce" needs a manifest'):
        PersistedQuerySettings(trusted_documents="enforce")
    assert PersistedQuerySettings(trusted_documents="off").manifest is None


def test_crossdock_gateway_reports_a_bad_manifest_in_one_line(tmp_path: Path) -> None:
    manifest = write(tmp_path / "m.json", {"format": "apollo-persisted-query-manifest"})
    env = {
        **os.environ,
        "CROSSDOCK_GATEWAY__PERSISTED_QUERIES__TRUSTED_DOCUMENTS": "enforce",
        "CROSSDOCK_GATEWAY__PERSISTED_QUERIES__MANIFEST": str(manifest),
    }
    supergraph = Path(__file__).parents[3] / "schema" / "supergraph.graphql"
    result = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "gateway", "--supergraph", str(supergraph)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    # Our supergraph carries auth directives: with auth off, a warning says so first.
    *_, last = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert last + "\n" == (
        "crossdock: invalid configuration: gateway.persisted_queries: trusted-documents manifest "
        f'(persisted_queries.manifest) {manifest}: unsupported "version" None (expected 1)\n'
    )


def test_crossdock_gateway_reports_a_bad_redis_url_in_one_line() -> None:
    env = {**os.environ, "REDIS_URL": "notaurl"}
    supergraph = Path(__file__).parents[3] / "schema" / "supergraph.graphql"
    result = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "gateway", "--supergraph", str(supergraph)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        "crossdock: invalid configuration: redis_url (REDIS_URL): Redis URL must specify"
    )
    assert result.stderr.count("\n") == 1
