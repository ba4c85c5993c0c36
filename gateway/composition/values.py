"""Literal values as Apollo's ``valueToString`` writes them in a supergraph: strings as JSON,
never as blocks, lists and objects on one line."""

from __future__ import annotations

import orjson
from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    print_ast,
)

__all__ = ["print_string", "print_value"]


def print_string(value: str) -> str:
    return orjson.dumps(value).decode()


def print_value(node: ValueNode) -> str:
    if isinstance(node, StringValueNode):
        return print_string(node.value)
    if isinstance(node, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    if isinstance(node, ObjectValueNode):
        return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields) + "}"
    assert isinstance(
        node,
        IntValueNode | FloatValueNode | BooleanValueNode | EnumValueNode | NullValueNode,
    ), node
    return print_ast(node)
