"""TokenVerifier over real JWKS sources: a file and a URL served on loopback, real keys.

Rotation without restart, one fetch for many concurrent unknown kids, the last keys kept
through a failing identity provider, a file re-read when it changes, and every forgery
refused."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from gateway.auth import AuthSettings, JwksError, TokenVerifier, Unauthenticated, bearer_token
from tests.gateway.auth.hostile import hostile_tokens, unsigned
from tests.support.ports import reserve_port
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, SigningKey, TestIssuer
from tests.support.waiting import wait_until_async


def settings(jwks: str, **overrides: object) -> AuthSettings:
    values: dict[str, object] = {"leeway": 1.0, **overrides}
    return AuthSettings(jwks=jwks, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, **values)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
async def test_a_good_token_gives_its_identity(tmp_path: Path, algorithm: str) -> None:
    issuer = TestIssuer(algorithm=algorithm)
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    identity = await verifier.verify(issuer.token(subject="ann", scope="orders:read staff"))
    assert identity.authenticated
    assert identity.subject == "ann"
    assert identity.scopes == {"orders:read", "staff"}
    assert identity.expires_at is not None and identity.expires_at > time.time()
    await verifier.aclose()


@pytest.mark.parametrize("kind", list(hostile_tokens(TestIssuer())))
async def test_hostile_tokens_are_refused(tmp_path: Path, kind: str) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    with pytest.raises(Unauthenticated):
        await verifier.verify(hostile_tokens(issuer)[kind])


async def test_a_token_whose_exp_is_a_string_is_not_served_past_it(tmp_path: Path) -> None:
    """The attack: an ``exp`` written as a string of digits. PyJWT checks it once, but the
    identity would carry no expiry, so the remembered token (and a socket opened with it)
    would outlive it. It is refused outright instead, as a JSON NumericDate must be a number."""
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path)), leeway=0))
    for exp in (str(int(time.time()) + 1), f"{time.time() + 1}", [int(time.time()) + 1]):
        with pytest.raises(Unauthenticated, match="invalid"):
            await verifier.verify(issuer.token(exp=exp))
    await verifier.aclose()


@pytest.mark.parametrize("separator", ["\t", "\n", "\u00a0", "\u2003", "\u3000"])
async def test_only_a_space_separates_scopes(tmp_path: Path, separator: str) -> None:
    """RFC 6749 scopes are separated by a space (%x20) alone. Split on any whitespace, a
    scope "orders:read<TAB>staff" (or with a no-break space), a single odd scope an identity
    provider may let a client ask for, would grant ``staff``."""
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    identity = await verifier.verify(issuer.token(scope=f"orders:read{separator}staff"))
    assert "staff" not in identity.scopes
    assert identity.scopes == {f"orders:read{separator}staff"}
    listed = await verifier.verify(issuer.token(scope=None, scp=f"orders:read{separator}staff"))
    assert "staff" not in listed.scopes
    spaced = await verifier.verify(issuer.token(scope="  orders:read   accounts:read "))
    assert spaced.scopes == {"orders:read", "accounts:read"}
    await verifier.aclose()


async def test_a_header_naming_another_key_type_is_refused(tmp_path: Path) -> None:
    """RS256 claimed for an EC key's kid: the key does not fit the algorithm, so no signature
    check is even tried with it."""
    issuer = TestIssuer(algorithm="ES256")
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    genuine = issuer.token()
    _, body, signature = genuine.split(".")
    forged = unsigned({"alg": "RS256", "kid": issuer.current.kid}, {}, b"x").split(".")
    with pytest.raises(Unauthenticated, match="not signed by a known key"):
        await verifier.verify(f"{forged[0]}.{body}.{signature}")


async def test_the_leeway_allows_a_little_clock_skew(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path)), leeway=30.0))
    identity = await verifier.verify(issuer.token(ttl=-10))
    assert identity.subject == "user-1"
    with pytest.raises(Unauthenticated, match="expired"):
        await verifier.verify(issuer.token(ttl=-60))


def test_a_missing_jwks_file_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(JwksError, match="No such file"):
        TokenVerifier(settings(str(tmp_path / "nowhere.json")))


@pytest.mark.parametrize("text", ["{not json", '{"kays": []}', "[1, 2]"])
def test_a_file_that_is_not_a_jwks_fails_at_start(tmp_path: Path, text: str) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(text)
    with pytest.raises(JwksError, match="cannot use"):
        TokenVerifier(settings(str(path)))


async def test_a_rotated_file_is_read_again_without_restart(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    old = issuer.current
    assert (await verifier.verify(issuer.token())).authenticated
    issuer.rotate()
    assert (await verifier.verify(issuer.token(subject="new-key"))).subject == "new-key"
    issuer.retire(old.kid)
    with pytest.raises(Unauthenticated, match="known key"):
        await verifier.verify(issuer.token(key=old))


async def test_a_broken_rewrite_keeps_the_files_last_keys(tmp_path: Path) -> None:
    issuer = TestIssuer()
    path = issuer.jwks_file(tmp_path)
    verifier = TokenVerifier(settings(str(path)))
    path.write_text("{ half a file")
    assert (await verifier.verify(issuer.token())).authenticated


async def test_a_url_is_fetched_once_and_cached() -> None:
    issuer = TestIssuer()
    with issuer.serve_jwks() as url:
        verifier = TokenVerifier(settings(url))
        await verifier.start()
        for _ in range(5):
            assert (await verifier.verify(issuer.token())).authenticated
        assert issuer.fetches == 1
        await verifier.aclose()


async def test_rotation_many_concurrent_unknown_kids_share_one_fetch() -> None:
    issuer = TestIssuer()
    with issuer.serve_jwks() as url:
        verifier = TokenVerifier(settings(url, jwks_min_refresh_interval=0))
        await verifier.start()
        assert issuer.fetches == 1
        issuer.rotate()
        tokens = [issuer.token(subject=f"u{i}") for i in range(50)]
        identities = await asyncio.gather(*(verifier.verify(t) for t in tokens))
        assert [i.subject for i in identities] == [f"u{i}" for i in range(50)]
        assert issuer.fetches == 2
        await verifier.aclose()


async def test_forged_kids_cannot_make_the_gateway_hammer_the_idp() -> None:
    issuer = TestIssuer()
    stranger = TestIssuer()
    with issuer.serve_jwks() as url:
        verifier = TokenVerifier(settings(url, jwks_min_refresh_interval=60))
        await verifier.start()
        for _ in range(20):
            with pytest.raises(Unauthenticated, match="known key"):
                await verifier.verify(stranger.token())
        # The start's fetch only: the unknown kid came within the minimum interval.
        assert issuer.fetches == 1
        await verifier.aclose()


async def test_the_schedule_refreshes_in_the_background() -> None:
    issuer = TestIssuer()
    with issuer.serve_jwks() as url:
        verifier = TokenVerifier(settings(url, jwks_refresh_interval=0.2))
        await verifier.start()
        token = issuer.token()

        async def refreshed() -> bool:
            await verifier.verify(token)
            return issuer.fetches >= 2

        await wait_until_async(refreshed, timeout=10, what="a scheduled JWKS refresh")
        await verifier.aclose()


async def test_an_unreachable_url_at_start_is_a_warning_then_401_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    issuer = TestIssuer()
    dead = f"http://127.0.0.1:{reserve_port()}/jwks.json"
    verifier = TokenVerifier(settings(dead, jwks_min_refresh_interval=0, jwks_timeout=1))
    await verifier.start()
    assert "did not answer at start" in caplog.text
    with pytest.raises(Unauthenticated, match="known key"):
        await verifier.verify(issuer.token())
    await verifier.aclose()


async def test_a_failing_idp_keeps_the_last_keys(caplog: pytest.LogCaptureFixture) -> None:
    issuer = TestIssuer()
    with issuer.serve_jwks() as url:
        verifier = TokenVerifier(settings(url, jwks_refresh_interval=0.05))
        await verifier.start()
    token = issuer.token()

    async def refresh_failed() -> bool:
        # Each verification past the interval tries a refresh, which cannot connect now.
        assert (await verifier.verify(token)).authenticated
        return "fetch failed, keeping the last keys" in caplog.text

    await wait_until_async(refresh_failed, timeout=10, what="a failed JWKS refresh")
    assert (await verifier.verify(token)).authenticated
    await verifier.aclose()


@pytest.mark.parametrize(
    ("header", "token"), [(None, None), ("Bearer abc", "abc"), ("bearer  abc ", "abc")]
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "abc"])
def test_other_schemes_are_refused(header: str) -> None:
    with pytest.raises(Unauthenticated):
        bearer_token(header)


def test_symmetric_keys_in_a_jwks_are_never_used(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "s"}]}))
    verifier = TokenVerifier(settings(str(path)))
    token = unsigned({"alg": "HS256", "kid": "s"}, {"exp": time.time() + 60})
    with pytest.raises(Unauthenticated):
        asyncio.run(verifier.verify(token))


async def test_a_remembered_token_is_refused_once_its_key_is_retired(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    old = issuer.current
    token = issuer.token()
    assert (await verifier.verify(token)).authenticated
    assert (await verifier.verify(token)).authenticated  # answered from memory
    issuer.rotate()
    issuer.retire(old.kid)
    with pytest.raises(Unauthenticated, match="known key"):
        await verifier.verify(token)


async def test_a_remembered_token_still_expires(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path)), leeway=0))
    token = issuer.token(ttl=1)
    assert (await verifier.verify(token)).authenticated

    async def refused() -> bool:
        try:
            await verifier.verify(token)
        except Unauthenticated as error:
            return "expired" in str(error)
        return False

    await wait_until_async(refused, timeout=10, what="the token to expire")


class CountingSource:
    """The verifier's real JWKS source, counting the keys asked of it: one per signature
    check (a remembered answer asks for none)."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.inner = verifier.source
        self.asked = 0

    def generation(self) -> int:
        return self.inner.generation()

    async def start(self) -> None:
        await self.inner.start()

    async def key(self, kid: str | None, algorithm: str) -> object:
        self.asked += 1
        return await self.inner.key(kid, algorithm)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_replayed_forgery_is_refused_without_a_second_signature_check(
    tmp_path: Path,
) -> None:
    issuer = TestIssuer()
    jwks = str(issuer.jwks_file(tmp_path))
    counting = CountingSource(TokenVerifier(settings(jwks)))
    verifier = TokenVerifier(settings(jwks), source=counting)
    # Signed by a key of the same kid that is not the issuer's: the signature does not hold.
    forger = TestIssuer(keys=[SigningKey.generate(kid=issuer.current.kid)])
    forged = forger.token()
    for _ in range(3):
        with pytest.raises(Unauthenticated, match="invalid"):
            await verifier.verify(forged)
    assert counting.asked == 1
    # The clients' tokens are still verified, and remembered apart from the refusals.
    assert (await verifier.verify(issuer.token(subject="ann"))).subject == "ann"
    await verifier.aclose()


