"""Authorization's errors in the payloads of a deferred operation: each in the payload that
carries its field's ``null``.

A field taken out of a deferred fragment is ``null`` in that fragment's payload, so its
``UNAUTHORIZED_FIELD_OR_TYPE`` error goes there too, in the incremental item whose data holds
it, as the errors of a deferred part stay in that part. An error's path may name every
element of a list (``@``): it goes once, with the first item that holds it. A field whose
``null`` is in the initial payload (not deferred, or its whole fragment was taken out, or
a ``null`` above it) has its error there. An error no payload holds (its object never came)
is sent with the last payload rather than dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gateway.wire import GraphQLError, GraphQLResponse, IncrementalItem

__all__ = ["UnauthorizedInParts"]

_ANY_INDEX = "@"


def _fresh(error: GraphQLError) -> GraphQLError:
    # A copy: a payload may be changed on its way, the cached errors must not.
    return {
        **error,
        "path": list(error.get("path", ())),
        "extensions": dict(error.get("extensions", {})),
    }


def _holds(data: Any, path: Sequence[str | int]) -> bool:
    """Whether ``data`` has the place ``path`` names, or a ``null`` on the way to it."""
    if not path:
        return True
    if data is None:
        return True
    step, rest = path[0], path[1:]
    if isinstance(data, list):
        if step == _ANY_INDEX:
            return any(_holds(element, rest) for element in data)
        if isinstance(step, int) and 0 <= step < len(data):
            return _holds(data[step], rest)
        return False
    if isinstance(data, dict) and isinstance(step, str) and step in data:
        return _holds(data[step], rest)
    return False


def _below(error_path: Sequence[str | int], at: Sequence[str | int]) -> list[str | int] | None:
    """What is left of ``error_path`` below the item path ``at``; ``None`` if not below it."""
    if len(error_path) <= len(at):
        return None
    for step, place in zip(error_path, at, strict=False):
        if step != place and not (step == _ANY_INDEX and isinstance(place, int)):
            return None
    return list(error_path[len(at) :])


class UnauthorizedInParts:
    """Places ``errors`` in the payloads of one deferred operation, given in their order."""

    def __init__(self, errors: Sequence[GraphQLError]) -> None:
        self._pending = [_fresh(error) for error in errors]
        self._initial = True

    def place(self, payload: GraphQLResponse) -> GraphQLResponse:
        """``payload`` with the errors whose fields it holds (and, last, those left over)."""
        if self._initial:
            self._initial = False
            held = self._take(lambda path: _holds(payload.get("data"), path))
            if not payload.get("hasNext"):
                held, self._pending = held + self._pending, []
            if not held:
                return payload
            return {**payload, "errors": [*held, *payload.get("errors", [])]}
        items = [self._placed(item) for item in payload.get("incremental", ())]
        placed: GraphQLResponse = {**payload, "incremental": items}
        if not payload.get("hasNext") and self._pending:
            left, self._pending = self._pending, []
            if items:
                last = items[-1]
                items[-1] = {**last, "errors": [*last.get("errors", []), *left]}
            else:
                placed["errors"] = [*payload.get("errors", []), *left]
        return placed

    def _placed(self, item: IncrementalItem) -> IncrementalItem:
        at = item["path"]

        def holds(path: list[str | int]) -> bool:
            rest = _below(path, at)
            return rest is not None and _holds(item["data"], rest)

        held = self._take(holds)
        if not held:
            return item
        return {**item, "errors": [*held, *item.get("errors", [])]}

    def _take(self, holds: Callable[[list[str | int]], bool]) -> list[GraphQLError]:
        """The pending errors ``holds`` says are here, no longer pending."""
        taken: list[GraphQLError] = []
        kept: list[GraphQLError] = []
        for error in self._pending:
            (taken if holds(error.get("path", [])) else kept).append(error)
        self._pending = kept
        return taken
