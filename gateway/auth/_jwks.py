"""Where the public keys come from: a JWKS file or URL, cached by key id.

A file is checked at start (missing or not a JWKS: :class:`JwksError`, one line) and re-read
whenever it changes; a broken rewrite keeps the keys it had. A URL is fetched at start (an
identity provider that does not answer yet is a warning, not a refusal to start: tokens are
refused until it answers), then again every ``jwks_refresh_interval`` in the background, and
for a ``kid`` it does not know, at most every ``jwks_min_refresh_interval`` (a forged kid must
not make the gateway hammer the identity provider). Concurrent misses share one fetch, and a
fetch that fails keeps the keys of the last one that worked: rotation needs no restart, and an
identity provider's outage does not log everybody out.

A key is used only for the algorithms of its type (an RSA key for RS*/PS*, an EC key for the
ES* of its curve, an Ed25519 key for EdDSA) and, when the JWK names its ``alg``, that one only.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from gateway.auth._settings import AuthSettings

__all__ = ["JwksError", "JwksSource", "KeyNotFound", "jwks_source"]

log = logging.getLogger("gateway.auth")


class KeyNotFound(Exception):
    """No usable key for a token's kid and algorithm."""


class JwksError(Exception):
    """The configured JWKS cannot be used at all (a file missing or not a JWKS): one line."""


class JwksSource(Protocol):
    """The keys a verifier checks signatures with."""

    def generation(self) -> int:
        """A number that changes whenever the keys may have (a file is checked for changes
        first): a verifier's memory of verified tokens holds only within one generation."""
        ...

    async def start(self) -> None:
        """Called once the server's loop runs (a URL is fetched first then)."""

    async def key(self, kid: str | None, algorithm: str) -> Any: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class _Key:
    kty: str
    crv: str | None
    alg: str | None
    key: Any


# The key type (and curve) each allowed algorithm needs.
_KEY_TYPES: dict[str, tuple[str, str | None]] = {
    **{f"{family}{bits}": ("RSA", None) for family in ("RS", "PS") for bits in (256, 384, 512)},
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
    "EdDSA": ("OKP", "Ed25519"),
}

Keys = dict[str | None, list[_Key]]


def parse_jwks(document: Any) -> Keys:
    """Signing keys by kid (None for keys without one); keys that are not usable (symmetric,
    encryption-only, malformed) are skipped. Raises ``ValueError`` for a document that is not a
    JWKS at all."""
    keys: Keys = {}
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS (no 'keys' list)")
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        kty, crv, alg = entry.get("kty"), entry.get("crv"), entry.get("alg")
        # A symmetric key in a public JWKS is a secret published to everyone: never used.
        if kty not in ("RSA", "EC", "OKP"):
            continue
        try:
            key = jwt.PyJWK(entry).key
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
        kid = entry.get("kid")
        keys.setdefault(kid if isinstance(kid, str) else None, []).append(
            _Key(
                kty,
                crv if isinstance(crv, str) else None,
                alg if isinstance(alg, str) else None,
                key,
            )
        )
    return keys


def _fits(key: _Key, algorithm: str) -> bool:
    wanted = _KEY_TYPES.get(algorithm)
    if wanted is None or key.kty != wanted[0]:
        return False
    if wanted[1] is not None and key.crv != wanted[1]:
        return False
    return key.alg is None or key.alg == algorithm or {key.alg, algorithm} == {"EdDSA", "Ed25519"}


def pick(keys: Keys, kid: str | None, algorithm: str) -> Any:
    """The key for a token's ``kid`` and ``alg``; a token without a kid may use any key."""
    candidates = keys.get(kid, []) if kid is not None else [k for ks in keys.values() for k in ks]
    for candidate in candidates:
        if _fits(candidate, algorithm):
            return candidate.key
    raise KeyNotFound(kid)


