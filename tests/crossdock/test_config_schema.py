"""``crossdock config schema``: a valid JSON Schema an editor can check a config file with,
holding every setting, accepting the example file and refusing what start-up refuses."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest

from crossdock.config_keys import dotted, setting_keys
from crossdock.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The schema as the command prints it."""
    result = subprocess.run(
        [sys.executable, "-m", "crossdock.cli", "config", "schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    printed: dict[str, Any] = orjson.loads(result.stdout)
    return printed


def test_it_is_a_valid_json_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.meta.validate(schema)
    assert schema["title"] == "Crossdock configuration"


def test_it_accepts_the_example_file(schema: dict[str, Any]) -> None:
    example = tomllib.loads((ROOT / "crossdock.example.toml").read_text())
    assert list(jsonschema_rs.validator_for(schema).iter_errors(example)) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[gateway]\nmax_dept = 3\n", "Additional properties are not allowed ('max_dept'"),
        ("colour = 'blue'\n", "Additional properties are not allowed ('colour'"),
        ("[ports]\ngateway = 99999\n", "99999 is greater than the maximum of 65535"),
        ("seed = 'seven'\n", '"seven" is not of type "integer"'),
        ("redis_url = 'localhost:6379'\n", '"localhost:6379" is not valid under any of'),
        ("crm_url = 'crm.example'\n", '"crm.example" is not valid under any of'),
        ("[orders]\ncenter_priority = 'ORD1'\n", '"ORD1" is not of type "array"'),
        ("[wms_lifecycle]\nexception_rate = 2.0\n", "2.0 is greater than the maximum of 1.0"),
    ],
)
def test_it_refuses_what_start_up_refuses(schema: dict[str, Any], text: str, error: str) -> None:
    errors = [
        e.message for e in jsonschema_rs.validator_for(schema).iter_errors(tomllib.loads(text))
    ]
    assert len(errors) == 1 and error in errors[0], errors


def _property(schema: dict[str, Any], node: dict[str, Any], name: str) -> dict[str, Any] | None:
    """``name`` under ``node``, through ``$ref`` and ``anyOf`` (an optional table)."""
    candidates = [node, *node.get("anyOf", [])]
    for candidate in candidates:
        if "$ref" in candidate:
            candidate = schema["$defs"][candidate["$ref"].rsplit("/", 1)[1]]
        found: dict[str, Any] | None = candidate.get("properties", {}).get(name)
        if found is not None:
            return found
    return None


def test_every_setting_is_in_it_by_its_name(schema: dict[str, Any]) -> None:
    keys = list(setting_keys(Settings))
    assert ("gateway", "max_depth") in keys and ("wms_lifecycle", "webhook_url") in keys
    missing = []
    for key in keys:
        node: dict[str, Any] | None = schema
        for part in key:
            node = None if node is None else _property(schema, node, str(part))
        if node is None:
            missing.append(dotted(key))
    assert missing == []
    # The file names a setting by its name; REDIS_URL is the environment's word for it.
    assert (
        "REDIS_URL" not in schema["properties"]
        and "CROSSDOCK_REDIS_URL" not in schema["properties"]
    )


def test_descriptions_reach_the_editor(schema: dict[str, Any]) -> None:
    assert (
        schema["properties"]["seed"]["description"] == "seed number of the deterministic demo data"
    )
    gateway = schema["$defs"]["GatewaySettings"]["properties"]
    assert gateway["subgraph_max_response_bytes"]["description"].startswith("a subgraph response")
