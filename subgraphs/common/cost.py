"""What the graph's fields cost, for the gateway's demand control: ``@listSize`` and ``@cost``
(the cost spec, imported from Federation 2.9; see docs/demand-control.md).

A connection is as long as its ``first`` asks (the default page when left out), and that size
is its ``edges``'; a ``first``-sliced list likewise. Lists bounded by nothing the client says
keep the gateway's default size. ``@cost`` weighs a field by the system calls it makes beyond
the batched read every object costs: a mutation's workflow, a promise's fact gathering.
"""

from __future__ import annotations

from typing import Any

from strawberry import UNSET
from strawberry.federation.schema_directives import Cost, ListSize

from subgraphs.common.relay import DEFAULT_PAGE

__all__ = ["PAGE", "sliced_by_first", "weight"]

# An argument Strawberry leaves out of the SDL (None would print ``null``).
_NOT_GIVEN: Any = UNSET

PAGE = ListSize(
    assumed_size=DEFAULT_PAGE,
    slicing_arguments=["first"],
    sized_fields=["edges"],
    # ``first`` may be left out (or null): then the default page, the assumed size.
    require_one_slicing_argument=False,
)
"""``@listSize`` of a Relay connection's field (``accounts(first:, after:)``)."""


def sliced_by_first(default: int) -> ListSize:
    """``@listSize`` of a list field that returns at most ``first`` items (``default``)."""
    return ListSize(
        assumed_size=default,
        slicing_arguments=["first"],
        sized_fields=_NOT_GIVEN,
        require_one_slicing_argument=False,
    )


def weight(calls: int) -> Cost:
    """``@cost(weight: calls)``: the system calls a field makes beyond its batched read."""
    return Cost(weight=calls)
