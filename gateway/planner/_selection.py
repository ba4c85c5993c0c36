"""A subgraph selection set under construction: fields by response key, fragments by type."""

from __future__ import annotations

import zlib

from graphql import ArgumentNode, FieldNode, ValueNode, VariableNode, print_ast
from graphql.language import ListValueNode, ObjectValueNode

from gateway.planner._nodes import RepField, RepSelection

__all__ = ["SubField", "SubSelection", "internal_key", "separate_conflicts", "variables_in"]


def internal_key(node: FieldNode, reused: frozenset[str] = frozenset()) -> str:
    """The response key of a field the planner adds for a key or ``@requires``.

    Field sets come without locations (``parse_fieldset``), client fields with them. A
    required field with arguments gets an alias of its own, so that it never collides with
    the same field selected by the client with other arguments; so does a field whose name
    the client uses as a response key for something else (``reused``, as in ``{ id: name }``).
    """
    name = node.name.value
    if not node.arguments and name not in reused:
        return name
    printed = ",".join(f"{a.name.value}:{print_ast(a.value)}" for a in node.arguments or ())
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

    __slots__ = ("arguments", "key", "name", "selection", "type")

    def __init__(
        self, key: str, name: str, arguments: tuple[ArgumentNode, ...], type_: str = ""
    ) -> None:
        self.key = key
        self.name = name
        self.arguments = arguments
        # The field's type in the subgraph (``ID!``): fields of one key must agree on it.
        self.type = type_
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

    def field(
        self, key: str, name: str, arguments: tuple[ArgumentNode, ...] = (), type_: str = ""
    ) -> SubField:
        found = self.fields.get(key)
        if found is None:
            found = self.fields[key] = SubField(key, name, arguments, type_)
        return found

    def typename(self) -> None:
        self.field("__typename", "__typename", (), "String!")

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


def separate_conflicts(selection: SubSelection) -> dict[str, str]:
    """Alias apart the fields of one key whose types differ between sibling fragments.

    ``... on User { id } ... on Admin { id }`` is invalid where ``User.id`` is ``ID!`` and
    ``Admin.id`` is ``ID`` (fields in a set must merge), though the supergraph may type both
    ``ID``. The later type's field becomes ``id__Admin``. Returns alias -> response key, for
    the executor to put the data back under the client's key.
    """
    renames: dict[str, str] = {}
    _separate([selection], renames)
    return renames


def _separate(selections: list[SubSelection], renames: dict[str, str]) -> None:
    # Fields of the given selections, which the subgraph merges: by key, with their fragment.
    by_key: dict[str, list[tuple[str | None, SubField, dict[str, SubField]]]] = {}
    for selection in selections:
        parts: list[tuple[str | None, dict[str, SubField]]] = [(None, selection.fields)]
        parts += [(t, f.fields) for t, f in selection.fragments.items()]
        for type_name, fields in parts:
            for field in fields.values():
                by_key.setdefault(field.key, []).append((type_name, field, fields))
    merged: dict[str, list[SubSelection]] = {}
    for key, entries in by_key.items():
        first = entries[0][1].type
        for type_name, field, fields in entries:
            if type_name is not None and field.type and first and field.type != first:
                alias = f"{key}__{type_name}"
                del fields[key]
                fields[alias] = field
                field.key = alias
                renames[alias] = key
            if field.selection is not None:
                merged.setdefault(field.key, []).append(field.selection)
    for group in merged.values():
        _separate(group, renames)
