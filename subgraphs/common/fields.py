"""``@described(...)``: a resolver field with a description, typed for mypy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

import strawberry

__all__ = ["described"]

F = TypeVar("F", bound=Callable[..., Any])


def described(description: str, *, directives: Sequence[object] = ()) -> Callable[[F], F]:
    """``@strawberry.field(description=..., directives=...)``, keeping the resolver's type for
    mypy (Strawberry types the decorator as returning ``Any``)."""
    return cast(Callable[[F], F], strawberry.field(description=description, directives=directives))
