"""What the subgraphs apply to one schema element, merged as Apollo merges it: its description,
the order of its merged directives, its ``@cost`` and ``@listSize``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from gateway.composition.cost import merge_costs, merge_list_sizes
from gateway.composition.model import ListSizeDef

__all__ = ["Applied", "merged_cost", "merged_description", "merged_directives", "merged_list_size"]


class Applied(Protocol):
    """A subgraph's element: a type, field, argument or enum value definition."""

    @property
    def description(self) -> str | None: ...

    @property
    def directives(self) -> tuple[str, ...]: ...


def merged_description(elements: Iterable[Applied]) -> str | None:
    """The description most subgraphs give (the first of those tied), an empty one only if
    there is no other."""
    counts: dict[str, int] = {}
    for element in elements:
        if element.description is not None:
            counts[element.description] = counts.get(element.description, 0) + 1
    non_empty = {text: count for text, count in counts.items() if text}
    if not non_empty:
        return "" if counts else None
    best = max(non_empty.values())
    return next(text for text, count in non_empty.items() if count == best)


def merged_directives(elements: Iterable[Applied]) -> tuple[str, ...]:
    """Every merged directive applied, in the order first seen (subgraph by subgraph)."""
    return tuple(dict.fromkeys(name for element in elements for name in element.directives))


def merged_cost(weights: Sequence[int | None]) -> int | None:
    given = [weight for weight in weights if weight is not None]
    return merge_costs(given) if given else None


def merged_list_size(applications: Sequence[ListSizeDef | None]) -> ListSizeDef | None:
    given = [application for application in applications if application is not None]
    return merge_list_sizes(given) if given else None
