"""Arrange fetch groups into ``Sequence``/``Parallel`` nodes that respect their dependencies."""

from __future__ import annotations

from gateway.planner._batch import merge_siblings
from gateway.planner._groups import Group
from gateway.planner._locate import PlanningError
from gateway.planner._nodes import Fetch, Flatten, Parallel, PlanNode, Sequence
from gateway.planner._operation import Operation

__all__ = ["arrange"]


def _topological(groups: list[Group]) -> list[Group]:
    by_id = {g.id: g for g in groups}
    done: set[int] = set()
    visiting: set[int] = set()
    out: list[Group] = []

    def visit(group: Group) -> None:
        if group.id in done:
            return
        if group.id in visiting:
            raise PlanningError("fetch dependencies form a cycle")
        visiting.add(group.id)
        for dep in sorted(group.deps):
            visit(by_id[dep])
        visiting.discard(group.id)
        done.add(group.id)
        out.append(group)

    for group in groups:
        visit(group)
    return out


def _anchors(groups: list[Group]) -> dict[int, int] | None:
    """For each dependent group, the one it runs after; ``None`` if no tree fits the deps.

    A group may hang under dependency ``d`` when every other dependency is ``d`` or one of
    ``d``'s ancestors in the tree: they have all finished by the time ``d`` has.
    """
    anchor: dict[int, int] = {}

    def ancestors(group_id: int) -> set[int]:
        seen = {group_id}
        while group_id in anchor:
            group_id = anchor[group_id]
            seen.add(group_id)
        return seen

    for group in _topological(groups):
        if not group.deps:
            continue
        chosen = next((d for d in sorted(group.deps) if group.deps <= ancestors(d)), None)
        if chosen is None:
            return None
        anchor[group.id] = chosen
    return anchor


def _leaf(fetch: Fetch, group: Group) -> PlanNode:
    return Flatten(group.path, fetch, group.places) if group.entity else fetch


def _join(kind: type[Sequence] | type[Parallel], nodes: list[PlanNode]) -> PlanNode | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    flat: list[PlanNode] = []
    for node in nodes:
        flat.extend(node.nodes if isinstance(node, kind) else (node,))
    return kind(tuple(flat))


def arrange(groups: list[Group], roots: list[Group], operation: Operation) -> PlanNode | None:
    """The plan tree of the groups; root groups run in parallel, or in order for mutations.

    Sibling entity fetches to one subgraph at one level are merged first (:func:`merge_siblings`).
    """
    groups = merge_siblings(groups, operation)
    fetches = {g.id: g.freeze(operation, i) for i, g in enumerate(groups)}
    anchor = _anchors(groups)
    if anchor is None:
        return _by_stages(groups, roots, fetches, operation)
    children: dict[int, list[Group]] = {}
    for group in groups:
        if group.id in anchor:
            children.setdefault(anchor[group.id], []).append(group)

    def subtree(group: Group) -> PlanNode:
        node = _leaf(fetches[group.id], group)
        below = _join(Parallel, [subtree(c) for c in children.get(group.id, [])])
        return node if below is None else _join(Sequence, [node, below]) or node

    kind = Sequence if operation.kind == "mutation" else Parallel
    return _join(kind, [subtree(r) for r in roots])


def _by_stages(
    groups: list[Group], roots: list[Group], fetches: dict[int, Fetch], operation: Operation
) -> PlanNode | None:
    """Fallback: run groups in waves, each after every group it depends on."""
    level: dict[int, int] = {}
    for index, root in enumerate(roots):
        level[root.id] = index if operation.kind == "mutation" else 0
    for group in _topological(groups):
        if group.id not in level:
            level[group.id] = 1 + max(level[d] for d in group.deps)
    stages: dict[int, list[PlanNode]] = {}
    for group in groups:
        stages.setdefault(level[group.id], []).append(_leaf(fetches[group.id], group))
    waves = [_join(Parallel, stages[i]) for i in sorted(stages)]
    return _join(Sequence, [w for w in waves if w is not None])
