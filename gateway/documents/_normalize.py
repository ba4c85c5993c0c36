"""A document's normal form, so a body matches a manifest entry however it is laid out.

As Apollo Router matches bodies against its safelist: ignored characters (whitespace, commas,
comments) do not count, nor does the order of the top-level definitions (clients such as
Apollo Client append fragments in an order fixed only at run time); everything else does,
down to the order of fields.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)

__all__ = ["normal_form"]


def _name(definition: ExecutableDefinitionNode) -> str:
    return definition.name.value if definition.name is not None else ""


def normal_form(text: str, *, max_tokens: int | None = None) -> str | None:
    """``text`` printed canonically (operations, then fragments, each sorted by name); None
    when it does not parse (within ``max_tokens``), since only a parse has a normal form."""
    try:
        document = parse(text, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    if len(operations) + len(fragments) != len(document.definitions):
        return None  # type system definitions: not an executable document
    ordered = sorted(operations, key=_name) + sorted(fragments, key=_name)
    return print_ast(DocumentNode(definitions=tuple(ordered)))
