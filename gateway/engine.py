"""The gateway engine: one GraphQL request in, one response out (parse, validate, plan, run),
or a stream of responses for a subscription (:meth:`Gateway.stream`).

Errors a client can get, by ``extensions.code``::

    BAD_REQUEST                the request is not a GraphQL request (no query, bad variables)
    GRAPHQL_PARSE_FAILED       the query does not parse
    GRAPHQL_VALIDATION_FAILED  invalid against the API schema, over a limit (depth, aliases,
                               tokens), unknown operation
    BAD_USER_INPUT             variable values that do not fit their types
    SUBGRAPH_ERROR             a subgraph failed or reported an error (with ``serviceName``)
    SUBSCRIPTION_TOO_SLOW      a subscription's events came faster than its client read them
    GATEWAY_TIMEOUT            the request's deadline passed: what arrived in time is kept
                               (see ``gateway.executor._deadline``); or it passed while the
                               request waited for an execution slot: nothing ran, ``data`` is
                               null (``gateway._execution_slots``)
    GATEWAY_OVERLOADED         every execution slot was taken and the line for one full: the
                               request was refused at once, nothing ran, ``data`` is null;
                               ``extensions.retryAfter`` (seconds) as ``Retry-After`` says
    QUERY_PLANNING_FAILED      no plan fetches the operation from the subgraphs (the message
                               names the field and why; ``data`` is null)
    COST_*                     refused by demand control (``gateway.demand``)
    UNAUTHORIZED_FIELD_OR_TYPE a field the identity may not see, taken out (``null``) or, in
                               reject mode, refusing the request (``gateway.authorization``)
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from collections.abc import AsyncGenerator, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, parse, specified_rules, validate
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from gateway._execution_slots import ExecutionSlots, Turn
from gateway._lru import SizedLru
from gateway._shared_body import SharedBody
from gateway._single_flight import SingleFlight
from gateway.auth import ANONYMOUS, Identity
from gateway.authorization import (
    Authorizer,
    PolicyQuestion,
    UnauthorizedInParts,
    each_with_unauthorized,
    with_unauthorized,
)
from gateway.demand import DemandControl, Settled
from gateway.executor import (
    TIMEOUT_CODE,
    Deadline,
    Executor,
    SubgraphTransport,
    TransportSettings,
    merge_at,
)
from gateway.limits import LimitExceeded, Limits, check_document
from gateway.planner import (
    Operation,
    OperationError,
    PlanningError,
    QueryPlan,
    QueryPlanner,
    select_operation,
)
from gateway.redaction import PLANNING_FAILED, redact_response
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLError as WireError
from gateway.wire import GraphQLRequest, GraphQLResponse
from telemetry.metrics import CountedFields
from telemetry.tracing import annotate, span

__all__ = ["OVERLOADED", "Gateway", "GatewayStats", "RequestOutcome", "StreamOutcome"]

# The code of a request refused because every execution slot was taken and the line full.
OVERLOADED = "GATEWAY_OVERLOADED"
# Seconds such a client is told to wait before it retries: the line is at most
# ``max_executions_queued`` long and moves at the pace of executions (tens of milliseconds
# each), so it has turned over within a second; the smallest whole second HTTP can say.
_OVERLOADED_RETRY_AFTER = 1


@dataclass(frozen=True)
class RequestOutcome:
    """A response and whether it failed before execution (GraphQL-over-HTTP status)."""

    response: GraphQLResponse
    # "ok" | "bad_request" (not GraphQL) | "invalid" (parse/validation) | "not_allowed" (GET)
    # | "overloaded" (refused before it ran: no execution slot and the line full; 503)
    status: str = "ok"
    # The plan that ran (or, in a dry run, would have): set once the request was admitted
    # (authorized, costed, planned), for a server that shows plans to developers.
    plan: QueryPlan | None = field(default=None, compare=False)
    # The operation that ran, once admitted: its name (None: anonymous) and its type
    # ("query", "mutation", "subscription"), for metrics.
    operation_name: str | None = field(default=None, compare=False)
    operation_type: str | None = field(default=None, compare=False)
    # Set when ``response`` is one a shared execution gave several requests: its bytes,
    # encoded once for all of them (``response`` is its top level copied, the same below).
    body: SharedBody | None = field(default=None, compare=False)
    # Seconds the client should wait before it sends the request again (``Retry-After``).
    retry_after: int | None = field(default=None, compare=False)


# How graphql-core's parser says it stopped at ``max_tokens``.
_TOO_MANY_TOKENS = "tokens. Parsing aborted."


def _error(message: str, code: str, error: GraphQLError | None = None) -> WireError:
    out: WireError = {"message": message, "extensions": {"code": code}}
    if error is not None and error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return out


@dataclass
class GatewayStats(CountedFields):
    """What the hot path did, counted since start: a known document must only hit caches.
    The server binds it to its ``/metrics`` counters (``gateway.server._metrics``)."""

    requests: int = 0
    parses: int = 0
    validations: int = 0
    document_cache_hits: int = 0
    plans_built: int = 0
    plan_cache_hits: int = 0
    # Queries answered by an identical query's execution that was already running.
    queries_shared: int = 0
    # Queries and mutations refused at once: every execution slot taken, the line full.
    executions_refused: int = 0


@dataclass(frozen=True)
class _Prepared:
    """A query text parsed and validated: ``document`` is set when it may run."""

    document: DocumentNode | None
    errors: tuple[WireError, ...]
    # The parse result even when invalid: GET must refuse a mutation before validating it.
    parsed: DocumentNode | None = None
    # Operations of the document by requested name, selected once (``select_operation``).
    operations: dict[str | None, Operation] = field(default_factory=dict, compare=False)


def _is_mutation(prepared: _Prepared, operation_name: str | None) -> bool:
    """Whether the operation to run is not a query (checked on the parse, valid or not)."""
    if prepared.parsed is None:
        return False
    try:
        operation = select_operation(prepared.parsed, operation_name)
    except OperationError:
        return False
    return operation.kind != "query"


# A parsed document keeps its whole token chain (comments included) through its locations:
# about 360 bytes a token measured on graphql-core 3.2, plus slices of the text.
_TOKEN_BYTES = 400
# A refused document is cached only when its text is this small: refusals are cheap to make
# up in bulk, and must not push the documents that run out of the cache.
_MAX_CACHED_FAILURE_BYTES = 4096


def _document_key(query: str) -> bytes:
    """The cache key of a query text: its sha256, so a cache never holds the text itself."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest()


