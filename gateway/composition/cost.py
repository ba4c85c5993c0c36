"""The cost spec in composition: ``@cost`` and ``@listSize`` read, checked, merged, printed.

Subgraphs import them from ``https://specs.apollo.dev/federation/v2.9`` (or link
``https://specs.apollo.dev/cost/v0.1`` themselves); the supergraph links the cost spec and
applies them under the names the subgraphs gave them, as ``@apollo/composition`` does:

- a directive applied alike everywhere is printed as its first subgraph wrote it;
- different applications are merged argument by argument, with the defaults filled in:
  ``weight`` and ``assumedSize`` take the largest, ``slicingArguments`` and ``sizedFields``
  the union (in first-seen order), ``requireOneSlicingArgument`` is true only when every
  subgraph's is.

The checks are Apollo's subgraph validations, with its codes and messages.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from graphql import (
    BooleanValueNode,
    IntValueNode,
    ListTypeNode,
    ListValueNode,
    NonNullTypeNode,
    StringValueNode,
    TypeNode,
    ValueNode,
    print_ast,
)

from gateway.composition.errors import CompositionError
from gateway.composition.fieldsets import named_type
from gateway.composition.model import FieldDef, ListSizeDef, SubgraphSchema

__all__ = [
    "COST_URL",
    "DIRECTIVES",
    "check_demand_directives",
    "cost_definition",
    "list_size_definition",
    "merge_costs",
    "merge_list_sizes",
    "print_cost",
    "print_list_size",
    "read_cost",
    "read_list_size",
]

COST_URL = "https://specs.apollo.dev/cost/v0.1"
# The spec's directives in the order it defines them.
DIRECTIVES = ("cost", "listSize")
# The federation version that brought them: a subgraph linking the cost spec itself is
# composed as if it linked at least this one.
MINIMUM_FEDERATION = (2, 9)

_LIST_SIZE_ARGUMENTS = (
    "assumedSize",
    "slicingArguments",
    "sizedFields",
    "requireOneSlicingArgument",
)


def read_cost(args: dict[str, ValueNode]) -> int | None:
    weight = args.get("weight")
    return int(weight.value) if isinstance(weight, IntValueNode) else None


def _strings(value: ValueNode | None) -> tuple[str, ...] | None:
    if isinstance(value, StringValueNode):  # a single value stands for a list of one
        return (value.value,)
    if not isinstance(value, ListValueNode):
        return None
    return tuple(v.value for v in value.values if isinstance(v, StringValueNode))


def read_list_size(args: dict[str, ValueNode]) -> ListSizeDef:
    assumed = args.get("assumedSize")
    require = args.get("requireOneSlicingArgument")
    return ListSizeDef(
        assumed_size=int(assumed.value) if isinstance(assumed, IntValueNode) else None,
        slicing_arguments=_strings(args.get("slicingArguments")),
        sized_fields=_strings(args.get("sizedFields")),
        require_one_slicing_argument=(
            require.value if isinstance(require, BooleanValueNode) else None
        ),
        written=tuple(name for name in args if name in _LIST_SIZE_ARGUMENTS),
    )


# -- checks ---------------------------------------------------------------------------------


def _is_list(node: TypeNode) -> bool:
    inner = node.type if isinstance(node, NonNullTypeNode) else node
    return isinstance(inner, ListTypeNode)


def _is_int(node: TypeNode) -> bool:
    inner = node.type if isinstance(node, NonNullTypeNode) else node
    return print_ast(inner) == "Int"


def check_demand_directives(subgraph: SubgraphSchema) -> list[CompositionError]:
    """Apollo's checks of ``@cost`` and ``@listSize`` in one subgraph."""
    errors: list[CompositionError] = []

    def error(code: str, message: str, at: str) -> None:
        errors.append(CompositionError(code, message, subgraph=subgraph.name, coordinate=at))

    fields = [
        (f"{type_def.name}.{field_def.name}", type_def.kind, field_def)
        for type_def in subgraph.types.values()
        for field_def in type_def.fields.values()
    ]
    # Apollo checks every @cost application, then every @listSize one.
    for at, kind, field_def in fields:
        if field_def.cost is not None and kind == "INTERFACE":
            error(
                "COST_APPLIED_TO_INTERFACE_FIELD",
                f'@cost cannot be applied to interface "{at}"',
                at,
            )
    for at, _, field_def in fields:
        if field_def.list_size is not None:
            for code, message in _list_size_problems(subgraph, at, field_def):
                error(code, message, at)
    return errors


