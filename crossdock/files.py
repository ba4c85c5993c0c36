"""Write files so that a reader never sees a half-written one."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and move it into place.

    The temporary file is this process's own: the processes of one ``crossdock up`` may
    write the same file at once (the development JWKS), and each move must find its file."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text)
    os.replace(partial, path)