def _weight(query: str, prepared: _Prepared) -> int:
    """Roughly the bytes ``prepared`` keeps alive."""
    tokens = 0
    parsed = prepared.parsed
    token = parsed.loc.start_token if parsed is not None and parsed.loc is not None else None
    while token is not None:
        tokens += 1
        token = token.next
    return 2 * len(query) + _TOKEN_BYTES * tokens + 1024 * (1 + len(prepared.errors))


@dataclass(frozen=True)
class StreamOutcome:
    """What :meth:`Gateway.stream` gives: a refusal, or the responses to send, in order."""

    # Set when the request fails before running: the same outcome :meth:`Gateway.execute` has.
    refused: RequestOutcome | None = None
    # Set otherwise: one response for a query or mutation, one per event for a subscription.
    responses: AsyncGenerator[GraphQLResponse, None] | None = None
    # The plan the responses come from (with ``responses``).
    plan: QueryPlan | None = None
    # The operation's name and type (``query``, ``mutation``, ``subscription``), with ``responses``.
    operation_name: str | None = None
    operation_type: str | None = None


_SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are not served over plain HTTP: use a WebSocket (graphql-transport-ws) or "
    "server-sent events (Accept: text/event-stream)."
)


def _planning_failed(error: PlanningError) -> RequestOutcome:
    """A valid operation the planner cannot serve: the supergraph's fault, never a crash.

    The message names the field and the reason; redaction keeps only the code and
    ``Query planning failed.`` (gateway.redaction).
    """
    where = f" at {error.coordinate}" if error.coordinate else ""
    message = f"Query planning failed{where}: {error.reason}"
    return RequestOutcome({"data": None, "errors": [_error(message, PLANNING_FAILED)]})


def _waited_too_long(deadline: Deadline | None, slots: ExecutionSlots) -> WireError:
    """The error of a request whose deadline passed while it waited for an execution slot:
    nothing of it ran (a mutation neither), so the client may send it again. (A request
    without a deadline waits as long as it takes: ``None`` is not met.)"""
    after = "" if deadline is None else f" of {deadline.seconds:g}s"
    message = (
        f"The request waited for its turn past its deadline{after}: the "
        f"gateway was running {slots.capacity} operations at once (max_executions_in_flight). "
        "Nothing of it ran."
    )
    return _error(message, TIMEOUT_CODE)


