"""Fetch groups: the mutable fetches a plan is assembled from, before they are frozen."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from graphql import print_ast

from gateway.planner._nodes import EntityPlace, Fetch
from gateway.planner._operation import Operation
from gateway.planner._selection import SubSelection, separate_conflicts

__all__ = ["Group"]


@dataclass(eq=False)
class Group:
    """One future request to one subgraph.

    A root group selects from the root type; an entity group selects ``... on T`` inside
    ``_entities`` for the objects at ``path``, whose representations (``reps``) come from the
    data its dependencies fetched.
    """

    id: int
    service: str
    path: tuple[str, ...]
    entity: bool
    parent: Group | None
    selection: SubSelection = field(default_factory=SubSelection)
    reps: SubSelection = field(default_factory=SubSelection)
    # Per entity type: where the parent group selects the objects this group completes.
    parent_selections: dict[str, SubSelection] = field(default_factory=dict)
    deps: set[int] = field(default_factory=set)
    children: dict[tuple[str, tuple[str, ...]], Group] = field(default_factory=dict)
    variables: set[str] = field(default_factory=set)
    key_fields: dict[str, set[str]] = field(default_factory=dict)
    # Per entity type: the ``__typename`` its representations are sent with, when it is not
    # the object's own (an interface the subgraph has as an ``@interfaceObject``).
    rep_as: dict[str, str] = field(default_factory=dict)
    # A group merged from sibling entity groups (``gateway.planner._batch``): the places of
    # the objects it completes, each with the types sent from there.
    places: tuple[EntityPlace, ...] = ()

    def freeze(self, operation: Operation, index: int) -> Fetch:
        """The :class:`Fetch` this group became."""
        names = sorted(self.variables)
        definitions = {
            d.variable.name.value: print_ast(d)
            for d in operation.definition.variable_definitions or ()
        }
        var_defs = [definitions[name] for name in names if name in definitions]
        op_name = f"{operation.name}__{self.service}__{index}" if operation.name else ""
        renames = separate_conflicts(self.selection)
        if self.entity:
            var_defs.insert(0, "$representations:[_Any!]!")
            text = (
                f"query {op_name}({','.join(var_defs)})"
                "{_entities(representations:$representations)" + self.selection.text() + "}"
            )
            requires = tuple(
                (
                    t,
                    dataclasses.replace(
                        sel.freeze(),
                        keys=tuple(sorted(self.key_fields.get(t, ()))),
                        as_type=self.rep_as.get(t, ""),
                    ),
                )
                for t, sel in self.reps.fragments.items()
            )
            kind = "query"
        else:
            kind = operation.kind
            head = f"{kind} {op_name}" + (f"({','.join(var_defs)})" if var_defs else "")
            text = ("" if head == "query " else head) + self.selection.text()
            requires = None
        return Fetch(
            id=self.id,
            service=self.service,
            operation=text,
            operation_kind=kind,
            variables=tuple(n for n in names if n in definitions),
            requires=requires,
            root_keys=() if self.entity else tuple(self.selection.fields),
            renames=tuple(renames.items()),
        )
