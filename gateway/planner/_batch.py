"""Merged entity fetches: one ``_entities`` call per subgraph per level of a plan.

The builder opens one entity group per subgraph and *place* (the path of the objects it
completes), so a query that reaches the same subgraph at several places (fedbench: products
at four paths) plans a fetch for each. Here the entity groups of one plan part are given a
*level* (a root or a group without dependencies is level 0, any other one more than its
deepest dependency) and the entity groups of one subgraph at one level are merged into one:
one request whose ``_entities`` representations come from every place, deduplicated, the
results scattered back to each (``gateway.executor._run``).

Merging never makes a cycle: every dependency of a merged group is at a lower level, every
group that depends on one at a higher level. It may make a fetch wait longer (for the slowest
of its members' dependencies), never for a fetch of its own level. A fetch that no fetch needs
soon is first *postponed* to a later level where it can join one to the same subgraph, as
long as that is before the first fetch that depends on it (fedbench: inventory for the top
products, needed by nothing, joins inventory for the other products two levels later): no
level is added.

Two groups merge only where one ``_entities`` call can stand for both: for each type they
both send, the same representation shape (key, ``@requires`` fields) and the same selection;
types only one sends may differ freely (each representation's ``__typename`` picks its
fragment). Groups sending representations under another type's name (``@interfaceObject``,
entity interfaces) are left alone, as are the fetches of mutations and subscriptions; each
``@defer`` part is planned apart (``gateway.planner._defer``), so a deferred part keeps its own
fetches.
"""

from __future__ import annotations

import dataclasses

from gateway.planner._groups import Group
from gateway.planner._nodes import EntityPlace
from gateway.planner._operation import Operation

__all__ = ["merge_siblings"]


def merge_siblings(groups: list[Group], operation: Operation) -> list[Group]:
    """``groups`` with the mergeable entity groups of each subgraph and level merged (the
    merged group takes the first member's id and place in the list)."""
    if operation.kind != "query":
        return groups
    level = _levels(groups)
    if level is None:
        return groups  # a cycle: arrange reports it
    _postpone(groups, level)
    slots: dict[tuple[int, str], list[list[Group]]] = {}
    for group in groups:
        if not _mergeable(group):
            continue
        batches = slots.setdefault((level[group.id], group.service), [])
        batch = next((b for b in batches if all(_compatible(group, m) for m in b)), None)
        if batch is None:
            batches.append([group])
        else:
            batch.append(group)
    merged: dict[int, Group] = {}  # member id -> the merged group
    for batches in slots.values():
        for batch in batches:
            if len(batch) > 1:
                batched = _merge(batch)
                merged.update((m.id, batched) for m in batch)
    if not merged:
        return groups
    out: list[Group] = []
    for group in groups:
        one = merged.get(group.id)
        if one is not None and one.id != group.id:
            continue  # merged into the group of an earlier member
        if one is not None:
            one.deps = {merged[d].id if d in merged else d for d in one.deps}
            out.append(one)
            continue
        deps = {merged[d].id if d in merged else d for d in group.deps}
        out.append(group if deps == group.deps else dataclasses.replace(group, deps=deps))
    return out


def _mergeable(group: Group) -> bool:
    return group.entity and not group.rep_as and not group.selection.fields


def _postpone(groups: list[Group], level: dict[int, int]) -> None:
    """Move a fetch that nothing needs soon to a later level where it can join a fetch to the
    same subgraph: at most to one level before the earliest fetch that depends on it, so no
    level is added and no fetch waits longer for it."""
    last = max(level.values(), default=0)
    dependents: dict[int, list[int]] = {}
    for group in groups:
        for dep in group.deps:
            dependents.setdefault(dep, []).append(group.id)
    for group in sorted(groups, key=lambda g: -level[g.id]):
        if not _mergeable(group):
            continue
        after = [level[d] for d in dependents.get(group.id, ()) if d in level]
        bound = min(after) - 1 if after else last
        joins = [
            level[other.id]
            for other in groups
            if other is not group
            and other.service == group.service
            and level[group.id] < level[other.id] <= bound
            and _mergeable(other)
            and _compatible(group, other)
        ]
        if joins:
            level[group.id] = min(joins)


def _levels(groups: list[Group]) -> dict[int, int] | None:
    """Each group's level: 0 without dependencies (in this part), else one more than the
    highest of its dependencies'; ``None`` if the dependencies form a cycle."""
    by_id = {g.id: g for g in groups}
    level: dict[int, int] = {}
    for start in groups:
        stack = [start]
        visiting: set[int] = set()
        while stack:
            group = stack[-1]
            if group.id in level:
                stack.pop()
                continue
            pending = [by_id[d] for d in group.deps if d in by_id and d not in level]
            if pending:
                if group.id in visiting:
                    return None
                visiting.add(group.id)
                stack.extend(pending)
                continue
            deps = [level[d] for d in group.deps if d in by_id]
            level[group.id] = 1 + max(deps) if deps else 0
            stack.pop()
    return level


def _compatible(a: Group, b: Group) -> bool:
    """Whether one ``_entities`` call can stand for both groups (see the module's text)."""
    for type_name in a.selection.fragments.keys() & b.selection.fragments.keys():
        if a.selection.fragments[type_name].text() != b.selection.fragments[type_name].text():
            return False
    for type_name in a.reps.fragments.keys() & b.reps.fragments.keys():
        if a.reps.fragments[type_name].freeze() != b.reps.fragments[type_name].freeze():
            return False
        if a.key_fields.get(type_name) != b.key_fields.get(type_name):
            return False
    return True


def _merge(batch: list[Group]) -> Group:
    """One group for the compatible groups of ``batch``, completing objects at all their places."""
    first = batch[0]
    one = Group(first.id, first.service, first.path, True, first.parent)
    places: dict[tuple[str, ...], set[str]] = {}
    for group in batch:
        for type_name, fragment in group.selection.fragments.items():
            one.selection.fragments.setdefault(type_name, fragment)
        for type_name, fragment in group.reps.fragments.items():
            one.reps.fragments.setdefault(type_name, fragment)
        for type_name, keys in group.key_fields.items():
            one.key_fields.setdefault(type_name, keys)
        for type_name, sel in group.parent_selections.items():
            one.parent_selections.setdefault(type_name, sel)
        one.variables |= group.variables
        one.deps |= group.deps
        places.setdefault(group.path, set()).update(group.reps.fragments)
    one.places = tuple(EntityPlace(path, frozenset(types)) for path, types in places.items())
    return one
