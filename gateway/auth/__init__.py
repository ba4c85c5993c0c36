"""Identity at the gateway: bearer tokens verified against a JWKS (docs/auth.md).

``TokenVerifier`` turns a token into an :class:`Identity` or raises :class:`Unauthenticated`;
subgraphs use the same verifier on the token the gateway forwards to them.
"""

from gateway.auth._identity import ANONYMOUS, Identity
from gateway.auth._jwks import JwksError, JwksSource, KeyNotFound
from gateway.auth._settings import ALLOWED_ALGORITHMS, AuthSettings
from gateway.auth._verify import TokenVerifier, Unauthenticated, bearer_token

__all__ = [
    "ALLOWED_ALGORITHMS",
    "ANONYMOUS",
    "AuthSettings",
    "Identity",
    "JwksError",
    "JwksSource",
    "KeyNotFound",
    "TokenVerifier",
    "Unauthenticated",
    "bearer_token",
]