def _overloaded(slots: ExecutionSlots, operation: Operation) -> RequestOutcome:
    """A request refused at once: every execution slot taken and the line for one full.
    Nothing of it ran (a mutation neither), so the client may send it again, later."""
    message = (
        f"The gateway is overloaded: {slots.capacity} operations are running "
        f"(max_executions_in_flight) and {slots.max_queued} waiting for their turn "
        f"(max_executions_queued). Nothing of it ran; retry in {_OVERLOADED_RETRY_AFTER} s."
    )
    # The shape of the rate limits' refusals (``gateway.server._rate_limit``).
    error: WireError = {
        "message": message,
        "extensions": {"code": OVERLOADED, "retryAfter": _OVERLOADED_RETRY_AFTER},
    }
    return RequestOutcome(
        {"data": None, "errors": [error]},
        "overloaded",
        operation_name=operation.name,
        operation_type=operation.kind,
        retry_after=_OVERLOADED_RETRY_AFTER,
    )


async def _redacting(
    responses: AsyncGenerator[GraphQLResponse, None],
) -> AsyncGenerator[GraphQLResponse, None]:
    """``responses`` with their errors redacted; closing it closes them."""
    try:
        async for response in responses:
            yield redact_response(response)
    finally:
        await responses.aclose()


@dataclass(frozen=True)
class _State:
    supergraph: Supergraph
    planner: QueryPlanner
    executor: Executor
    documents: SizedLru[bytes, _Prepared]


@dataclass(frozen=True)
class _Admitted:
    """A request that may run: its operation planned, its variables coerced."""

    state: _State
    operation: Operation
    plan: QueryPlan
    # As the client sent them (forwarded to subgraphs), and coerced (for @skip/@include).
    variables: dict[str, Any]
    coerced: dict[str, Any]
    # Who asked (``ANONYMOUS`` without a token or with auth off).
    identity: Identity = ANONYMOUS
    # The fields authorization took out (``operation`` withholds them): one error each.
    unauthorized: tuple[WireError, ...] = ()
    # The document's cache key (None: its text is too long to be cached).
    document_key: bytes | None = None


@dataclass(frozen=True)
class _Shared:
    """What one execution shared by identical queries gives each of its callers."""

    # Redacted when the gateway redacts; each caller sends its top level copied.
    response: GraphQLResponse
    # Demand control's measure of it, counted once per caller.
    settled: Settled
    # Its bytes, encoded by the first transport that sends it.
    body: SharedBody


@dataclass(frozen=True)
class _Pending:
    """A request whose ``@policy`` policies the hook must decide before it is admitted."""

    state: _State
    operation: Operation
    variables: dict[str, Any]
    coerced: dict[str, Any]
    key: bytes | None
    identity: Identity
    question: PolicyQuestion