class _FileSource:
    """A JWKS file, re-read when its modification time or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: Keys = {}
        self._generation = 0
        try:
            self._load()
        except (OSError, ValueError) as error:
            raise JwksError(f"cannot use {path}: {_reason(error)}") from None

    def _load(self) -> None:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._keys = parse_jwks(json.loads(self.path.read_text(encoding="utf-8")))
            self._stamp = stamp
            self._generation += 1

    async def start(self) -> None:
        return None

    def generation(self) -> int:
        try:
            self._load()
        except (OSError, ValueError) as error:
            # Mid-rewrite or broken: the keys read last still hold.
            log.warning("JWKS file %s unreadable, keeping its last keys: %s", self.path, error)
        return self._generation

    async def key(self, kid: str | None, algorithm: str) -> Any:
        self.generation()  # read again if it changed
        return pick(self._keys, kid, algorithm)

    async def aclose(self) -> None:
        return None


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, json.JSONDecodeError):
        return "not JSON"
    return str(error)


class _UrlSource:
    """A JWKS URL: fetched at start, on a schedule and for unknown kids, one fetch at a time."""

    def __init__(
        self,
        url: str,
        settings: AuthSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.settings = settings
        self.clock = clock
        self._keys: Keys = {}
        self._generation = 0
        # Last successful fetch (the schedule) and last attempt (the unknown-kid throttle).
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._fetching: asyncio.Task[None] | None = None
        self._schedule: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        # A client belongs to the loop it was first used on (tests run several in turn).
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(timeout=self.settings.jwks_timeout, trust_env=False)
            self._client_loop = loop
        return self._client

    def generation(self) -> int:
        return self._generation

    async def start(self) -> None:
        """The first fetch (an identity provider that does not answer is only a warning),
        then a fetch every ``jwks_refresh_interval`` in the background."""
        await self._refresh()
        if self._fetched_at is None:
            log.warning(
                "JWKS %s did not answer at start: tokens are refused until it does", self.url
            )
        self._schedule = asyncio.ensure_future(self._every_interval())

    async def _every_interval(self) -> None:
        # A schedule of its own: a verifier answers known tokens without asking for keys.
        while True:
            await asyncio.sleep(self.settings.jwks_refresh_interval)
            await asyncio.shield(self._refresh())

    def _refresh(self) -> asyncio.Task[None]:
        """The fetch in flight, or a new one: concurrent callers share it."""
        task = self._fetching
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            self._attempted_at = self.clock()
            task = self._fetching = asyncio.ensure_future(self._fetch())
        return task

    async def _fetch(self) -> None:
        try:
            response = await self._http().get(self.url)
            response.raise_for_status()
            keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as error:
            # The last keys that worked keep serving: an outage must not log everybody out.
            log.warning("JWKS %s fetch failed, keeping the last keys: %s", self.url, error)
            return
        self._keys = keys
        self._fetched_at = self.clock()
        self._generation += 1

    async def key(self, kid: str | None, algorithm: str) -> Any:
        now = self.clock()
        s = self.settings
        if self._fetched_at is None:
            if self._may_fetch(now):
                await asyncio.shield(self._refresh())
        elif self._schedule is None and now - self._fetched_at >= s.jwks_refresh_interval:
            # Not started (no schedule): refreshed in the background, the current keys serve.
            self._refresh()
        try:
            return pick(self._keys, kid, algorithm)
        except KeyNotFound:
            if not self._may_fetch(self.clock()) and not self._in_flight():
                raise
        await asyncio.shield(self._refresh())
        return pick(self._keys, kid, algorithm)

    def _in_flight(self) -> bool:
        task = self._fetching
        return task is not None and not task.done()

    def _may_fetch(self, now: float) -> bool:
        return (
            self._in_flight()
            or self._attempted_at is None
            or now - self._attempted_at >= self.settings.jwks_min_refresh_interval
        )

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        tasks = [self._schedule, self._fetching]
        self._schedule = self._fetching = None
        for task in tasks:
            if task is not None and not task.done() and task.get_loop() is loop:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()


def jwks_source(settings: AuthSettings) -> _FileSource | _UrlSource:
    """The source ``settings.jwks`` names: an http(s) URL, else a file path.

    Raises :class:`JwksError` for a file that does not exist or is not a JWKS.
    """
    assert settings.jwks is not None
    if settings.jwks.startswith(("http://", "https://")):
        return _UrlSource(settings.jwks, settings)
    return _FileSource(Path(settings.jwks).expanduser())