def _list_size_problems(
    subgraph: SubgraphSchema, at: str, field_def: FieldDef
) -> list[tuple[str, str]]:
    list_size = field_def.list_size
    assert list_size is not None
    problems: list[tuple[str, str]] = []
    sized = list_size.sized_fields or ()
    if not sized and not _is_list(field_def.type):
        problems.append(("LIST_SIZE_APPLIED_TO_NON_LIST", f'"{at}" is not a list'))
    if list_size.assumed_size is not None and list_size.assumed_size < 0:
        problems.append(
            ("LIST_SIZE_INVALID_ASSUMED_SIZE", f'Assumed size of "{at}" cannot be negative')
        )
    arguments = {a.name: a for a in field_def.arguments}
    for name in list_size.slicing_arguments or ():
        argument = arguments.get(name)
        if argument is None:
            problems.append(
                (
                    "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                    f'Slicing argument "{name}" is not an argument of "{at}"',
                )
            )
        elif not _is_int(argument.type):
            problems.append(
                (
                    "LIST_SIZE_INVALID_SLICING_ARGUMENT",
                    f'Slicing argument "{at}({name}:)" must be Int or Int!',
                )
            )
    if sized:
        target = subgraph.types.get(named_type(field_def.type))
        if target is None or target.kind not in ("OBJECT", "INTERFACE", "UNION"):
            problems.append(
                (
                    "LIST_SIZE_INVALID_SIZED_FIELD",
                    f'Sized fields cannot be used because "{print_ast(field_def.type)}" '
                    "is not a composite type",
                )
            )
            return problems
        for name in sized:
            sized_field = target.fields.get(name)
            if sized_field is None:
                problems.append(
                    (
                        "LIST_SIZE_INVALID_SIZED_FIELD",
                        f'Sized field "{name}" is not a field on type "{target.name}"',
                    )
                )
            elif not _is_list(sized_field.type):
                problems.append(
                    (
                        "LIST_SIZE_APPLIED_TO_NON_LIST",
                        f'Sized field "{target.name}.{name}" is not a list',
                    )
                )
    return problems


# -- merging --------------------------------------------------------------------------------


def merge_costs(weights: Sequence[int]) -> int:
    """One ``@cost`` from every subgraph's weight (``MAX``)."""
    return max(weights)


def _expanded(list_size: ListSizeDef) -> tuple[object, ...]:
    """The arguments with the default filled in: what Apollo compares applications by."""
    require = list_size.require_one_slicing_argument
    return (
        list_size.assumed_size,
        list_size.slicing_arguments,
        list_size.sized_fields,
        True if require is None else require,
    )


def _union(lists: Sequence[tuple[str, ...] | None]) -> tuple[str, ...] | None:
    given = [values for values in lists if values is not None]
    if not given:
        return None
    return tuple(dict.fromkeys(value for values in given for value in values))


def merge_list_sizes(applications: Sequence[ListSizeDef]) -> ListSizeDef:
    """One ``@listSize`` from the subgraphs' applications, in subgraph order."""
    distinct: list[ListSizeDef] = []
    for application in applications:
        if all(_expanded(application) != _expanded(seen) for seen in distinct):
            distinct.append(application)
    if len(distinct) == 1:
        return distinct[0]
    sizes = [a.assumed_size for a in distinct if a.assumed_size is not None]
    requires = [_expanded(a)[3] for a in distinct]
    merged = ListSizeDef(
        assumed_size=max(sizes) if sizes else None,
        slicing_arguments=_union([a.slicing_arguments for a in distinct]),
        sized_fields=_union([a.sized_fields for a in distinct]),
        require_one_slicing_argument=all(requires),
    )
    given = {
        "assumedSize": merged.assumed_size,
        "slicingArguments": merged.slicing_arguments,
        "sizedFields": merged.sized_fields,
        "requireOneSlicingArgument": merged.require_one_slicing_argument,
    }
    # Merged arguments are printed in the order the spec defines them.
    written = tuple(name for name in _LIST_SIZE_ARGUMENTS if given[name] is not None)
    return ListSizeDef(
        merged.assumed_size,
        merged.slicing_arguments,
        merged.sized_fields,
        merged.require_one_slicing_argument,
        written,
    )


# -- printing -------------------------------------------------------------------------------


def _string(value: str) -> str:
    return orjson.dumps(value).decode()


def print_cost(name: str, weight: int) -> str:
    return f"@{name}(weight: {weight})"


def print_list_size(name: str, list_size: ListSizeDef) -> str:
    values: dict[str, str] = {}
    if list_size.assumed_size is not None:
        values["assumedSize"] = str(list_size.assumed_size)
    for arg, strings in (
        ("slicingArguments", list_size.slicing_arguments),
        ("sizedFields", list_size.sized_fields),
    ):
        if strings is not None:
            values[arg] = "[" + ", ".join(_string(s) for s in strings) + "]"
    if list_size.require_one_slicing_argument is not None:
        values["requireOneSlicingArgument"] = str(list_size.require_one_slicing_argument).lower()
    args = ", ".join(f"{arg}: {values[arg]}" for arg in list_size.written if arg in values)
    return f"@{name}({args})" if args else f"@{name}"


def cost_definition(name: str) -> str:
    return (
        f"directive @{name}(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | "
        "INPUT_FIELD_DEFINITION | OBJECT | SCALAR"
    )


def list_size_definition(name: str) -> str:
    return (
        f"directive @{name}(assumedSize: Int, slicingArguments: [String!], "
        "sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION"
    )
