"""A query plan for people: Apollo Router's text shape (:func:`plan_text`) and its JSON shape
(:func:`plan_json`), as ``crossdock plan`` prints them and ``Apollo-Expose-Query-Plan`` returns
them.

The text reads top-down: ``Sequence`` runs its children one after another, ``Parallel`` at
once, ``Flatten(path: "a.@.b")`` runs its fetch on every object at that path (``@`` steps into
a list), ``Flatten(paths: [...])`` a merged fetch on the objects at each of its paths (with
the types it sends from there, ``"a.@" on User``, when not all of them),
``Fetch(service: "x")`` is one request to subgraph ``x``, shown as the operation it sends;
an entity fetch shows what it requires of each object (``{ ... on T { key } } =>``) and what
it selects in ``_entities``. A plan with ``@defer`` is a ``Defer`` node: its
``Primary`` part, then each ``Deferred`` part with the path of the objects it completes.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    OperationDefinitionNode,
    parse,
    print_ast,
)

from gateway.planner._nodes import (
    DeferredPart,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RepSelection,
    Sequence,
)

__all__ = ["plan_json", "plan_text"]

_INDENT = "  "


def plan_text(plan: QueryPlan) -> str:
    """The plan in Apollo Router's text shape (``QueryPlan { Sequence { Fetch(...) ... } }``)."""
    lines = ["QueryPlan {"]
    if plan.deferred:
        _defer_text(plan, 1, lines)
    elif plan.node is not None:
        _node_text(plan.node, 1, lines)
    lines.append("}")
    return "\n".join(lines)


def plan_json(plan: QueryPlan) -> dict[str, Any]:
    """The plan in Apollo's JSON shape: ``{"kind": "QueryPlan", "node": ...}`` with nodes of
    ``kind`` ``Sequence``/``Parallel`` (``nodes``), ``Flatten`` (``path``, ``node``),
    ``Fetch`` (``serviceName``, ``operation``, ``operationKind``, ``variableUsages``,
    ``requires``) and ``Defer`` (``primary``, ``deferred``)."""
    if plan.deferred:
        node: dict[str, Any] | None = _defer_json(plan)
    else:
        node = None if plan.node is None else _node_json(plan.node)
    return {"kind": "QueryPlan", "node": node}


# Text


