"""Error codes of every subgraph: each GraphQL error gets ``extensions.code``, none leaks internals.

How an exception raised in a resolver reaches the client::

    SystemCallError (client.py)  -> SUBGRAPH_ERROR  "erp is unavailable: erp timed out after 2.0s"
    shared state unreachable     -> SERVICE_UNAVAILABLE "… unavailable; retry shortly …"
      (CacheUnavailable, or a Redis connection error from the journal or leases: a mutation
      claims its key there before it writes anything, so one refused then changed nothing)
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
from collections.abc import Iterator
from typing import Any, Final

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext
from strawberry.types.execution import ExecutionResult as StrawberryExecutionResult

from cache.base import CacheUnavailable
from connectors.http import SystemCallError, SystemResponseInvalid

__all__ = [
    "BAD_USER_INPUT",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "INTERNAL",
    "INTERNAL_MESSAGE",
    "SERVICE_UNAVAILABLE",
    "SUBGRAPH_ERROR",
    "BadUserInput",
    "ErrorCodes",
]

logger = logging.getLogger(__name__)

BAD_USER_INPUT: Final = "BAD_USER_INPUT"
GRAPHQL_PARSE_FAILED: Final = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED: Final = "GRAPHQL_VALIDATION_FAILED"
SUBGRAPH_ERROR: Final = "SUBGRAPH_ERROR"
SERVICE_UNAVAILABLE: Final = "SERVICE_UNAVAILABLE"
SERVICE_UNAVAILABLE_MESSAGE: Final = (
    "the graph's shared state (Redis) is unavailable; retry shortly with the same idempotency key"
)
_STATE_UNAVAILABLE = (CacheUnavailable, RedisConnectionError, RedisTimeoutError)
INTERNAL: Final = "INTERNAL"
INTERNAL_MESSAGE: Final = "Internal server error"


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
        if isinstance(original, _STATE_UNAVAILABLE):
            # Not a bug to mask: a dependency is down and the client should retry. No address
            # goes out (the log has it).
            logger.warning("shared state unavailable at %s: %s", _where(error), original)
            return _with(
                error, SERVICE_UNAVAILABLE, message=SERVICE_UNAVAILABLE_MESSAGE, keep_original=False
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
