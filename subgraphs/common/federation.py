"""The federation-2 schema every subgraph is built with: coded errors, checked entities.

:func:`federation_schema` builds a :class:`SubgraphSchema` with :class:`ErrorCodes` outermost
(every error gets its ``extensions.code``), each operation text parsed and validated once,
``_entities`` representations checked before a ``resolve_reference`` sees them, the event
loop given a turn every few hundred fields (:class:`TakeTurns`), so that no request holds it,
and, with auth on, no data for a caller without a token (:class:`CallerRequired`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Link
from strawberry.types import ExecutionContext, Info

from subgraphs.common.deadline import TakeTurns
from subgraphs.common.entities import Representations
from subgraphs.common.errors import BadUserInput, ErrorCodes
from subgraphs.common.identity import CallerRequired

__all__ = ["FEDERATION_VERSION", "SubgraphSchema", "federation_schema"]

# One federation version for every subgraph, so the supergraph composes them alike; 2.9 brings
# the cost spec's @cost and @listSize (subgraphs/common/cost.py).
FEDERATION_VERSION: Final = "2.9"


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema whose errors are logged once, by :class:`ErrorCodes`, and whose
    ``_entities`` answers a malformed representation with ``BAD_USER_INPUT``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._representations = Representations(self)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        # Strawberry's resolver fails the whole field (or answers INTERNAL) for a representation
        # without __typename, of an unknown type or without its key; each is checked first.
        results: list[FederationAny] = []
        for index, representation in enumerate(representations):
            try:
                checked = self._representations.check(index, representation)
            except BadUserInput as error:
                results.append(FederationAny(error))
                continue
            results.extend(super().entities_resolver(info, [FederationAny(checked)]))
        return results

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry would log every error with its traceback, bad input included.
        return None

    def _add_link_directives(self, additional_directives: Iterable[object] | None = None) -> None:
        # Strawberry links the federation spec only when a federation directive is used; without
        # the link, composition would take the subgraph for a federation-1 one.
        super()._add_link_directives(additional_directives)
        url = f"https://specs.apollo.dev/federation/v{FEDERATION_VERSION}"
        if not any(getattr(d, "url", None) == url for d in self.schema_directives):
            self.schema_directives = [*self.schema_directives, Link(url=url, import_=[])]


_DOCUMENT_CACHE_SIZE = 1024
"""Distinct operation texts a subgraph keeps parsed and validated (least recently used go)."""


class _ParseOnce(ParserCache):
    """Strawberry's ``ParserCache``, except that a text that does not parse is left to
    Strawberry's own parsing, which reports the syntax error as a result (coded
    ``GRAPHQL_PARSE_FAILED`` by ``ErrorCodes``) rather than raising out of the hook."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield


def federation_schema(
    query: type,
    *,
    types: Sequence[type] = (),
    mutation: type | None = None,
    subscription: type | None = None,
    extensions: Sequence[type[SchemaExtension] | Callable[[], SchemaExtension]] = (),
) -> SubgraphSchema:
    """A federation-2 subgraph schema with :class:`ErrorCodes` installed (outermost)."""
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        types=types,
        # ErrorCodes first in, last out: it sees every error. The gateway sends each subgraph
        # a small fixed set of operations (entities travel as variables), so parsing and
        # validating each once, not per request, halves the CPU of an entity fetch.
        extensions=[
            ErrorCodes,
            lambda: _ParseOnce(maxsize=_DOCUMENT_CACHE_SIZE),
            lambda: ValidationCache(maxsize=_DOCUMENT_CACHE_SIZE),
            TakeTurns,
            CallerRequired,
            *extensions,
        ],
        federation_version=FEDERATION_VERSION,
    )
