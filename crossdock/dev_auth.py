"""The development issuer: a local signing key, the JWKS ``crossdock up --auth dev`` verifies
tokens with, and the tokens ``crossdock token`` mints, so every role can be tried in GraphiQL
without an identity provider (docs/auth.md, "Development issuer").

The key is an Ed25519 key kept in ``<data_dir>/dev-auth/`` (the directory 0700, the key file
0600), made on first use; its public half is written beside it as ``jwks.json``, which is what
``auth.jwks`` points at. Its tokens say ``iss: crossdock-dev`` and ``aud: crossdock``, which
the gateway and the subgraphs then require: a token of this key is no token anywhere else.
Never on by default, and refused with the production switch on (``crossdock.cli``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from crossdock.files import write_atomically

__all__ = ["DEV_AUDIENCE", "DEV_ISSUER", "DevIssuer"]

DEV_ISSUER = "crossdock-dev"
DEV_AUDIENCE = "crossdock"
_KEY_FILE = "signing-key.pem"
_JWKS_FILE = "jwks.json"


class DevIssuer:
    """The development key of ``data_dir``: made on first use, then read."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = data_dir / "dev-auth"
        self._key = self._load_or_create()
        public = self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        # The key's own fingerprint: a new key (the directory removed) is a new kid.
        self.kid = hashlib.sha256(public).hexdigest()[:16]

    def _load_or_create(self) -> Ed25519PrivateKey:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        path = self.directory / _KEY_FILE
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except FileNotFoundError:
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # Created 0600 from the start: never readable by others, not even for a moment.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(pem)
            return key
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key

    @property
    def jwks_path(self) -> Path:
        return self.directory / _JWKS_FILE

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "EdDSA", "use": "sig"}]}

    def write_jwks(self) -> Path:
        """Write the public JWKS beside the key; its path (what ``auth.jwks`` names)."""
        write_atomically(self.jwks_path, json.dumps(self.jwks(), indent=2) + "\n")
        return self.jwks_path

    def token(
        self,
        *,
        scope: str,
        account: str | None = None,
        subject: str = "developer",
        ttl: float = 3600.0,
    ) -> str:
        """A token of this key with ``scope`` (space-separated) and ``account_id``."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl),
            "jti": uuid.uuid4().hex,
            "scope": scope,
        }
        if account is not None:
            claims["account_id"] = account
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})
