"""Compare a subgraph's SDL with its snapshot in ``schema/sdl/<name>.graphql``."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import strawberry.federation

from subgraphs.common.sdl import subgraph_sdl

__all__ = ["SNAPSHOT_DIR", "UPDATE_ENV", "assert_sdl_snapshot"]

SNAPSHOT_DIR = Path(__file__).resolve().parents[2] / "schema" / "sdl"
UPDATE_ENV = "CROSSDOCK_UPDATE_SNAPSHOTS"


def assert_sdl_snapshot(
    name: str, schema: strawberry.federation.Schema, *, directory: Path = SNAPSHOT_DIR
) -> None:
    """Fail with a diff unless ``schema`` prints as snapshot ``name``; rewrite it on demand."""
    actual = subgraph_sdl(schema).rstrip("\n") + "\n"
    path = directory / f"{name}.graphql"
    if os.environ.get(UPDATE_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    hint = f"rerun with {UPDATE_ENV}=1 to accept the new SDL"
    if not path.exists():
        raise AssertionError(f"no SDL snapshot {path}; {hint}")
    expected = path.read_text(encoding="utf-8")
    if expected != actual:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"schema/sdl/{name}.graphql (snapshot)",
                tofile=f"{name} subgraph (code)",
            )
        )
        raise AssertionError(f"SDL of {name} differs from its snapshot; {hint}\n{diff}")