class Gateway:
    """Serves one supergraph; :meth:`use` swaps in a new one without disturbing requests."""

    def __init__(
        self,
        supergraph: Supergraph,
        *,
        limits: Limits | None = None,
        transport: SubgraphTransport | None = None,
        plan_cache_size: int = 1024,
        document_cache_size: int = 1024,
        plan_cache_bytes: int = 64 << 20,
        document_cache_bytes: int = 64 << 20,
        max_cached_query_bytes: int = 64 << 10,
        introspection: bool = True,
        redact_errors: bool = False,
        demand: DemandControl | None = None,
        request_timeout: float | None = 30.0,
        authorization: Authorizer | None = None,
        share_queries: bool = True,
        max_executions_in_flight: int = 0,
        max_executions_queued: int = 0,
    ) -> None:
        self.limits = limits or Limits()
        # Seconds a query or mutation may run (each subscription event, its own fetches);
        # None: no deadline beyond the subgraph read timeout.
        self.request_timeout = request_timeout
        self.demand = demand or DemandControl()
        # The auth directives enforced (None: auth off, nothing is).
        self.authorization = authorization
        # The production switch: no introspection (``__schema``, ``__type``; ``__typename``
        # stays), and error messages without internals (``gateway.redaction``).
        self._rules = None if introspection else (*specified_rules, NoSchemaIntrospectionCustomRule)
        self.introspection = introspection
        self.redact_errors = redact_errors
        self.transport = transport or SubgraphTransport(TransportSettings())
        self.plan_cache_size = plan_cache_size
        self.document_cache_size = document_cache_size
        self.plan_cache_bytes = plan_cache_bytes
        self.document_cache_bytes = document_cache_bytes
        # Longer query texts are parsed, validated and planned every time, never cached:
        # comments do not count against ``max_tokens``, so text length alone is unbounded.
        self.max_cached_query_bytes = max_cached_query_bytes
        self.stats = GatewayStats()
        # Given a subscription's operation name when it starts, what to tell how long each of
        # its events took to resolve (the server's metrics set it; None: nobody is told).
        self.on_subscription_event: Callable[[str | None], Callable[[float], None]] | None = None
        self.state = self._state(supergraph)
        # Identical queries in flight share one execution (None: each runs its own).
        self._queries: SingleFlight[Hashable, _Shared | RequestOutcome] | None = (
            SingleFlight() if share_queries else None
        )
        # At most this many queries and mutations execute at once, the others wait in a line
        # of at most ``max_executions_queued`` (0: any length), the ones beyond it refused
        # (None: no cap, no line). Subscriptions and @defer streams are not counted.
        self.executions: ExecutionSlots | None = (
            ExecutionSlots(max_executions_in_flight, max_executions_queued)
            if max_executions_in_flight > 0
            else None
        )

    def _state(self, supergraph: Supergraph) -> _State:
        return _State(
            supergraph,
            QueryPlanner(
                supergraph, cache_size=self.plan_cache_size, cache_bytes=self.plan_cache_bytes
            ),
            Executor(supergraph, self.transport),
            SizedLru(
                self.document_cache_size,
                self.document_cache_bytes,
                max_entry_bytes=self.document_cache_bytes // 16,
            ),
        )

    @property
    def supergraph(self) -> Supergraph:
        return self.state.supergraph

    @property
    def planner(self) -> QueryPlanner:
        return self.state.planner

    def use(self, supergraph: Supergraph) -> None:
        """Serve ``supergraph`` from now on; requests already running finish on the old one."""
        self.state = self._state(supergraph)

    async def aclose(self) -> None:
        """Close the subgraph connections; running subscriptions end with an error response."""
        await self.transport.aclose()

    def cache_key(self, query: str) -> bytes | None:
        """The key ``query`` is cached under, or None when it is too long to cache."""
        return _document_key(query) if len(query) <= self.max_cached_query_bytes else None

    def prepare(self, state: _State, query: str, key: bytes | None) -> _Prepared:
        """Parse, validate and check limits, once per distinct (cacheable) query text."""
        cached = state.documents.get(key) if key is not None else None
        if cached is not None:
            self.stats.document_cache_hits += 1
            return cached
        prepared = self._prepare(state, query)
        if key is not None and (
            prepared.document is not None or len(query) <= _MAX_CACHED_FAILURE_BYTES
        ):
            state.documents.put(key, prepared, _weight(query, prepared))
        return prepared

    def _prepare(self, state: _State, query: str) -> _Prepared:
        # A span only for the work: a text parsed before has none (nor a plan cached its).
        with span("graphql.parse_validate") as traced:
            prepared = self._parse_and_validate(state, query)
            if traced is not None:
                traced.set_attribute("crossdock.valid", prepared.document is not None)
        return prepared

    def _parse_and_validate(self, state: _State, query: str) -> _Prepared:
        self.stats.parses += 1
        try:
            document = parse(
                query, max_tokens=self.limits.max_tokens, allow_empty_selection_sets=False
            )
        except GraphQLError as error:
            if error.message.endswith(_TOO_MANY_TOKENS):
                message = f"Operation has more than {self.limits.max_tokens} tokens."
                return _Prepared(None, (_error(message, "GRAPHQL_VALIDATION_FAILED"),))
            return _Prepared(None, (_error(error.message, "GRAPHQL_PARSE_FAILED", error),))
        self.stats.validations += 1
        errors = validate(
            state.supergraph.api_schema,
            document,
            self._rules,
            allow_empty_selection_sets=False,
        )
        if errors:
            return _Prepared(
                None,
                tuple(_error(e.message, "GRAPHQL_VALIDATION_FAILED", e) for e in errors),
                document,
            )
        try:
            check_document(document, self.limits)
        except LimitExceeded as error:
            return _Prepared(None, (_error(str(error), "GRAPHQL_VALIDATION_FAILED"),), document)
        return _Prepared(document, (), document)

    async def execute(
        self,
        request: GraphQLRequest,
        *,
        allow_mutations: bool = True,
        identity: Identity = ANONYMOUS,
        dry_run: bool = False,
    ) -> RequestOutcome:
        """Run one request; never raises for anything a client sends.

        A subscription is refused: it needs a connection that stays open (see :meth:`stream`).
        ``dry_run`` admits the request as for running it (authorization, demand control, the
        plan: a subscription too) and stops there: no fetch, no ``data``; the outcome's
        ``plan`` is what would have run, with authorization's errors for what it took out.
        """
        admitted = self._admit(
            request, allow_mutations=allow_mutations, streaming=dry_run, identity=identity
        )
        if isinstance(admitted, _Pending):
            admitted = await self._decided(admitted)
        if isinstance(admitted, RequestOutcome):
            return self._redacted(admitted)
        if dry_run:
            response: GraphQLResponse = (
                {"errors": list(admitted.unauthorized)} if admitted.unauthorized else {}
            )
        else:
            shared = await self._shared_run(admitted)
            if isinstance(shared, RequestOutcome):
                # Refused, the line being full: each caller its own top level, as below.
                return self._redacted(dataclasses.replace(shared, response={**shared.response}))
            if shared is not None:
                # Counted as a request of its own; measured, redacted and encoded once.
                self.demand.count(shared.settled)
                return RequestOutcome(
                    {**shared.response},
                    plan=admitted.plan,
                    body=shared.body,
                    operation_name=admitted.operation.name,
                    operation_type=admitted.operation.kind,
                )
            settled = await self._run(admitted)
            if isinstance(settled, RequestOutcome):
                return self._redacted(settled)  # refused: the line was full
            response = self._settled(settled)
        return RequestOutcome(
            redact_response(response) if self.redact_errors else response,
            plan=admitted.plan,
            operation_name=admitted.operation.name,
            operation_type=admitted.operation.kind,
        )

    async def _shared_run(self, admitted: _Admitted) -> _Shared | RequestOutcome | None:
        """:meth:`_run`, shared by identical queries in flight at once (None: this one may
        not share, run it on its own; a ``RequestOutcome``: the execution was refused, the
        line for a slot being full, and so is every caller that joined it).

        Identical: the same document, operation and variables (as forwarded to subgraphs),
        the same supergraph, and the same token (what subgraphs see of the caller, and all
        authorization decides on). Mutations never share. Each caller is admitted on its own
        first (rate limits, authorization, the cost estimate count every request); the
        actual cost is measured once, on the shared result, and counted once per caller
        (``DemandControl.count``). The execution stops only when its last caller has left.
        """
        sharing = self._queries
        if sharing is None or admitted.operation.kind != "query" or admitted.document_key is None:
            return None
        key = (
            id(admitted.state),
            admitted.document_key,
            admitted.operation.name,
            orjson.dumps(admitted.variables, option=orjson.OPT_SORT_KEYS),
            admitted.identity.token,
        )
        if key in sharing:
            self.stats.queries_shared += 1
        return await sharing.run(key, lambda: self._shared(admitted))

    async def _shared(self, admitted: _Admitted) -> _Shared | RequestOutcome:
        """One execution for every caller of :meth:`_shared_run`: what they all answer."""
        settled = await self._run(admitted)
        if isinstance(settled, RequestOutcome):
            return settled
        response = settled.response
        if self.redact_errors:
            response = redact_response(response)
        # Each caller gets its own top level (a transport may add to it, e.g. extensions),
        # never its own copy of what is below; the body is encoded from this one.
        return _Shared(response, settled, SharedBody(response))

    def _settled(self, settled: Settled) -> GraphQLResponse:
        """The response of one request's own execution, counted by demand control."""
        self.demand.count(settled)
        return settled.response

    async def stream(
        self,
        request: GraphQLRequest,
        *,
        identity: Identity = ANONYMOUS,
        allow_mutations: bool = True,
        subscriptions: bool = True,
    ) -> StreamOutcome:
        """Run any operation as a stream of responses; never raises for anything a client sends.

        A query or mutation streams its one response; a subscription one response per event,
        ending when the subgraph completes it, or after a response with only ``errors`` when
        it fails (the subgraph cannot be reached, fails, drops the connection, or the client
        reads too slowly: ``SUBSCRIPTION_TOO_SLOW``). Requests that cannot run are
        ``refused`` with what :meth:`execute` answers. Nothing starts before the first
        ``__anext__``; ``await responses.aclose()`` (or cancelling the task iterating it)
        stops it and completes the subscription on the subgraph.

        A query or mutation with deferred fragments (``@defer``) streams its initial payload,
        then one payload per deferred fragment (``gateway.executor._defer``).
        ``allow_mutations=False`` refuses mutations (GET), ``subscriptions=False``
        subscriptions (a transport that serves no subscriptions: multipart HTTP).
        """
        admitted = self._admit(
            request,
            allow_mutations=allow_mutations,
            streaming=subscriptions,
            identity=identity,
        )
        if isinstance(admitted, _Pending):
            admitted = await self._decided(admitted)
        if isinstance(admitted, RequestOutcome):
            return StreamOutcome(refused=self._redacted(admitted))
        if admitted.plan.deferred:
            responses = self._incremental(admitted)
        elif admitted.operation.kind != "subscription":
            # Refused now when the line is already full, as over plain HTTP (503 over SSE, an
            # ``error`` message over a WebSocket); one that fills before this stream starts
            # still refuses it, then in its one response (:meth:`_once`).
            slots = self.executions
            if slots is not None and slots.line_full:
                self.stats.executions_refused += 1
                refused = _overloaded(slots, admitted.operation)
                return StreamOutcome(refused=self._redacted(refused))
            responses = self._once(admitted)
        else:
            timed = self.on_subscription_event
            try:
                responses = admitted.state.executor.subscribe(
                    admitted.plan,
                    admitted.operation,
                    admitted.variables,
                    admitted.coerced,
                    settler=self.demand,  # each event measured; one over actual_max ends it
                    timeout=self.request_timeout,
                    identity=admitted.identity,
                    observe=None if timed is None else timed(admitted.operation.name),
                )
            except PlanningError as error:
                return StreamOutcome(refused=self._redacted(_planning_failed(error)))
            if admitted.unauthorized:
                responses = each_with_unauthorized(responses, admitted.unauthorized)
        if self.redact_errors:
            responses = _redacting(responses)
        return StreamOutcome(
            responses=responses,
            plan=admitted.plan,
            operation_name=admitted.operation.name,
            operation_type=admitted.operation.kind,
        )

    def _redacted(self, outcome: RequestOutcome) -> RequestOutcome:
        if not self.redact_errors:
            return outcome
        return dataclasses.replace(outcome, response=redact_response(outcome.response))

    async def _once(self, admitted: _Admitted) -> AsyncGenerator[GraphQLResponse, None]:
        settled = await self._run(admitted)
        if isinstance(settled, RequestOutcome):
            yield settled.response  # refused: the line filled before this stream started
        else:
            yield self._settled(settled)

    async def _incremental(self, admitted: _Admitted) -> AsyncGenerator[GraphQLResponse, None]:
        """The payloads of an operation with deferred fragments (``gateway.executor._defer``).

        Authorization's errors come with the payload that holds their fields' ``null``
        (``UnauthorizedInParts``). Demand control measures the
        whole result once, when the last part is ready: over the maximum (enforced), that
        part's data is withheld with the error; the parts already sent stay sent.
        """
        timeout = self.request_timeout
        payloads = admitted.state.executor.incremental(
            admitted.plan,
            admitted.operation,
            admitted.variables,
            admitted.coerced,
            deadline=None if timeout is None else Deadline.after(timeout),
            identity=admitted.identity,
        )
        whole: dict[str, Any] | None = None
        unauthorized = UnauthorizedInParts(admitted.unauthorized)
        try:
            async for payload in payloads:
                if whole is None:
                    whole = copy.deepcopy(payload.get("data")) or {}
                else:
                    for item in payload.get("incremental", ()):
                        merge_at(whole, item["path"], item["data"])
                if admitted.unauthorized:
                    payload = unauthorized.place(payload)
                if not payload.get("hasNext"):
                    payload = self._settle_last(admitted, whole, payload)
                yield payload
        finally:
            await payloads.aclose()

    def _settle_last(
        self, admitted: _Admitted, whole: dict[str, Any], payload: GraphQLResponse
    ) -> GraphQLResponse:
        settled, withheld = self.demand.settle(
            admitted.state.supergraph, admitted.operation, admitted.coerced, {"data": whole}
        )
        if not withheld:
            return payload
        errors = settled.get("errors", [])
        if "incremental" in payload:
            return {
                "incremental": [
                    {"data": None, "path": item["path"], "errors": errors}
                    for item in payload["incremental"]
                ],
                "hasNext": False,
            }
        return {"data": None, "errors": errors, "hasNext": False}

    async def _run(self, admitted: _Admitted) -> Settled | RequestOutcome:
        """Execute in an execution slot (waiting in line for one when all are taken), then
        measure the actual cost (not counted: see :meth:`_settled`); or, when the line is
        full, the outcome that refuses the request (``GATEWAY_OVERLOADED``, nothing ran).

        The deadline starts before the wait: a request that waits its turn has that much less
        time to run, and one whose deadline passes in line runs nothing."""
        timeout = self.request_timeout
        deadline = None if timeout is None else Deadline.after(timeout)
        slots = self.executions
        if slots is None:
            return await self._execute(admitted, deadline)
        turn = await slots.acquire(None if deadline is None else deadline.at)
        if turn is Turn.LINE_FULL:
            self.stats.executions_refused += 1
            return _overloaded(slots, admitted.operation)
        if turn is Turn.TIMED_OUT:
            return Settled({"data": None, "errors": [_waited_too_long(deadline, slots)]})
        try:
            return await self._execute(admitted, deadline)
        finally:
            slots.release()

    async def _execute(self, admitted: _Admitted, deadline: Deadline | None) -> Settled:
        supergraph = admitted.state.supergraph
        # The actual cost, measured while the response is shaped (one walk, not two).
        meter = self.demand.meter(supergraph, admitted.operation, admitted.coerced)
        response = await admitted.state.executor.execute(
            admitted.plan,
            admitted.operation,
            admitted.variables,
            admitted.coerced,
            deadline=deadline,
            identity=admitted.identity,  # its token forwarded to every subgraph fetch
            meter=meter,
        )
        if admitted.unauthorized:
            response = with_unauthorized(admitted.unauthorized, response)
        # Demand control after the fact: its actual cost measured (withheld over the maximum).
        return self.demand.measure(
            supergraph,
            admitted.operation,
            admitted.coerced,
            response,
            None if meter is None else meter.measured,
        )

    def _admit(
        self,
        request: GraphQLRequest,
        *,
        allow_mutations: bool,
        streaming: bool,
        identity: Identity = ANONYMOUS,
    ) -> RequestOutcome | _Admitted | _Pending:
        """The request ready to run, planned; or the outcome that refuses it; or, when its
        ``@policy`` policies must be decided first (awaited), what to resume."""
        state = self.state
        self.stats.requests += 1
        query = request.get("query")
        if not isinstance(query, str) or not query:
            return RequestOutcome(
                {"errors": [_error("Must provide query string.", "BAD_REQUEST")]}, "bad_request"
            )
        raw_variables = request.get("variables")
        if raw_variables is None:
            raw_variables = {}
        elif not isinstance(raw_variables, dict):
            return RequestOutcome(
                {"errors": [_error("Variables must be a JSON object or null.", "BAD_REQUEST")]},
                "bad_request",
            )
        operation_name = request.get("operationName")
        if not (operation_name is None or isinstance(operation_name, str)):
            return RequestOutcome(
                {"errors": [_error("operationName must be a string or null.", "BAD_REQUEST")]},
                "bad_request",
            )
        key = self.cache_key(query)
        prepared = self.prepare(state, query, key)
        if not allow_mutations and _is_mutation(prepared, operation_name):
            return RequestOutcome(
                {"errors": [_error("Only queries can be sent with GET.", "BAD_REQUEST")]},
                "not_allowed",
            )
        if prepared.document is None:
            return RequestOutcome({"errors": list(prepared.errors)}, "invalid")
        try:
            operation = self._operation(prepared, operation_name)
        except OperationError as error:
            return RequestOutcome(
                {"errors": [_error(str(error), "GRAPHQL_VALIDATION_FAILED")]}, "invalid"
            )
        annotate(
            {"graphql.operation.type": operation.kind, "graphql.operation.name": operation.name}
        )
        if operation.kind == "subscription" and not streaming:
            return RequestOutcome(
                {"errors": [_error(_SUBSCRIPTION_OVER_HTTP, "BAD_REQUEST")]}, "bad_request"
            )
        coerced = get_variable_values(
            state.supergraph.api_schema,
            operation.definition.variable_definitions or (),
            raw_variables,
        )
        if isinstance(coerced, list):
            return RequestOutcome(
                {"errors": [_error(e.message, "BAD_USER_INPUT", e) for e in coerced]},
                "invalid",
            )
        return self._admit_operation(
            state, operation, raw_variables, coerced.coerced, key, identity, None
        )

    def _admit_operation(
        self,
        state: _State,
        operation: Operation,
        variables: dict[str, Any],
        coerced: dict[str, Any],
        key: bytes | None,
        identity: Identity,
        granted: frozenset[str] | None,
    ) -> RequestOutcome | _Admitted | _Pending:
        """Authorize, cost and plan a coerced operation (``granted``: its policies decided)."""
        shaping = operation
        unauthorized: tuple[WireError, ...] = ()
        plan_key: Hashable | None = key
        # Authorization before cost and plan: both are of what may run (its own cache key).
        if self.authorization is not None and state.supergraph.authorization:
            checked = self.authorization.check(
                state.supergraph, operation, coerced, identity, granted
            )
            if isinstance(checked, PolicyQuestion):
                return _Pending(state, operation, variables, coerced, key, identity, checked)
            if checked is not None:
                if checked.empty or self.authorization.reject:
                    return RequestOutcome({"errors": checked.error_list(), "data": None})
                operation, shaping = checked.operation, checked.shaping
                unauthorized = checked.errors
                plan_key = None if key is None else (key, checked.signature)
        # Demand control: an operation over its cost is refused before anything is planned.
        cost = self.demand.check(state.supergraph, operation, coerced)
        if cost.errors is not None:
            return RequestOutcome({"errors": cost.errors}, "invalid")
        try:
            plan = self._plan(state, operation, coerced, plan_key)
        except PlanningError as error:
            return _planning_failed(error)
        return _Admitted(state, shaping, plan, variables, coerced, identity, unauthorized, key)

    async def _decided(self, pending: _Pending) -> RequestOutcome | _Admitted:
        """``pending`` admitted (or refused) once the policy hook decided its policies."""
        assert self.authorization is not None
        granted = await self.authorization.decide(pending.identity, pending.question)
        admitted = self._admit_operation(
            pending.state,
            pending.operation,
            pending.variables,
            pending.coerced,
            pending.key,
            pending.identity,
            granted,
        )
        assert not isinstance(admitted, _Pending)
        return admitted

    @staticmethod
    def _operation(prepared: _Prepared, operation_name: str | None) -> Operation:
        operation = prepared.operations.get(operation_name)
        if operation is None:
            assert prepared.document is not None
            operation = select_operation(prepared.document, operation_name)
            prepared.operations[operation_name] = operation
        return operation

    def _plan(
        self, state: _State, operation: Operation, variables: dict[str, Any], key: Hashable | None
    ) -> QueryPlan:
        built = state.planner.misses
        plan = state.planner.plan(operation, variables, key)
        if state.planner.misses == built:
            self.stats.plan_cache_hits += 1
        else:
            self.stats.plans_built += 1
        return plan

    def plan(
        self, query: str, operation_name: str | None = None, variables: dict[str, Any] | None = None
    ) -> QueryPlan:
        """The plan of a (valid) query: for tests, benchmarks and debugging."""
        state = self.state
        key = self.cache_key(query)
        prepared = self.prepare(state, query, key)
        if prepared.document is None:
            raise ValueError(prepared.errors[0]["message"])
        operation = self._operation(prepared, operation_name)
        coerced = get_variable_values(
            state.supergraph.api_schema,
            operation.definition.variable_definitions or (),
            variables or {},
        )
        if isinstance(coerced, list):
            raise ValueError(coerced[0].message)
        return self._plan(state, operation, coerced.coerced, key)
