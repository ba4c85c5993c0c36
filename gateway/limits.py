"""Front-door limits: request body size, operation depth, aliases and tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["LimitExceeded", "Limits", "check_document"]


@dataclass(frozen=True)
class Limits:
    """Configurable ceilings; ``None`` turns one off."""

    max_body_bytes: int | None = 1_000_000
    max_depth: int | None = 32
    max_aliases: int | None = 64
    max_tokens: int | None = 20_000


class LimitExceeded(ValueError):
    """An operation is over one of the limits."""


def _depth(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    visiting: frozenset[str],
    memo: dict[str, int],
) -> int:
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue  # introspection is bounded by the schema
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, visiting, memo))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visiting:
                if name not in memo:
                    memo[name] = _depth(fragment.selection_set, fragments, visiting | {name}, memo)
                deepest = max(deepest, memo[name])
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, visiting, memo))
    return deepest


def _aliases(document: DocumentNode) -> int:
    count = 0
    stack: list[SelectionSetNode] = [
        d.selection_set
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode) and selection.alias is not None:
                count += 1
            selection_set = getattr(selection, "selection_set", None)
            if selection_set is not None:
                stack.append(selection_set)
    return count


def check_document(document: DocumentNode, limits: Limits) -> None:
    """Raise :class:`LimitExceeded` if the document is too deep or has too many aliases."""
    if limits.max_aliases is not None:
        aliases = _aliases(document)
        if aliases > limits.max_aliases:
            raise LimitExceeded(
                f"Operation has {aliases} aliases; the limit is {limits.max_aliases}."
            )
    if limits.max_depth is not None:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                depth = _depth(definition.selection_set, fragments, frozenset(), {})
                if depth > limits.max_depth:
                    raise LimitExceeded(
                        f"Operation is {depth} levels deep; the limit is {limits.max_depth}."
                    )
