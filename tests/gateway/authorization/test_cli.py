"""``crossdock gateway`` refuses, in one line and without a traceback, to serve the auth
directives unenforced in production, or with a policy hook that does not load."""

from __future__ import annotations

from pathlib import Path

from tests.crossdock.test_config_cli import crossdock, one_line_refusal
from tests.gateway.authorization.conftest import APOLLO
from tests.gateway.documents.conftest import apollo_manifest

SUPERGRAPH = APOLLO / "directives" / "supergraph.graphql"


def test_production_with_auth_off_is_one_line(tmp_path: Path) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Q": "query Q { public }"})
    (tmp_path / "crossdock.toml").write_text(
        f'[gateway]\nproduction = true\n[gateway.persisted_queries]\nmanifest = "{manifest}"\n'
    )
    line = one_line_refusal(crossdock("gateway", "--supergraph", str(SUPERGRAPH), cwd=tmp_path))
    assert line == (
        "crossdock: invalid configuration: auth: the supergraph applies @authenticated, "
        "@policy, @requiresScopes but auth is off (set auth.jwks): production will not serve "
        "them unenforced"
    )


def test_a_policy_hook_that_does_not_load_is_one_line(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text('{"keys": []}')
    line = one_line_refusal(
        crossdock(
            "gateway",
            "--supergraph",
            str(SUPERGRAPH),
            cwd=tmp_path,
            env={
                "CROSSDOCK_AUTH__JWKS": str(jwks),
                "CROSSDOCK_AUTH__POLICY_HOOK": "nowhere:decide",
            },
        )
    )
    assert line.startswith(
        "crossdock: invalid configuration: auth: "
        "auth.policy_hook 'nowhere:decide': cannot import nowhere"
    )
