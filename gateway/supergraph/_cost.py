"""Read the cost spec (``https://specs.apollo.dev/cost/v0.1``) out of a supergraph: ``@cost``
and ``@listSize`` under the names its ``@link`` gives them (``import: [{name: "@cost", as:
"@weight"}]``, or ``@cost`` and ``@cost__listSize`` when not imported)."""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    BooleanValueNode,
    ConstDirectiveNode,
    InputValueDefinitionNode,
    IntValueNode,
    ListValueNode,
    StringValueNode,
    ValueNode,
)

from gateway.supergraph._links import SpecNames
from gateway.supergraph._model import ListSize

__all__ = ["CostReader"]


def _args(directive: ConstDirectiveNode) -> dict[str, ValueNode]:
    return {arg.name.value: arg.value for arg in directive.arguments or ()}


def _strings(value: ValueNode | None) -> tuple[str, ...] | None:
    if isinstance(value, StringValueNode):
        return (value.value,)
    if isinstance(value, ListValueNode):
        return tuple(v.value for v in value.values if isinstance(v, StringValueNode))
    return None


class CostReader:
    """The cost directives of one supergraph; reads nothing when it does not link the spec."""

    def __init__(self, names: SpecNames) -> None:
        spec = names.get("cost")
        self.cost = spec.directive("cost") if spec else None
        self.list_size = spec.directive("listSize") if spec else None

    def _find(
        self, directives: Iterable[ConstDirectiveNode] | None, name: str | None
    ) -> dict[str, ValueNode] | None:
        if name is None:
            return None
        for directive in directives or ():
            if directive.name.value == name:
                return _args(directive)
        return None

    def weight(self, directives: Iterable[ConstDirectiveNode] | None) -> int | None:
        """``@cost(weight:)`` among ``directives``, if applied."""
        args = self._find(directives, self.cost)
        weight = args.get("weight") if args else None
        return int(weight.value) if isinstance(weight, IntValueNode) else None

    def argument_weights(
        self, arguments: Iterable[InputValueDefinitionNode] | None
    ) -> dict[str, int]:
        weights = {}
        for argument in arguments or ():
            weight = self.weight(argument.directives)
            if weight is not None:
                weights[argument.name.value] = weight
        return weights

    def list_size_of(self, directives: Iterable[ConstDirectiveNode] | None) -> ListSize | None:
        args = self._find(directives, self.list_size)
        if args is None:
            return None
        assumed = args.get("assumedSize")
        require = args.get("requireOneSlicingArgument")
        return ListSize(
            assumed_size=int(assumed.value) if isinstance(assumed, IntValueNode) else None,
            slicing_arguments=_strings(args.get("slicingArguments")),
            sized_fields=_strings(args.get("sizedFields")) or (),
            # The directive's default: one slicing argument is required.
            require_one_slicing_argument=(
                require.value if isinstance(require, BooleanValueNode) else True
            ),
        )
