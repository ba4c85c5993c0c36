"""Shape merged subgraph data into exactly the response the operation asked for."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    execute_sync,
)

from gateway.executor._merge import ResponsePath
from gateway.planner import CollectedField, Operation, collect_fields
from gateway.wire import GraphQLError

__all__ = ["CostMeter", "Price", "hidden_enums", "shape_object", "shape_response"]


class Price(NamedTuple):
    """What one response key costs (demand control's actual cost), in the shape's entry.

    ``as_object`` for each object it holds, ``as_leaf`` for anything else (a scalar, an enum,
    null), each item of a list counted; ``arguments`` is the meter's, priced once per request.
    """

    as_object: float
    as_leaf: float
    arguments: object | None


class CostMeter(Protocol):
    """Demand control's actual cost, measured while the response is shaped (one walk).

    ``key`` tells apart shapes priced by other meters; ``price`` is asked once per shape
    entry (kept in the operation's shapes), ``arguments`` once per request and entry that
    has arguments; the shaper sets ``measured`` to the cost of what it answered (None until it has).
    """

    key: object
    measured: float | None

    def price(self, parent: str, name: str, node: FieldNode) -> Price | None: ...

    def arguments(self, token: object) -> float: ...


class _Invalid:
    """A null at a non-null position, already reported, propagating to its parent."""


_INVALID = _Invalid()

# What an entry of an object's shape does with its response key: copy a leaf value (the
# bulk of a response, so it has its own kinds), shape a list or object, or answer itself.
# A field authorization withheld is answered null, whatever the subgraphs sent.
_LEAF, _NON_NULL_LEAF, _FIELD, _TYPENAME, _INTROSPECT, _WITHHELD, _ENUM, _NON_NULL_ENUM = range(8)

# Per API schema: the enums some of whose values are @inaccessible (see hidden_enums).
_HIDDEN: weakref.WeakKeyDictionary[GraphQLSchema, frozenset[str]] = weakref.WeakKeyDictionary()


def hidden_enums(api_schema: GraphQLSchema, schema: GraphQLSchema) -> frozenset[str]:
    """The enums of ``api_schema`` that lack values ``schema`` (the supergraph's) has.

    A subgraph may send such an ``@inaccessible`` value; the client's schema has no such
    value, so the shaper answers null for it. Only these enums are checked: with none
    hidden, enum values are copied as they come, at no cost. Computed once per schema.
    """
    found = _HIDDEN.get(api_schema)
    if found is None:
        found = frozenset(
            name
            for name, api_type in api_schema.type_map.items()
            if isinstance(api_type, GraphQLEnumType)
            and isinstance(full := schema.type_map.get(name), GraphQLEnumType)
            and set(full.values) - set(api_type.values)
        )
        _HIDDEN[api_schema] = found
    return found


class _Entry(NamedTuple):
    """One response key of an object of one runtime type: how to fill it."""

    kind: int
    key: str
    data_key: str
    type_: GraphQLOutputType | None
    cf: CollectedField
    # Its actual cost (None: free, or no meter).
    price: Price | None = None


def _entry(
    cf: CollectedField, type_: GraphQLOutputType, hidden: frozenset[str], price: Price | None
) -> _Entry:
    if hidden:
        named = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(named, GraphQLEnumType) and named.name in hidden:
            kind = _NON_NULL_ENUM if named is not type_ else _ENUM
            return _Entry(kind, cf.key, cf.data_key, named, cf, price)
    if isinstance(type_, GraphQLNonNull) and isinstance(
        type_.of_type, GraphQLScalarType | GraphQLEnumType
    ):
        return _Entry(_NON_NULL_LEAF, cf.key, cf.data_key, type_, cf, price)
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        return _Entry(_LEAF, cf.key, cf.data_key, type_, cf, price)
    return _Entry(_FIELD, cf.key, cf.data_key, type_, cf, price)


def _outer(value: Any, price: Price) -> float:
    """What ``value`` costs at its own level (the objects inside it are priced as shaped)."""
    if isinstance(value, dict):
        return price.as_object
    if not isinstance(value, list):
        return price.as_leaf
    cost = 0.0
    for item in value:
        if item.__class__ is dict:
            cost += price.as_object
        elif isinstance(item, list):
            cost += _outer(item, price)
        else:
            cost += price.as_leaf
    return cost


class _Shape(NamedTuple):
    """The fields an object of one runtime type gets under one selection, in response order."""

    runtime: str
    entries: tuple[_Entry, ...]


# Shapes by (the collected field whose sub-selections they are, or None at the root, the
# object's ``__typename``). The collected fields are the cache's own, so ids stay unique.
_Shapes = dict[tuple[int, Any], _Shape | None]


class _Shaper:
    def __init__(
        self,
        schema: GraphQLSchema,
        operation: Operation,
        variables: Mapping[str, Any],
        errors: list[GraphQLError],
        failed: Sequence[ResponsePath],
        hidden: frozenset[str],
        exclude: frozenset[int] = frozenset(),
        meter: CostMeter | None = None,
    ) -> None:
        self.schema = schema
        # Demand control's actual cost of what is answered, summed as it is shaped.
        self.meter = meter
        self.cost = 0.0
        # Fragments left out (deferred ones, sent in payloads of their own).
        self.exclude = exclude
        self.hidden = hidden
        self.operation = operation
        self.variables = variables
        self.errors = errors
        self.quiet = [tuple(p) for p in failed]
        self.quiet.extend(tuple(e["path"]) for e in errors if "path" in e)
        self.quiet_all = any("path" not in e for e in errors)
        # The response path of the value being shaped, as a stack: a list is only made for
        # an error.
        self.path: ResponsePath = []
        key = (
            schema,
            operation.conditions(variables),
            hidden,
            exclude,
            None if meter is None else meter.key,
        )
        shapes = operation.derived.get(key)
        if shapes is None:
            shapes = operation.derived[key] = {}
        self.shapes: _Shapes = shapes
        # With authorization's removals (``Operation.withheld``): each field's nodes that are
        # left, by the id of its collected field; only their sub-selections may answer.
        self.left: dict[int, tuple[FieldNode, ...]] = {}
        if operation.withheld:
            self.left = operation.derived.setdefault((key, "left"), {})

    def null_error(self, parent: str, cf: CollectedField) -> None:
        here = tuple(self.path)
        if self.quiet_all or any(here[: len(q)] == q or q[: len(here)] == here for q in self.quiet):
            return
        self.errors.append(
            {
                "message": f"Cannot return null for non-nullable field {parent}.{cf.name}.",
                "path": list(self.path),
            }
        )

    def shape(
        self,
        owner: CollectedField | None,
        static: GraphQLObjectType | GraphQLAbstractType,
        typename: Any,
    ) -> _Shape | None:
        """The shape of an object typed ``typename`` under ``owner`` (computed once)."""
        key = (id(owner), typename)
        try:
            return self.shapes[key]
        except KeyError:
            pass
        except TypeError:  # an unhashable __typename from a subgraph
            return self._shape(owner, static, typename)
        shape = self._shape(owner, static, typename)
        # Whatever a subgraph calls its objects must not grow the cache: only names it knows.
        if shape is not None or typename in self.schema.type_map:
            self.shapes[key] = shape
        return shape

    def _shape(
        self,
        owner: CollectedField | None,
        static: GraphQLObjectType | GraphQLAbstractType,
        typename: Any,
    ) -> _Shape | None:
        runtime: GraphQLObjectType | GraphQLInterfaceType
        if isinstance(static, GraphQLObjectType):
            runtime = static
        elif isinstance(static, GraphQLInterfaceType) and typename == static.name:
            # From an @interfaceObject subgraph, with no fragment that needed the real type.
            runtime = static
        else:
            found = self.schema.type_map.get(typename) if isinstance(typename, str) else None
            if not isinstance(found, GraphQLObjectType) or not self.schema.is_sub_type(
                static, found
            ):
                return None
            runtime = found
        if owner is None:
            selections: Sequence[SelectionNode] = self.operation.definition.selection_set.selections
        else:
            selections = owner.sub_selections()
        entries: list[_Entry] = []
        fragments, variables = self.operation.fragments, self.variables
        withheld = self.operation.withheld
        meter = self.meter
        left: dict[str, CollectedField] | None = None
        if withheld:
            # What is left once authorization's removals are left out, under what was left
            # above: a response key with nothing left is answered null.
            kept: Sequence[SelectionNode] = selections
            if owner is not None:
                kept = [
                    selection
                    for node in self.left.get(id(owner), ())
                    if node.selection_set is not None
                    for selection in node.selection_set.selections
                ]
            left = {
                cf.key: cf
                for cf in collect_fields(
                    self.schema, kept, runtime.name, fragments, variables, withheld | self.exclude
                )
            }
        for cf in collect_fields(
            self.schema, selections, runtime.name, fragments, variables, self.exclude
        ):
            if cf.name == "__typename":
                entries.append(_Entry(_TYPENAME, cf.key, cf.data_key, None, cf))
            elif owner is None and cf.name in ("__schema", "__type"):
                entries.append(_Entry(_INTROSPECT, cf.key, cf.data_key, None, cf))
            else:
                field = runtime.fields.get(cf.name)
                if field is None:
                    continue
                price = None if meter is None else meter.price(runtime.name, cf.name, cf.first)
                if left is not None:
                    remaining = left.get(cf.key)
                    if remaining is None:
                        withheld_entry = _Entry(
                            _WITHHELD, cf.key, cf.data_key, field.type, cf, price
                        )
                        entries.append(withheld_entry)
                        continue
                    self.left[id(cf)] = remaining.nodes
                entries.append(_entry(cf, field.type, self.hidden, price))
        return _Shape(runtime.name, tuple(entries))

    def object(
        self,
        obj: dict[str, Any],
        static: GraphQLObjectType | GraphQLAbstractType,
        owner: CollectedField | None,
    ) -> dict[str, Any] | _Invalid | None:
        shape = self.shape(owner, static, obj.get("__typename"))
        if shape is None:
            return None
        out: dict[str, Any] = {}
        path = self.path
        for kind, key, data_key, type_, cf, price in shape.entries:
            if kind == _LEAF:
                out[key] = obj.get(data_key)
            elif kind == _NON_NULL_LEAF:
                raw = obj.get(data_key)
                if raw is None:
                    path.append(key)
                    self.null_error(shape.runtime, cf)
                    path.pop()
                    return _INVALID
                out[key] = raw
            elif kind == _FIELD:
                path.append(key)
                value = self.value(type_, obj.get(data_key), cf, shape.runtime)  # type: ignore[arg-type]
                path.pop()
                if isinstance(value, _Invalid):
                    return value
                out[key] = value
                if price is not None:  # the bulk of what costs: objects and lists
                    if price.arguments is not None:
                        self.cost += self.meter.arguments(price.arguments)  # type: ignore[union-attr]
                    if value is None:
                        self.cost += price.as_leaf
                    elif value.__class__ is dict:
                        self.cost += price.as_object
                    else:
                        self.cost += _outer(value, price)
                continue
            elif kind == _TYPENAME:
                out[key] = shape.runtime
            elif kind == _ENUM:
                out[key] = _api_value(type_, obj.get(data_key))  # type: ignore[arg-type]
            elif kind == _NON_NULL_ENUM:
                value = _api_value(type_, obj.get(data_key))  # type: ignore[arg-type]
                if value is None:
                    path.append(key)
                    self.null_error(shape.runtime, cf)
                    path.pop()
                    return _INVALID
                out[key] = value
            elif kind == _WITHHELD:
                if isinstance(type_, GraphQLNonNull):
                    # Its error is authorization's; null propagates without one of its own.
                    self.quiet.append((*path, key))
                    return _INVALID
                out[key] = None
            else:
                out[key] = self.introspect(cf)
            if price is not None:
                self.charge(price, out[key])
        return out

    def charge(self, price: Price, value: Any) -> None:
        """Add what an entry's shaped ``value`` costs at its own level (the objects inside
        it were priced as they were shaped); a value nulled later is taken back by
        :meth:`value`."""
        if price.arguments is not None:
            assert self.meter is not None
            self.cost += self.meter.arguments(price.arguments)
        self.cost += price.as_leaf if value is None else _outer(value, price)

    def value(self, type_: GraphQLOutputType, raw: Any, cf: CollectedField, parent: str) -> Any:
        if raw.__class__ is dict and type_.__class__ is GraphQLObjectType:
            # The bulk of a response: a nullable object (not wrapped, not abstract).
            spent = self.cost
            result = self.object(raw, type_, cf)
            if result is _INVALID:
                self.cost = spent
                return None
            return result
        if isinstance(type_, GraphQLNonNull):
            inner = self.value(type_.of_type, raw, cf, parent)
            if inner is None:
                self.null_error(parent, cf)
                return _INVALID
            return inner
        if raw is None:
            return None
        if isinstance(type_, GraphQLList):
            if not isinstance(raw, list):
                return None
            item_type = type_.of_type
            items = []
            path = self.path
            spent = self.cost
            if item_type.__class__ is GraphQLObjectType:
                # A list of nullable objects: what value() does for each, without the calls.
                for i, item in enumerate(raw):
                    path.append(i)
                    if item.__class__ is dict:
                        before = self.cost
                        result = self.object(item, item_type, cf)
                        if result is _INVALID:
                            self.cost = before
                            result = None
                    else:  # null, or not an object: value() answers (null, never invalid)
                        result = self.value(item_type, item, cf, parent)
                    path.pop()
                    items.append(result)
                return items
            for i, item in enumerate(raw):
                path.append(i)
                value = self.value(item_type, item, cf, parent)
                path.pop()
                if value is _INVALID:
                    self.cost = spent  # null: what was priced below is not answered
                    return None
                items.append(value)
            return items
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            if self.hidden and type_.name in self.hidden:
                return _api_value(type_, raw)  # type: ignore[arg-type]
            return raw
        if not isinstance(raw, dict):
            return None
        assert isinstance(type_, GraphQLObjectType | GraphQLAbstractType)
        spent = self.cost
        result = self.object(raw, type_, cf)
        if result is _INVALID:
            self.cost = spent
            return None
        return result

    def introspect(self, cf: CollectedField) -> Any:
        definition = OperationDefinitionNode(
            operation=OperationType.QUERY,
            selection_set=SelectionSetNode(selections=cf.nodes),
        )
        document = DocumentNode(definitions=(definition, *self.operation.fragments.values()))
        result = execute_sync(self.schema, document, variable_values=dict(self.variables))
        return (result.data or {}).get(cf.key)


def _api_value(enum: GraphQLEnumType, raw: Any) -> Any:
    """``raw`` if the API schema's ``enum`` has it, else null (an ``@inaccessible`` value)."""
    return raw if isinstance(raw, str) and raw in enum.values else None


def shape_response(
    schema: GraphQLSchema,
    operation: Operation,
    variables: Mapping[str, Any],
    data: dict[str, Any],
    errors: list[GraphQLError],
    failed: Sequence[ResponsePath] = (),
    hidden: frozenset[str] = frozenset(),
    exclude: frozenset[int] = frozenset(),
    meter: CostMeter | None = None,
) -> dict[str, Any] | None:
    """The client's ``data``; nulls propagate per the spec and add errors to ``errors``.

    With a ``meter``, the actual cost of the data answered is set in ``meter.measured``.

    ``hidden`` names the enums whose values subgraphs send are checked against ``schema``
    (:func:`hidden_enums`): a value it lacks is null, an error where the field is non-null.
    The fragments whose node ids are in ``exclude`` are left out (deferred ones).
    """
    root = schema.get_root_type(operation.definition.operation)
    if root is None:
        return None
    shaper = _Shaper(schema, operation, variables, errors, failed, hidden, exclude, meter)
    result = shaper.object(data, root, None)
    if meter is not None:
        meter.measured = shaper.cost
    return None if isinstance(result, _Invalid) else result


def shape_object(
    schema: GraphQLSchema,
    operation: Operation,
    variables: Mapping[str, Any],
    obj: dict[str, Any],
    type_name: str,
    owner: CollectedField,
    path: ResponsePath,
    errors: list[GraphQLError],
    failed: Sequence[ResponsePath] = (),
    hidden: frozenset[str] = frozenset(),
    exclude: frozenset[int] = frozenset(),
) -> dict[str, Any] | None:
    """One object at response ``path``, shaped to the sub-selections of ``owner`` (a deferred
    fragment's, made once per operation): what a deferred payload sends for it."""
    static = schema.type_map.get(type_name)
    if not isinstance(static, GraphQLObjectType | GraphQLAbstractType):
        return None
    shaper = _Shaper(schema, operation, variables, errors, failed, hidden, exclude)
    shaper.path = list(path)
    if operation.withheld:
        shaper.left.setdefault(id(owner), owner.nodes)
    result = shaper.object(obj, static, owner)
    return None if isinstance(result, _Invalid) else result
