"""Settings of token verification and of the federation auth directives (docs/auth.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ALLOWED_ALGORITHMS", "AuthSettings"]

# Asymmetric algorithms only: a JWKS publishes public keys, so an HS* token "signed" with one
# is a forgery anyone can make, and ``none`` is no signature at all.
ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


class AuthSettings(BaseModel):
    """``CROSSDOCK_AUTH__*``. Auth is off while ``jwks`` is unset: every request is
    anonymous and the auth directives are not enforced (``crossdock up`` as it always was)."""

    model_config = ConfigDict(allow_inf_nan=False)

    jwks: str | None = Field(
        default=None,
        description="where the token-signing public keys are: an http(s) URL of a JWKS "
        "(fetched, cached, refreshed) or the path of a JWKS file; unset: auth is off",
        examples=["https://idp.example.com/.well-known/jwks.json"],
    )
    issuer: str | None = Field(
        default=None, description="the iss a token must have; unset: not checked"
    )
    audience: str | None = Field(
        default=None, description="the aud a token must have; unset: not checked"
    )
    algorithms: list[str] = Field(
        default_factory=lambda: list(ALLOWED_ALGORITHMS),
        description="signature algorithms a token may use (asymmetric ones only)",
    )
    leeway: float = Field(
        default=30.0, ge=0, le=300, description="seconds of clock skew allowed on exp and nbf"
    )
    jwks_refresh_interval: float = Field(
        default=300.0, gt=0, description="seconds between fetches of a JWKS URL"
    )
    jwks_min_refresh_interval: float = Field(
        default=10.0,
        ge=0,
        description="seconds at least between fetches set off by tokens of an unknown kid "
        "(so forged kids cannot make the gateway hammer the identity provider)",
    )
    jwks_timeout: float = Field(default=5.0, gt=0, description="seconds a JWKS fetch may take")
    unauthorized: Literal["filter", "reject"] = Field(
        default="filter",
        description="what happens to fields the caller may not see: filter (null with an "
        "UNAUTHORIZED_FIELD_OR_TYPE error each, the rest runs) or reject (the whole request)",
    )
    policy_hook: str | None = Field(
        default=None,
        description="the @policy decider: a Python callable as module:attribute, given the "
        "identity and the policies an operation names, returning those it grants; unset: "
        "every @policy is denied",
        examples=["mypackage.policies:decide"],
    )
    policy_timeout: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="seconds the policy hook may take; past them (or when it fails) every "
        "policy it was asked is denied",
    )

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, algorithms: list[str]) -> list[str]:
        refused = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
        if refused:
            raise ValueError(
                f"not an allowed algorithm: {', '.join(refused)} "
                f"(allowed: {', '.join(ALLOWED_ALGORITHMS)})"
            )
        if not algorithms:
            raise ValueError("at least one algorithm")
        return algorithms

    @property
    def enabled(self) -> bool:
        """Whether tokens are verified at all."""
        return self.jwks is not None
