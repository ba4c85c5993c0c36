"""Bearer tokens checked against a JWKS: signature, algorithm, issuer, audience, times.

The algorithm is read from the token's header only to choose among the allow-listed ones
(``none`` and HS* never are), and the key must be of that algorithm's type: a token "signed"
with HS256 using a published public key as the secret, or claiming RS256 for an EC key, is
refused before any signature check. ``exp`` is required; ``exp`` and ``nbf`` get ``leeway``
seconds of clock skew.

A client sends the same token with every request until it expires, so a verified token is
remembered (bounded, least recently used first) and answered again without its signature
check, for as long as it has not expired and the keys have not changed since: a key retired
from the JWKS stops its tokens at the next refresh, cached or not.

A refused token is remembered too (in a memory of its own, so a flood of forgeries cannot push
the clients' verified tokens out), and refused again without a second signature check while
the keys stay the same: a forgery replayed in a loop costs a lookup, not a verification. Only
what no time can mend is remembered: a token signed by a key not (yet) in the JWKS is checked
again, so that it still makes the verifier look for a new key, and one not valid yet is
checked again, as it will be valid soon.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt

from gateway._lru import SizedLru
from gateway.auth._identity import Identity
from gateway.auth._jwks import JwksSource, KeyNotFound, jwks_source
from gateway.auth._settings import AuthSettings

__all__ = ["TokenVerifier", "Unauthenticated", "bearer_token"]

# Tokens remembered once verified: a few thousand clients' worth, a few megabytes.
_CACHED_TOKENS = 4096
_CACHED_BYTES = 16 << 20
# Refused tokens remembered: as many, in a quarter of the room (a refusal keeps only its words).
_REFUSED_BYTES = 4 << 20


class Unauthenticated(Exception):
    """A token that cannot be trusted; the message says why, in words fit for its sender.

    ``lasting``: whether the same token would be refused again under the same keys."""

    def __init__(self, message: str, *, lasting: bool = False) -> None:
        super().__init__(message)
        self.lasting = lasting


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` value; None without one.

    Raises :class:`Unauthenticated` for an ``Authorization`` value of another scheme or
    without a token: a client that sends credentials must not be served as anonymous.
    """
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be 'Bearer <token>'.")
    return token.strip()


def _split_scopes(value: str) -> frozenset[str]:
    # RFC 6749 separates scopes by a space (%x20) alone. ``str.split()`` would also split on
    # tabs and Unicode spaces, so one odd scope "orders:read<NBSP>staff" would grant staff.
    return frozenset(part for part in value.split(" ") if part)


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return _split_scopes(scope)
    scp = claims.get("scp")
    if isinstance(scp, list) and all(isinstance(s, str) for s in scp):
        return frozenset(scp)
    if isinstance(scp, str):
        return _split_scopes(scp)
    return frozenset()


def _numeric_date(value: Any) -> bool:
    """Whether ``value`` is a JSON NumericDate (RFC 7519): a number, not a string of digits
    (which PyJWT reads as one) nor a boolean."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenVerifier:
    """Verifies bearer tokens with the keys of ``settings.jwks``; one per process (it caches
    the keys). Raises :class:`~gateway.auth.JwksError` when ``settings.jwks`` is a file that
    does not exist or is not a JWKS; :meth:`start` once the loop runs, :meth:`aclose` at the
    end."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        source: JwksSource | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.jwks is None and source is None:
            raise ValueError("a TokenVerifier needs settings.jwks")
        self.settings = settings
        self.source = source or jwks_source(settings)
        self.clock = clock
        # Verified tokens: the key generation they were checked under, and their identity.
        self._verified: SizedLru[str, tuple[int, Identity]] = SizedLru(
            _CACHED_TOKENS, _CACHED_BYTES
        )
        # Refused tokens whose refusal lasts: the key generation, and the words of it.
        self._refused: SizedLru[str, tuple[int, str]] = SizedLru(_CACHED_TOKENS, _REFUSED_BYTES)

    async def start(self) -> None:
        """Fetch a JWKS URL's keys now (a warning, not a failure, if it does not answer)."""
        await self.source.start()

    async def verify(self, token: str) -> Identity:
        """The identity ``token`` proves; raises :class:`Unauthenticated` otherwise."""
        cached = self._verified.get(token)
        if cached is not None:
            generation, known = cached
            expires = known.expires_at
            if generation == self.source.generation() and (
                expires is None or self.clock() < expires + self.settings.leeway
            ):
                return known
        refused = self._refused.get(token)
        if refused is not None and refused[0] == self.source.generation():
            raise Unauthenticated(refused[1], lasting=True)
        generation = self.source.generation()
        try:
            identity = await self._verify(token)
        except Unauthenticated as refusal:
            if refusal.lasting:
                self._refused.put(token, (generation, str(refusal)), len(token) + 256)
            raise
        # Weighed as the token text (twice: the key and the identity's copy) and its claims.
        self._verified.put(token, (self.source.generation(), identity), 3 * len(token) + 1024)
        return identity

    async def _verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthenticated("The token is not a JWT.", lasting=True) from error
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self.settings.algorithms:
            raise Unauthenticated("The token's algorithm is not allowed.", lasting=True)
        kid = header.get("kid")
        try:
            key = await self.source.key(kid if isinstance(kid, str) else None, algorithm)
        except KeyNotFound as error:
            raise Unauthenticated("The token is not signed by a known key.") from error
        s = self.settings
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=s.issuer,
                audience=s.audience,
                leeway=s.leeway,
                options={
                    "require": ["exp"],
                    "verify_signature": True,
                    "verify_aud": s.audience is not None,
                    "verify_iss": s.issuer is not None,
                },
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthenticated("The token has expired.", lasting=True) from error
        except jwt.ImmatureSignatureError as error:
            raise Unauthenticated("The token is not valid yet.") from error
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as error:
            raise Unauthenticated("The token is not for this graph.", lasting=True) from error
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            # A key that does not fit the algorithm after all is a ValueError/TypeError in
            # cryptography: the token is no better than a bad signature.
            raise Unauthenticated("The token is invalid.", lasting=True) from error
        expires: Any = claims.get("exp")
        if not _numeric_date(expires) or not _numeric_date(claims.get("nbf", 0)):
            # Trusted, an expiry PyJWT read from a string would be lost on the way: the token
            # remembered, and a socket opened with it kept, past it.
            raise Unauthenticated("The token is invalid.", lasting=True)
        subject = claims.get("sub")
        return Identity(
            token=token,
            subject=subject if isinstance(subject, str) else None,
            scopes=_scopes(claims),
            claims=claims,
            expires_at=float(expires),
        )

    async def aclose(self) -> None:
        await self.source.aclose()
