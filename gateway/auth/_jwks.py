"""Where the public keys come from: a JWKS file or URL, cached by key id.

A first cut: the file is re-read when it changes; the URL fetched on first use, on a
schedule and again (at most every ``jwks_min_refresh_interval``) for an unknown ``kid``.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any, Protocol

import httpx
import jwt

from gateway.auth._settings import AuthSettings

__all__ = ["JwksSource", "KeyNotFound", "jwks_source"]


class KeyNotFound(Exception):
    """No usable key for a token's kid and algorithm."""


class JwksSource(Protocol):
    async def key(self, kid: str | None, algorithm: str) -> Any: ...

    async def aclose(self) -> None: ...


def _parse(document: Any) -> dict[str | None, list[jwt.PyJWK]]:
    """Keys by kid (None for keys without one), unusable keys skipped."""
    keys: dict[str | None, list[jwt.PyJWK]] = {}
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS: no 'keys' list")
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        kid = entry.get("kid")
        keys.setdefault(kid if isinstance(kid, str) else None, []).append(key)
    return keys


def _pick(keys: dict[str | None, list[jwt.PyJWK]], kid: str | None, algorithm: str) -> Any:
    candidates = keys.get(kid, []) if kid is not None else [k for ks in keys.values() for k in ks]
    for candidate in candidates:
        alg = candidate.algorithm_name
        if alg == algorithm or (algorithm == "EdDSA" and alg in ("EdDSA", "Ed25519")):
            return candidate.key
    raise KeyNotFound(kid)


class _FileSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[float, int] | None = None
        self._keys: dict[str | None, list[jwt.PyJWK]] = {}

    def _load(self) -> None:
        stat = self.path.stat()
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            self._keys = _parse(json.loads(self.path.read_text()))
            self._stamp = stamp

    async def key(self, kid: str | None, algorithm: str) -> Any:
        try:
            self._load()
        except (OSError, ValueError) as error:
            raise KeyNotFound(kid) from error
        return _pick(self._keys, kid, algorithm)

    async def aclose(self) -> None:
        return None


class _UrlSource:
    def __init__(self, url: str, settings: AuthSettings) -> None:
        self.url = url
        self.settings = settings
        self._keys: dict[str | None, list[jwt.PyJWK]] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self._client = httpx.AsyncClient(timeout=settings.jwks_timeout)

    async def _refresh(self) -> None:
        async with self._lock:
            response = await self._client.get(self.url)
            response.raise_for_status()
            self._keys = _parse(response.json())
            self._fetched_at = time.monotonic()

    async def key(self, kid: str | None, algorithm: str) -> Any:
        now = time.monotonic()
        stale = (
            self._fetched_at is None
            or now - self._fetched_at >= self.settings.jwks_refresh_interval
        )
        if stale:
            try:
                await self._refresh()
            except (httpx.HTTPError, ValueError):
                if self._fetched_at is None:
                    raise KeyNotFound(kid) from None
        try:
            return _pick(self._keys, kid, algorithm)
        except KeyNotFound:
            assert self._fetched_at is not None
            if time.monotonic() - self._fetched_at < self.settings.jwks_min_refresh_interval:
                raise
        try:
            await self._refresh()
        except (httpx.HTTPError, ValueError):
            raise KeyNotFound(kid) from None
        return _pick(self._keys, kid, algorithm)

    async def aclose(self) -> None:
        await self._client.aclose()


def jwks_source(settings: AuthSettings) -> JwksSource:
    assert settings.jwks is not None
    if settings.jwks.startswith(("http://", "https://")):
        return _UrlSource(settings.jwks, settings)
    return _FileSource(Path(settings.jwks))
