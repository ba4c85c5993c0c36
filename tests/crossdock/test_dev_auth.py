"""The development issuer: ``crossdock token`` mints what ``crossdock up --auth dev`` verifies.

The gateway here is the real app over a real federation on loopback, built from the settings
``--auth dev`` makes; the subgraph's door shows the token arrived verified (it is forwarded
only then)."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from crossdock.cli import _parser, _settings_with_data_dir, _with_dev_auth, main
from crossdock.dev_auth import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from gateway.engine import Gateway
from gateway.server import create_app
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve
from tests.support.tokens import TestIssuer

LATEST = '{ latest(orderId: "o-5") { seq order { total } } }'


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


def mint(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> str:
    assert main(["token", "--data-dir", str(data_dir), *args]) == 0
    return capsys.readouterr().out.strip()


def test_token_prints_a_token_of_the_dev_issuer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    token = mint(
        capsys, tmp_path, "--scope", "orders:read staff", "--account", "001A", "--ttl", "60"
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == DEV_ISSUER and claims["aud"] == DEV_AUDIENCE
    assert claims["scope"] == "orders:read staff"
    assert claims["account_id"] == "001A"
    assert claims["sub"] == "developer"
    assert 55 <= claims["exp"] - claims["iat"] <= 60
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"


def test_the_key_is_private_and_made_once(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first = mint(capsys, tmp_path, "--scope", "orders:read")
    second = mint(capsys, tmp_path, "--scope", "orders:read", "--subject", "ann")
    directory = tmp_path / "dev-auth"
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(directory / "signing-key.pem").st_mode) == 0o600
    kid = jwt.get_unverified_header(first)["kid"]
    assert jwt.get_unverified_header(second)["kid"] == kid == DevIssuer(tmp_path).kid


@pytest.mark.parametrize("ttl", ["0", "-5", "nan", "inf", "soon"])
def test_a_bad_ttl_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, ttl: str
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["token", "--data-dir", str(tmp_path), "--ttl", ttl])
    assert exit_.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_up_auth_dev_verifies_crossdock_token(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, federation: Federation
) -> None:
    token = mint(capsys, tmp_path, "--scope", "orders:read", "--account", "001A")
    args = _parser().parse_args(["up", "--auth", "dev", "--data-dir", str(tmp_path)])
    settings = _with_dev_auth(args, _settings_with_data_dir(args))
    assert settings.auth.jwks == str(tmp_path / "dev-auth" / "jwks.json")
    assert (settings.auth.issuer, settings.auth.audience) == (DEV_ISSUER, DEV_AUDIENCE)
    # Composed into the gateway's and every subgraph's, as the user's own [auth] would be.
    assert settings.gateway.auth == settings.auth == settings.subgraphs.auth
    federation.events.reset()
    with serve(create_app(Gateway(federation.supergraph), settings.gateway)) as url:
        good = httpx.post(
            f"{url}/graphql", json={"query": LATEST}, headers={"authorization": f"Bearer {token}"}
        )
        assert good.status_code == 200, good.text
        assert good.json() == {"data": {"latest": {"seq": 0, "order": {"total": 500}}}}
        assert federation.events.http_seen[-1]["authorization"] == f"Bearer {token}"
        # A token of any other key (even one claiming the dev issuer) is refused.
        stranger = TestIssuer(issuer=DEV_ISSUER, audience=DEV_AUDIENCE).token()
        bad = httpx.post(
            f"{url}/graphql",
            json={"query": LATEST},
            headers={"authorization": f"Bearer {stranger}"},
        )
        assert bad.status_code == 401
        assert bad.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_auth_is_never_on_by_default(tmp_path: Path) -> None:
    args = _parser().parse_args(["up", "--data-dir", str(tmp_path)])
    assert args.auth is None
    settings = _settings_with_data_dir(args)
    assert not settings.auth.enabled and not settings.gateway.auth.enabled


def test_auth_dev_is_refused_in_production(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": []})
    )
    config = tmp_path / "crossdock.toml"
    config.write_text(
        f'[gateway]\nproduction = true\n[gateway.persisted_queries]\nmanifest = "{manifest}"\n'
    )
    code = main(["up", "--auth", "dev", "--config", str(config), "--data-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "crossdock: invalid configuration: --auth: dev tokens are refused with "
        "gateway.production on"
    )
    assert not (tmp_path / "dev-auth").exists()


def test_a_missing_jwks_file_is_one_line_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    with running_federation() as fed:
        from tests.gateway.subscription_federation import supergraph_sdl

        supergraph.write_text(supergraph_sdl(fed.urls))
    monkeypatch.setenv("CROSSDOCK_AUTH__JWKS", str(tmp_path / "nowhere.json"))
    code = main(["gateway", "--supergraph", str(supergraph)])
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("crossdock: invalid configuration: auth.jwks (CROSSDOCK_AUTH__JWKS): ")
    assert "nowhere.json" in line
