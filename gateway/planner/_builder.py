"""Plan an operation into fetch groups: which subgraph fetches which field, and what it needs."""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLAbstractType, GraphQLUnionType, SelectionNode

from gateway.planner._defer import DeferringHops
from gateway.planner._groups import Group
from gateway.planner._locate import PlanningError, Where, named_type
from gateway.planner._operation import CollectedField
from gateway.planner._reentry import Step
from gateway.planner._selection import SubSelection, internal_key, is_internal, variables_in

__all__ = ["GroupBuilder", "PlanningError"]


class GroupBuilder(DeferringHops):
    """Builds the fetch groups of one operation; ``build`` returns the root groups in order."""

    def build(self) -> list[Group]:
        root_type = {
            "query": self.sg.query_type,
            "mutation": self.sg.mutation_type,
            "subscription": self.sg.subscription_type,
        }[self.operation.kind]
        if root_type is None:
            raise PlanningError(f"the schema has no {self.operation.kind} type")
        self.plan_roots(self.operation.definition.selection_set.selections, root_type, self.roots)
        return self.roots

    def plan_roots(
        self, selections: Sequence[SelectionNode], root_type: str, roots: list[Group]
    ) -> None:
        """Plan root fields into ``roots``; deferred ones into root groups of their own."""
        for cf in self.locate.collect(selections, root_type):
            if cf.name.startswith("__"):
                continue  # __typename, __schema, __type: answered by the gateway
            info = self.locate.field_info(root_type, cf)
            candidates = self.locate.resolvers(root_type, info)
            if not candidates:
                raise PlanningError("no subgraph resolves it", f"{root_type}.{cf.name}")
            if self.operation.kind == "mutation":
                # Mutations run in document order: only the last group may take the field.
                reusable = [roots[-1]] if roots and roots[-1].service in candidates else []
            else:
                reusable = [g for g in roots if g.service in candidates]
            reusable = [g for g in reusable if self.may_join_root(g)]
            open_in = {g.service: g for g in reversed(reusable)}
            # The subgraph that misses least of what is asked; an open fetch breaks a tie.
            service = min(
                candidates,
                key=lambda s: (
                    self.locate.misses_field(s, root_type, cf, None),
                    0 if s in open_in else 1,
                    self.locate.order[s],
                ),
            )
            group = open_in.get(service) or self.new_group(service, (), False, None)
            if group not in roots:
                roots.append(group)
            self.plan_field(group, group.selection, root_type, cf, (), None, False)
        for node in self.deferred_here(selections, root_type):
            with self.deferring(node, (), root_type):
                self.plan_roots(self.fragment_selections(node), root_type, roots)

    def plan_selection(
        self,
        group: Group,
        sel: SubSelection,
        type_name: str,
        selections: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Plan ``selections`` on an object of ``type_name`` that ``group`` fetches at ``path``.

        Returns the groups that fetch those fields at this path.
        """
        schema_type = self.schema.type_map[type_name]
        if self.locate.is_interface_object(group.service, type_name):
            return self.plan_interface_object(
                group, sel, type_name, selections, path, provided, top
            )
        if isinstance(schema_type, GraphQLAbstractType):
            sel.typename()
            groups = {group}
            runtimes = self.locate.runtime_types(group.service, type_name)
            agreed = self.agreed_members(group, type_name)
            if agreed is not None:
                runtimes = [r for r in runtimes if r in agreed]
            elif not runtimes:
                self.refuse_unreachable(group, type_name, selections, provided)
            for runtime in runtimes:
                fragment = sel.fragment(runtime)
                groups |= self.plan_selection(
                    group, fragment, runtime, selections, path, provided, top
                )
            return groups
        groups = set()
        for cf in self.locate.collect(selections, type_name):
            groups |= self.plan_field(group, sel, type_name, cf, path, provided, top)
        if self.deferred:
            groups |= self.plan_deferred(group, sel, type_name, selections, path, provided, top)
        return groups

    def agreed_members(self, group: Group, union: str) -> frozenset[str] | None:
        """The members of ``union`` that every subgraph which could answer the field being
        planned agrees on; ``None`` unless it is a union that several could answer.

        A ``@shareable`` field resolves the same whichever subgraph answers it, so its value
        can only be a member they all have (the composition rules' reading): fragments on
        the others are not fetched, from whichever subgraph the plan asks.
        """
        if not isinstance(self.schema.type_map[union], GraphQLUnionType) or not self.trail:
            return None
        step = self.trail[-1]
        if step.group is not group:
            return None
        info = self.locate.field_info(step.parent, step.cf)
        candidates = [
            s
            for s in self.locate.resolvers(step.parent, info)
            if self.reaches(s, group, step.parent, step.cf)
        ]
        if len(candidates) < 2:
            return None
        agreed = self.locate.members_in(candidates[0], info, union)
        for service in candidates[1:]:
            agreed &= self.locate.members_in(service, info, union)
        return agreed

    def refuse_unreachable(
        self,
        group: Group,
        abstract: str,
        selections: Sequence[SelectionNode],
        provided: Sequence[SelectionNode] | None,
    ) -> None:
        """Refuse a field of ``abstract`` that ``group``'s subgraph, which has no object type
        of it, lacks: no object it returns could be completed by another subgraph.

        (An ``@interfaceObject`` elsewhere with a ``resolvable: false`` key has the field, but
        cannot be entered: without a type to enter any subgraph at, nothing can fetch it.)
        """
        for cf in self.locate.collect(selections, abstract):
            if cf.name == "__typename":
                continue
            info = self.locate.field_info(abstract, cf)
            if self.locate.where(group.service, abstract, info, provided) is not Where.LOCAL:
                others = ", ".join(self.locate.resolvers(abstract, info))
                raise PlanningError(
                    f"{group.service} has no object type of {abstract}, nor the field; "
                    f"no key leads to the subgraphs that have it ({others})",
                    f"{abstract}.{cf.name}",
                )

    def plan_interface_object(
        self,
        group: Group,
        sel: SubSelection,
        interface: str,
        selections: Sequence[SelectionNode],
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Plan a selection on an interface that ``group``'s subgraph has as an object type.

        Fields of the interface are planned as on an object. ``__typename`` and fragments on
        implementations need the object's real type, which only an owner of the interface
        knows: they go to the owner in one entity fetch, whose ``__typename`` replaces the
        interface name the interface-object subgraph answered.
        """
        if not top:
            # Where the objects are first selected; an entity fetch's objects have a type
            # already, which the interface name must not overwrite.
            sel.typename()
        groups = {group}
        needs_type = False
        for cf in self.locate.collect(selections, interface):
            needs_type = needs_type or cf.name == "__typename"
            groups |= self.plan_field(group, sel, interface, cf, path, provided, top)
        typed = self.locate.typed_fragments(selections, interface)
        owners = self.locate.owners(interface)
        if (needs_type or typed) and owners:
            service = next((o for o in owners if (o, path) in group.children), owners[0])
            key = self.sg.type(interface).resolvable_keys(service)[0].fields
            groups |= self.enter(
                group, sel, interface, interface, service, key, typed, path, provided, top
            )
        return groups

    def plan_field(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        try:
            return self.plan_one(group, sel, parent, cf, path, provided, top)
        except PlanningError as error:
            if error.coordinate is None:  # the innermost field being planned is the one
                error.coordinate = f"{parent}.{cf.name}"
            raise

    def plan_one(
        self,
        group: Group,
        sel: SubSelection,
        parent: str,
        cf: CollectedField,
        path: tuple[str, ...],
        provided: Sequence[SelectionNode] | None,
        top: bool,
    ) -> set[Group]:
        """Plan one field of ``parent`` (what :meth:`plan_field` names in a failure)."""
        if cf.name == "__typename":
            sel.field(cf.key, "__typename", (), "String!")
            return {group}
        self.mark(group)
        info = self.locate.field_info(parent, cf)
        where = self.locate.where(group.service, parent, info, provided, top)
        if where is Where.NO or (where is Where.REQUIRES and not top):
            return self.jump(group, sel, parent, cf, path, provided, top)
        arguments = tuple(cf.first.arguments or ())
        for argument in arguments:
            variables_in(argument.value, group.variables)
        key = internal_key(cf.first, self.reused) if is_internal(cf.first) else cf.data_key
        sub = sel.field(key, cf.name, arguments, self.locate.field_type(group.service, info))
        groups = {group}
        if where is Where.REQUIRES:
            source = info.source(group.service)
            assert source is not None and source.requires
            groups |= self.add_requires(group, parent, source.requires, path)
        if cf.first.selection_set is not None:
            named, lists = named_type(info.type)
            child_path = (*path, key, *("@",) * lists)
            child_provided = self.locate.child_provided(group.service, parent, info, provided)
            child = sub.sub()
            if isinstance(self.schema.type_map[named], GraphQLAbstractType):
                child.typename()  # even where the subgraph's type is an object type
            # On the trail: the way back up, should a value type below lack a field here.
            self.trail.append(Step(group, sel, parent, cf, path, provided, top))
            try:
                groups |= self.plan_selection(
                    group,
                    child,
                    self.locate.child_type(group.service, info),
                    cf.sub_selections(),
                    child_path,
                    child_provided,
                    False,
                )
            finally:
                self.trail.pop()
        return groups