def _node_text(node: PlanNode, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    if isinstance(node, Fetch):
        lines.append(f'{pad}Fetch(service: "{node.service}") {{')
        for line in _fetch_body(node):
            lines.append(f"{pad}{_INDENT}{line}")
        lines.append(f"{pad}}},")
    elif isinstance(node, Flatten) and node.batch:
        # A merged fetch: every place, with the types sent from it unless it sends them all.
        every = frozenset(node.node.requires_by_type)
        lines.append(f"{pad}Flatten(paths: [")
        for place in node.batch:
            types = "" if place.types == every else " on " + " | ".join(sorted(place.types))
            lines.append(f'{pad}{_INDENT}"{".".join(place.path)}"{types},')
        lines.append(f"{pad}]) {{")
        _node_text(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    elif isinstance(node, Flatten):
        lines.append(f'{pad}Flatten(path: "{".".join(node.path)}") {{')
        _node_text(node.node, depth + 1, lines)
        lines.append(f"{pad}}},")
    else:
        lines.append(f"{pad}{type(node).__name__} {{")
        for child in node.nodes:
            _node_text(child, depth + 1, lines)
        lines.append(f"{pad}}},")


def _defer_text(plan: QueryPlan, depth: int, lines: list[str]) -> None:
    pad = _INDENT * depth
    lines.append(f"{pad}Defer {{")
    lines.append(f"{pad}{_INDENT}Primary {{")
    if plan.node is not None:
        _node_text(plan.node, depth + 2, lines)
    lines.append(f"{pad}{_INDENT}}}, [")
    for index, part in enumerate(plan.deferred):
        lines.append(f"{pad}{_INDENT}{_INDENT}{_deferred_head(index, part)} {{")
        if part.node is not None:
            _node_text(part.node, depth + 3, lines)
        lines.append(f"{pad}{_INDENT}{_INDENT}}},")
    lines.append(f"{pad}{_INDENT}]")
    lines.append(f"{pad}}},")


def _deferred_head(index: int, part: DeferredPart) -> str:
    args = [f"id: {index}"]
    if part.label is not None:
        args.append(f'label: "{part.label}"')
    args.append(f'path: "{".".join(part.path)}"')
    args.append(f'type: "{part.type_name}"')
    depends = [*(() if part.parent is None else (part.parent,)), *part.after]
    if depends:
        args.append(f"depends: [{', '.join(str(d) for d in dict.fromkeys(depends))}]")
    return f"Deferred({', '.join(args)})"


def _fetch_body(fetch: Fetch) -> list[str]:
    """The operation a fetch sends, pretty-printed; an entity fetch as ``requires =>`` the
    selection it makes in ``_entities``, as Apollo prints it."""
    if not fetch.is_entity_fetch:
        return _pretty(fetch.operation).splitlines()
    required = "\n".join(_requires_text(fetch.requires or ()))
    return [*required.splitlines(), "} =>", *_entities_selection(fetch.operation)]


def _pretty(operation: str) -> str:
    try:
        return print_ast(parse(operation, no_location=True))
    except Exception:  # a text of our own making always parses; never fail to print a plan
        return operation


def _entities_selection(operation: str) -> list[str]:
    """What an entity fetch selects inside ``_entities(representations:)``."""
    try:
        document = parse(operation, no_location=True)
        definition = document.definitions[0]
        assert isinstance(definition, OperationDefinitionNode)
        entities = definition.selection_set.selections[0]
        assert isinstance(entities, FieldNode) and entities.selection_set is not None
    except Exception:
        return operation.splitlines()
    return print_ast(entities.selection_set).splitlines()


def _requires_text(requires: tuple[tuple[str, RepSelection], ...]) -> list[str]:
    lines = ["{"]
    for type_name, selection in requires:
        lines.append(f"{_INDENT}... on {type_name} {{")
        lines.extend(_rep_lines(selection, 2))
        lines.append(f"{_INDENT}}}")
    return lines


def _rep_lines(selection: RepSelection, depth: int) -> list[str]:
    pad = _INDENT * depth
    lines: list[str] = []
    for field in selection.fields:
        if field.selection is None:
            lines.append(f"{pad}{field.name}")
        else:
            lines.append(f"{pad}{field.name} {{")
            lines.extend(_rep_lines(field.selection, depth + 1))
            lines.append(f"{pad}}}")
    for type_name, part in selection.fragments:
        lines.append(f"{pad}... on {type_name} {{")
        lines.extend(_rep_lines(part, depth + 1))
        lines.append(f"{pad}}}")
    return lines


# JSON


def _node_json(node: PlanNode) -> dict[str, Any]:
    if isinstance(node, Fetch):
        return _fetch_json(node)
    if isinstance(node, Flatten):
        out: dict[str, Any] = {"kind": "Flatten", "path": list(node.path)}
        if node.batch:  # a merged fetch (ours; Apollo's plans have one path per Flatten)
            out["paths"] = [
                {"path": list(place.path), "types": sorted(place.types)} for place in node.batch
            ]
        out["node"] = _fetch_json(node.node)
        return out
    kind = "Sequence" if isinstance(node, Sequence) else "Parallel"
    assert isinstance(node, Sequence | Parallel)
    return {"kind": kind, "nodes": [_node_json(child) for child in node.nodes]}


def _fetch_json(fetch: Fetch) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "Fetch",
        "serviceName": fetch.service,
        "variableUsages": list(fetch.variables),
        "operation": fetch.operation,
        "operationKind": fetch.operation_kind,
    }
    if fetch.requires is not None:
        out["requires"] = [
            {
                "kind": "InlineFragment",
                "typeCondition": type_name,
                "selections": _rep_json(selection),
            }
            for type_name, selection in fetch.requires
        ]
    return out


def _rep_json(selection: RepSelection) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for field in selection.fields:
        item: dict[str, Any] = {"kind": "Field", "name": field.name}
        if field.selection is not None:
            item["selections"] = _rep_json(field.selection)
        out.append(item)
    for type_name, part in selection.fragments:
        out.append(
            {"kind": "InlineFragment", "typeCondition": type_name, "selections": _rep_json(part)}
        )
    return out


def _defer_json(plan: QueryPlan) -> dict[str, Any]:
    deferred = []
    for index, part in enumerate(plan.deferred):
        depends = [*(() if part.parent is None else (part.parent,)), *part.after]
        deferred.append(
            {
                "id": str(index),
                "label": part.label,
                "path": list(part.path),
                "typeCondition": part.type_name,
                "depends": [{"id": str(d)} for d in dict.fromkeys(depends)],
                "node": None if part.node is None else _node_json(part.node),
            }
        )
    primary = {"node": None if plan.node is None else _node_json(plan.node)}
    return {"kind": "Defer", "primary": primary, "deferred": deferred}
