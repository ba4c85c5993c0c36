"""A subgraph selection set under construction: fields by response key, fragments by type."""

from __future__ import annotations

import zlib

from graphql import ArgumentNode, FieldNode, ValueNode, VariableNode, print_ast
from graphql.language import ListValueNode, ObjectValueNode

from gateway.planner._nodes import RepField, RepSelection

__all__ = ["SubField", "SubSelection", "internal_key", "variables_in"]


def internal_key(node: FieldNode) -> str:
    """The response key of a field the planner adds for a key or ``@requires``.

    Field sets come without locations (``parse_fieldset``), client fields with them. A
    required field with arguments gets an alias of its own, so that it never collides with
    the same field selected by the client with other arguments.
    """
    name = node.name.value
    if not node.arguments:
        return name
    printed = ",".join(f"{a.name.value}:{print_ast(a.value)}" for a in node.arguments)
    return f"_{name}_{zlib.crc32(printed.encode()):08x}"


def is_internal(node: FieldNode) -> bool:
    return node.loc is None


def variables_in(value: ValueNode, found: set[str]) -> None:
    """Add the names of the variables used in an argument value to ``found``."""
    if isinstance(value, VariableNode):
        found.add(value.name.value)
    elif isinstance(value, ListValueNode):
        for item in value.values:
            variables_in(item, found)
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            variables_in(field.value, found)


class SubField:
    """One field of a subgraph selection: ``key: name(args) { … }``."""

    __slots__ = ("arguments", "key", "name", "selection")

    def __init__(self, key: str, name: str, arguments: tuple[ArgumentNode, ...]) -> None:
        self.key = key
        self.name = name
        self.arguments = arguments
        self.selection: SubSelection | None = None

    def sub(self) -> SubSelection:
        if self.selection is None:
            self.selection = SubSelection()
        return self.selection

    def print(self, out: list[str]) -> None:
        if self.key != self.name:
            out.append(f"{self.key}:")
        out.append(self.name)
        if self.arguments:
            args = " ".join(f"{a.name.value}:{print_ast(a.value)}" for a in self.arguments)
            out.append(f"({args})")
        if self.selection is not None:
            self.selection.print(out)


class SubSelection:
    """A mutable selection set; printed once planning is over."""

    __slots__ = ("fields", "fragments")

    def __init__(self) -> None:
        self.fields: dict[str, SubField] = {}
        self.fragments: dict[str, SubSelection] = {}

    def field(self, key: str, name: str, arguments: tuple[ArgumentNode, ...] = ()) -> SubField:
        found = self.fields.get(key)
        if found is None:
            found = self.fields[key] = SubField(key, name, arguments)
        return found

    def typename(self) -> None:
        self.field("__typename", "__typename")

    def fragment(self, type_name: str) -> SubSelection:
        found = self.fragments.get(type_name)
        if found is None:
            found = self.fragments[type_name] = SubSelection()
        return found

    def is_empty(self) -> bool:
        return not self.fields and all(f.is_empty() for f in self.fragments.values())

    def print(self, out: list[str]) -> None:
        out.append("{")
        first = True
        for field in self.fields.values():
            if not first:
                out.append(" ")
            first = False
            field.print(out)
        for type_name, fragment in self.fragments.items():
            if fragment.is_empty():
                continue
            if not first:
                out.append(" ")
            first = False
            out.append(f"...on {type_name}")
            fragment.print(out)
        if first:
            out.append("__typename")
        out.append("}")

    def text(self) -> str:
        out: list[str] = []
        self.print(out)
        return "".join(out)

    def freeze(self) -> RepSelection:
        """The representation shape this selection describes."""
        return RepSelection(
            # In a representation shape, a field's ``name`` is the response key it is read from.
            fields=tuple(
                RepField(f.key, f.selection.freeze() if f.selection is not None else None, f.name)
                for f in self.fields.values()
            ),
            fragments=tuple(
                (name, frag.freeze())
                for name, frag in self.fragments.items()
                if not frag.is_empty()
            ),
        )
