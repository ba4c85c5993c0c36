"""A test identity provider: its own signing keys, tokens it mints, its JWKS as a file or
served over HTTP on loopback (real keys, real signatures: nothing about tokens is mocked)."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.servers import serve, serve_on

__all__ = ["TEST_AUDIENCE", "TEST_ISSUER", "SigningKey", "TestIssuer"]

TEST_ISSUER = "https://idp.test.crossdock"
TEST_AUDIENCE = "crossdock-graph"

_ALGORITHMS = {"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}


@dataclass
class SigningKey:
    """One private key and its public JWK."""

    algorithm: str
    kid: str
    private: Any

    @classmethod
    def generate(cls, algorithm: str = "RS256", kid: str | None = None) -> SigningKey:
        private: Any
        if algorithm == "RS256":
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        elif algorithm == "EdDSA":
            private = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(algorithm)
        return cls(algorithm, kid or uuid.uuid4().hex[:12], private)

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if self.algorithm == "RS256":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
        elif self.algorithm == "ES256":
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
        else:
            jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(public))
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@dataclass
class TestIssuer:
    """Mints tokens with its current key; publishes every key it holds as a JWKS.

    ``rotate()`` adds a new key and signs with it from then on; ``retire(kid)`` drops one
    from the JWKS. ``jwks_file(tmp_path)`` writes the JWKS (rewritten on every change);
    ``serve_jwks()`` serves it over HTTP and counts the fetches.
    """

    __test__ = False  # not a pytest test class

    issuer: str = TEST_ISSUER
    audience: str = TEST_AUDIENCE
    algorithm: str = "RS256"
    keys: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    _files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys.append(SigningKey.generate(self.algorithm))

    @property
    def current(self) -> SigningKey:
        return self.keys[-1]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys]}

    def rotate(self, algorithm: str | None = None) -> SigningKey:
        key = SigningKey.generate(algorithm or self.algorithm)
        self.keys.append(key)
        self._write()
        return key

    def publish(self, key: SigningKey) -> None:
        """Add ``key`` to the JWKS without signing with it (a key made elsewhere)."""
        self.keys.insert(0, key)
        self._write()

    def replace_keys(self, keys: list[SigningKey]) -> None:
        """Publish exactly ``keys`` (the last one signs from then on)."""
        self.keys = list(keys)
        self._write()

    def retire(self, kid: str) -> None:
        self.keys = [key for key in self.keys if key.kid != kid]
        self._write()

    def token(
        self,
        *,
        subject: str = "user-1",
        scope: str | None = "orders:read",
        account_id: str | None = None,
        ttl: float = 300.0,
        not_before: float | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        key: SigningKey | None = None,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed token; every argument changes one claim (None leaves it out)."""
        now = time.time()
        payload: dict[str, Any] = {
            "iss": issuer if issuer is not None else self.issuer,
            "aud": audience if audience is not None else self.audience,
            "sub": subject,
            "iat": int(now),
            "exp": int(now + ttl),
            **claims,
        }
        if scope is not None:
            payload["scope"] = scope
        if account_id is not None:
            payload["account_id"] = account_id
        if not_before is not None:
            payload["nbf"] = int(not_before)
        signer = key or self.current
        return jwt.encode(
            payload,
            signer.private,
            algorithm=signer.algorithm,
            headers={"kid": signer.kid, **(headers or {})},
        )

    def jwks_file(self, directory: Path) -> Path:
        path = directory / f"jwks-{uuid.uuid4().hex[:8]}.json"
        self._files.append(path)
        self._write()
        return path

    def _write(self) -> None:
        text = json.dumps(self.jwks())
        for path in self._files:
            temporary = path.with_suffix(".tmp")
            temporary.write_text(text)
            temporary.replace(path)

    @contextmanager
    def serve_jwks(self, sock: socket.socket | None = None) -> Iterator[str]:
        """Serve the JWKS on loopback (on ``sock`` if given: a URL known before it answers);
        yield its URL."""

        async def jwks(request: Request) -> JSONResponse:
            self.fetches += 1
            return JSONResponse(self.jwks())

        app = Starlette(routes=[Route("/.well-known/jwks.json", jwks)])
        with serve(app) if sock is None else serve_on(app, sock) as base:
            yield f"{base}/.well-known/jwks.json"
