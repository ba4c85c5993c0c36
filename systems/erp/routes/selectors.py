"""What a list request selects: at most one bulk lookup parameter, or a page of everything."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import Request

from systems.common.errors import Unprocessable
from systems.common.params import parse_ids

__all__ = ["bulk_selector"]


def bulk_selector(request: Request, names: Sequence[str]) -> tuple[str, list[str]] | None:
    """The one bulk parameter of ``names`` given and its ids, or ``None`` for a plain list."""
    given = [(name, ids) for name in names if (ids := parse_ids(request, name)) is not None]
    if len(given) > 1:
        both = " and ".join(f"'{name}'" for name, _ in given)
        raise Unprocessable(f"parameters {both} cannot be combined; give one")
    return given[0] if given else None