async def test_a_token_of_a_key_not_yet_published_is_accepted_once_it_is(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    upcoming = SigningKey.generate()
    token = issuer.token(key=upcoming)
    with pytest.raises(Unauthenticated, match="known key"):
        await verifier.verify(token)
    issuer.publish(upcoming)
    assert (await verifier.verify(token)).authenticated
    await verifier.aclose()


async def test_a_token_not_valid_yet_is_accepted_once_it_is(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path)), leeway=0))
    token = issuer.token(not_before=time.time() + 1.5)
    with pytest.raises(Unauthenticated, match="not valid yet"):
        await verifier.verify(token)

    async def accepted() -> bool:
        try:
            return (await verifier.verify(token)).authenticated
        except Unauthenticated:
            return False

    await wait_until_async(accepted, timeout=10, what="the token to become valid")
    await verifier.aclose()


async def test_a_refusal_is_forgotten_when_the_keys_change(tmp_path: Path) -> None:
    issuer = TestIssuer()
    verifier = TokenVerifier(settings(str(issuer.jwks_file(tmp_path))))
    # A key of the issuer's kid, published in its place later (the IdP replaced the key).
    replacement = SigningKey.generate(kid=issuer.current.kid)
    token = TestIssuer(keys=[replacement]).token()
    with pytest.raises(Unauthenticated, match="invalid"):
        await verifier.verify(token)
    issuer.replace_keys([replacement])
    assert (await verifier.verify(token)).authenticated
    await verifier.aclose()
