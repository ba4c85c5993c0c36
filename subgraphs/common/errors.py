"""Error codes of every subgraph: each GraphQL error gets ``extensions.code``, none leaks internals.

How an exception raised in a resolver reaches the client::

    SystemCallError (client.py)  -> SUBGRAPH_ERROR  "erp is unavailable: erp timed out after 2.0s"
    BadUserInput                 -> BAD_USER_INPUT  its own message (also raised for a malformed
                                                    ``_entities`` representation, see entities.py)
    GraphQLError raised on purpose -> its own code (else INTERNAL) and its own message
    anything else                -> INTERNAL        "Internal server error" (logged, with traceback)

and errors GraphQL itself raises about the request::

    syntax error                 -> GRAPHQL_PARSE_FAILED
    validation error             -> GRAPHQL_VALIDATION_FAILED
    bad variable values          -> BAD_USER_INPUT

Subscription events go through the same mapping.

The path and locations of every error stay as GraphQL set them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Final

import strawberry
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache
from strawberry.federation.schema import FederationAny
from strawberry.federation.schema_directives import Link
from strawberry.types import ExecutionContext, Info
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from subgraphs.common.client import SystemCallError, SystemResponseInvalid

__all__ = [
    "BAD_USER_INPUT",
    "FEDERATION_VERSION",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL",
    "INTERNAL_MESSAGE",
    "SUBGRAPH_ERROR",
    "BadUserInput",
    "ErrorCodes",
    "SubgraphSchema",
    "federation_schema",
]

logger = logging.getLogger(__name__)

BAD_USER_INPUT: Final = "BAD_USER_INPUT"
GRAPHQL_PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
SUBGRAPH_ERROR: Final = "SUBGRAPH_ERROR"
INTERNAL: Final = "INTERNAL"
INTERNAL_MESSAGE: Final = "Internal server error"

# One federation version for every subgraph, so the supergraph composes them alike.
FEDERATION_VERSION: Final = "2.7"


class BadUserInput(Exception):
    """Raised by a resolver for an argument it cannot accept; the client sees the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ErrorCodes(SchemaExtension):
    """Give every error of an operation an ``extensions.code`` and mask unexpected ones."""

    def __init__(self, *, execution_context: ExecutionContext | None = None) -> None:
        super().__init__(execution_context=execution_context)
        self._executing = False
        self._stream_processed = False

    def on_execute(self) -> Iterator[None]:
        # Errors without a path seen here come from coercing the variables: bad input.
        self._executing = True
        yield

    def on_operation(self) -> Iterator[None]:
        self._executing = False
        self._stream_processed = False
        yield
        if self._stream_processed:
            return
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | StrawberryExecutionResult):
            self._process(result)
        elif (initial := getattr(result, "initial_result", None)) is not None:
            self._process(initial)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        self._stream_processed = True
        self._process(result)
        for part in getattr(result, "incremental", None) or ():
            self._process(part)
        for part in getattr(result, "completed", None) or ():
            self._process(part)
        yield

    def _process(self, result: Any) -> None:
        errors: list[GraphQLError] | None = getattr(result, "errors", None)
        if errors:
            result.errors = [self.coded(error) for error in errors]

    def coded(self, error: GraphQLError) -> GraphQLError:
        """The error as the client may see it, with its code."""
        if (error.extensions or {}).get("code"):
            return error
        original = error.original_error
        if isinstance(error, GraphQLSyntaxError):
            return _with(error, GRAPHQL_PARSE_FAILED)
        if error.path is None and (original is None or isinstance(original, GraphQLError)):
            # GraphQL's own complaint about the request: the document, or once executing, the
            # variables. (Exceptions without a path, e.g. from a subscription's source, go on.)
            return _with(error, BAD_USER_INPUT if self._executing else GRAPHQL_VALIDATION_FAILED)
        if isinstance(original, BadUserInput):
            return _with(error, BAD_USER_INPUT, message=original.message)
        if isinstance(original, SystemCallError):
            # The client logged the details of the call already.
            logger.info("system call failed at %s: %s", _where(error), original.message)
            state = (
                "gave an invalid answer"
                if isinstance(original, SystemResponseInvalid)
                else "is unavailable"
            )
            return _with(
                error,
                SUBGRAPH_ERROR,
                message=f"{original.system} {state}: {original.message}",
                system=original.system,
            )
        if original is None or isinstance(original, GraphQLError):
            # Raised on purpose (by a resolver or by GraphQL itself): public already.
            public = original or error
            code = (public.extensions or {}).get("code", INTERNAL)
            return _with(error, code, message=public.message, **(public.extensions or {}))
        logger.error("unexpected error at %s", _where(error), exc_info=original)
        return _with(error, INTERNAL, message=INTERNAL_MESSAGE, keep_original=False)


def _where(error: GraphQLError) -> str:
    return ".".join(str(key) for key in error.path) if error.path else "(operation)"


def _with(
    error: GraphQLError,
    code: str,
    *,
    message: str | None = None,
    keep_original: bool = True,
    **extensions: Any,
) -> GraphQLError:
    return GraphQLError(
        message if message is not None else error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error if keep_original else None,
        extensions={"code": code, **(error.extensions or {}), **extensions},
    )


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema whose errors are logged once, by :class:`ErrorCodes`, and whose
    ``_entities`` answers a malformed representation with ``BAD_USER_INPUT``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Imported here: the checks raise BadUserInput, defined above.
        from subgraphs.common.entities import Representations

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
            *extensions,
        ],
        federation_version=FEDERATION_VERSION,
    )
