"""Tokens a gateway must refuse, each made for real: expired, not yet valid, foreign issuer or
audience, signed by another key under a known kid, ``alg: none``, HS256 keyed with the issuer's
published public key, an ``exp`` that is not a number, and garbage."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.hazmat.primitives import serialization

from tests.support.tokens import SigningKey, TestIssuer

__all__ = ["hostile_tokens", "unsigned"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(issuer: TestIssuer) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "mallory",
        "scope": "staff",
        "iat": now,
        "exp": now + 300,
    }


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A compact JWT with ``header`` and ``claims`` and whatever signature is given."""
    head = _b64(json.dumps(header).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(signature)}"


def _hs256_with_public_key(issuer: TestIssuer) -> str:
    """The classic key-confusion forgery: HMAC keyed with the PEM anyone can fetch."""
    public = issuer.current.private.public_key()
    secret = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.current.kid}
    signing_input = unsigned(header, _claims(issuer)).rsplit(".", 1)[0]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def hostile_tokens(issuer: TestIssuer) -> dict[str, str]:
    """Every kind of bad token, by name; each must get 401 / 4403 with ``UNAUTHENTICATED``."""
    impostor = SigningKey.generate(issuer.current.algorithm, kid=issuer.current.kid)
    return {
        "expired": issuer.token(ttl=-600),
        "not_yet_valid": issuer.token(not_before=time.time() + 600, ttl=1200),
        "foreign_issuer": issuer.token(issuer="https://idp.evil.example"),
        "foreign_audience": issuer.token(audience="another-graph"),
        "another_keys_signature": issuer.token(key=impostor),
        "alg_none": unsigned({"alg": "none", "typ": "JWT"}, _claims(issuer)),
        "hs256_with_public_key": _hs256_with_public_key(issuer),
        "garbage": "definitely-not-a-jwt",
        # RFC 7519's NumericDate is a JSON number. PyJWT reads "exp": "<digits>" as a number,
        # but such a token must not be trusted: its expiry would be lost on the way (a token
        # remembered, or a socket kept, past it).
        "exp_as_string": issuer.token(exp=str(int(time.time()) + 300)),
    }
