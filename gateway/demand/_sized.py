"""The ``sizedFields`` of a ``@listSize``: which list fields under the field the size applies to.

``sizedFields: ["edges"]`` sizes the connection's ``edges``; a path such as
``"results { page }"`` sizes ``page`` under ``results``. A :class:`SizedScope` is one level
of those paths, built once per field of the supergraph and walked down as the operation is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, SelectionSetNode, parse

__all__ = ["SizedScope", "sized_scope"]


@dataclass(frozen=True)
class SizedScope:
    """The list fields sized at one level, and the levels below named fields."""

    leaves: frozenset[str]
    nested: Mapping[str, SizedScope] = field(default_factory=dict)

    def is_leaf(self, name: str) -> bool:
        return name in self.leaves

    def descend(self, name: str) -> SizedScope | None:
        return self.nested.get(name)


def _build(selection_sets: Iterable[SelectionSetNode]) -> SizedScope:
    leaves: set[str] = set()
    below: dict[str, list[SelectionSetNode]] = {}
    for selection_set in selection_sets:
        for selection in selection_set.selections:
            if not isinstance(selection, FieldNode):
                continue
            name = selection.name.value
            if selection.selection_set is None:
                leaves.add(name)
            else:
                below.setdefault(name, []).append(selection.selection_set)
    # A name that is also a container at this level is walked through, not sized (Apollo).
    return SizedScope(
        frozenset(leaves - below.keys()),
        {name: _build(sets) for name, sets in below.items()},
    )


@lru_cache(maxsize=1024)
def sized_scope(sized_fields: tuple[str, ...]) -> SizedScope | None:
    """The scope of a ``sizedFields`` argument; ``None`` when it names no field."""
    selection_sets = []
    for path in sized_fields:
        try:
            document = parse("{" + path + "}", no_location=True)
        except GraphQLError:
            continue  # composition checks them; a hand-written supergraph may not
        definition = document.definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        selection_sets.append(definition.selection_set)
    if not selection_sets:
        return None
    return _build(selection_sets)
