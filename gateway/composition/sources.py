"""Where subgraph SDLs come from: a running subgraph's ``_service { sdl }``, or a file."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.composition import SubgraphSource
from gateway.composition.errors import CompositionError

__all__ = ["SubgraphSpec", "fetch_sdl", "load_sources", "parse_subgraph_spec"]

_SERVICE_QUERY = "{ _service { sdl } }"


@dataclass(frozen=True)
class SubgraphSpec:
    """``name=URL`` (ask the running subgraph) or ``name=FILE@URL`` (read FILE, route to URL)."""

    name: str
    url: str
    file: Path | None = None


def parse_subgraph_spec(text: str) -> SubgraphSpec:
    """Read a ``--subgraph`` argument; raise ValueError with the expected forms."""
    name, sep, location = text.partition("=")
    if not sep or not name or not location:
        raise ValueError(f"expected NAME=URL or NAME=FILE@URL, got {text!r}")
    if location.startswith(("http://", "https://")):
        return SubgraphSpec(name=name, url=_checked_url(location))
    file, at, url = location.partition("@")
    if not at or not url.startswith(("http://", "https://")):
        raise ValueError(f"a file needs the URL the gateway will call: {name}={file}@http://…")
    return SubgraphSpec(name=name, url=_checked_url(url), file=Path(file))


def _checked_url(url: str) -> str:
    try:
        port = httpx.URL(url).port
    except httpx.InvalidURL as error:
        raise ValueError(f"{url} is not a valid URL: {error}") from None
    if port is not None and not 0 < port < 65536:
        raise ValueError(f"{url} has an impossible port {port}")
    return url


async def fetch_sdl(client: httpx.AsyncClient, name: str, url: str) -> str:
    """The SDL a running subgraph reports through ``_service { sdl }``."""
    try:
        response = await client.post(url, json={"query": _SERVICE_QUERY})
        body = response.json()
        sdl = body["data"]["_service"]["sdl"]
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ExceptionGroup) as error:
        raise CompositionError(
            "SUBGRAPH_UNREACHABLE", f"cannot reach {url}: {error}", subgraph=name
        ) from None
    except (ValueError, KeyError, TypeError):
        raise CompositionError(
            "SUBGRAPH_UNREACHABLE",
            f"{url} did not answer {_SERVICE_QUERY} (HTTP {response.status_code})",
            subgraph=name,
        ) from None
    if not isinstance(sdl, str):
        raise CompositionError("SUBGRAPH_UNREACHABLE", f"{url} returned no SDL", subgraph=name)
    return sdl


async def load_sources(
    specs: Sequence[SubgraphSpec], *, timeout: float = 10.0
) -> list[SubgraphSource]:
    """Read every spec's SDL (files directly, running subgraphs concurrently)."""

    async def one(client: httpx.AsyncClient, spec: SubgraphSpec) -> SubgraphSource:
        if spec.file is not None:
            try:
                sdl = spec.file.read_text()
            except OSError as error:
                raise CompositionError(
                    "SUBGRAPH_UNREACHABLE",
                    f"cannot read {spec.file}: {error.strerror}",
                    subgraph=spec.name,
                ) from None
        else:
            sdl = await fetch_sdl(client, spec.name, spec.url)
        return SubgraphSource(spec.name, spec.url, sdl)

    async with httpx.AsyncClient(timeout=timeout) as client:
        return list(await asyncio.gather(*(one(client, spec) for spec in specs)))
