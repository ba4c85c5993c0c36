"""Calling a reference system (ERP, CRM, WMS) over HTTP, with bounded retries and clear failures.

What a call can raise::

    SystemCallError                  a system call failed; ``system`` and ``message`` say how
    ├── SystemUnavailable            timeout, unreachable or invalid URL, 5xx, or 429 after the
    │                                retries (or when the next one would miss the deadline)
    └── SystemResponseInvalid        a body that is not JSON or is over ``max_response_bytes``,
                                     or a 4xx the caller did not expect

No exception of the wire (``http1``: the lean keep-alive HTTP/1.1 client the calls go over,
the gateway's too), nor an ``OSError`` or ``ExceptionGroup`` from the network stack, ever
leaves this module. An idempotent call (GET, HEAD) that fails on the way, before any answer
(a pooled connection the system closed as it was reused, a reset), is sent once more within
its time: a system closing an idle keep-alive connection at the very moment it is reused is
ordinary, and no reason to fail the field. Writes are never re-sent here (their callers have
idempotency keys and their own recovery).

Identical reads in flight at once (one GET of one path with the same parameters, for any
number of requests) are one call: the first makes it, the others wait for its answer, each
within its own time (see :meth:`SystemClient.request`).

One call, its retries and the waits between them included, takes at most the client's
``timeout``, or what is left of the deadline of the request it serves when
that is less (``connectors.deadline``): a call started after that deadline fails at once,
without reaching the system, and one in flight when its request is stopped fails then.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import re
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson

from connectors import deadline as request_deadline
from http1 import (
    BadUrl,
    ConnectFailed,
    HttpError,
    Origin,
    ReadFailed,
    Response,
    ResponseTooLarge,
    header_lines,
)
from telemetry.metrics import ClientCalls
from telemetry.tracing import SpanKind, current_tracer, span, trace_headers

__all__ = [
    "SystemCallError",
    "SystemClient",
    "SystemResponse",
    "SystemResponseInvalid",
    "SystemUnavailable",
    "sendable_id",
]

logger = logging.getLogger(__name__)

Params = Mapping[str, str | int]

# What an id, SKU or code may look like in a system; anything else names no record (and could
# smuggle a comma into a bulk parameter), so it is never sent.
_SENDABLE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")

# Without a Retry-After header, wait this long before the first retry, doubling after.
_DEFAULT_BACKOFF = 0.1
# Idle connections are closed by the client this soon, before the systems' server (uvicorn:
# 5 s) closes them, so that a connection is rarely reused just as the server drops it.
KEEPALIVE_EXPIRY = 2.0
# Connections to one system at once (``ConnectorSettings.max_connections``).
DEFAULT_MAX_CONNECTIONS = 16
# Methods a transport failure may send again: they change nothing.
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})

# Every wait before a retry is stretched by a random 0 to 25%, so that the callers a 429 turned
# away together do not all come back at the same instant (and get turned away together again).
_JITTER = 0.25


class SystemCallError(Exception):
    """A call to ``system`` failed; ``message`` says how, in words fit for an API client."""

    def __init__(self, system: str, message: str) -> None:
        super().__init__(message)
        self.system = system
        self.message = message


class SystemUnavailable(SystemCallError):
    """The system did not answer in time, could not be reached, failed (5xx) or kept saying 429."""


class SystemResponseInvalid(SystemCallError):
    """The system answered something the caller cannot use: not JSON, or an unexpected 4xx."""


class _Unanswered(Exception):
    """A request that failed on the way, before any answer: sending it again is safe when it
    changes nothing."""

    def __init__(self, error: SystemUnavailable) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class SystemResponse:
    """A successful (or expected) answer: its status and parsed JSON body (None when empty)."""

    status: int
    body: Any
    # The body as it came, so that a read shared by several callers gives each its own
    # parsed copy (no caller sees another's changes to it).
    raw: bytes = field(default=b"", repr=False, compare=False)


# What a shared read settles its waiters with: its answer, the failure they share, or
# None: the reading caller was stopped or ran out of its own time, so each waiter calls.
_Outcome = tuple[SystemResponse | None, SystemCallError | None] | None
_ReadKey = tuple[str, tuple[tuple[str, str | int], ...], tuple[int, ...]]


class SystemClient:
    """One shared pool of connections to one system (``http1.Origin``), created on first use.

    ``max_connections`` bounds the calls in flight to the system at once (the others wait
    for a connection): a reference system is one process over SQLite, which answers a few
    calls at a time no faster than one by one, so more connections only queue in its
    backlog and cost each side memory and a socket.
    """

    def __init__(
        self,
        system: str,
        base_url: str,
        *,
        timeout: float,
        max_retries: int,
        max_retry_after: float,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_response_bytes: int = 16 << 20,
        rng: random.Random | None = None,
        calls: ClientCalls | None = None,
    ) -> None:
        self.system = system
        # Where the time of each call is recorded (the metrics of the service calling).
        self._calls = calls
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.max_connections = max_connections
        self.max_response_bytes = max_response_bytes
        self.calls = 0
        self._rng = rng or random.Random()
        self._client: Origin | None = None
        # The reads in flight, each settled with its outcome when it ends.
        self._reads: dict[_ReadKey, asyncio.Future[_Outcome]] = {}

    def __repr__(self) -> str:
        return f"SystemClient({self.system!r}, {self.base_url!r})"

    def _http(self) -> Origin:
        if self._client is None:
            # A port out of range is refused there (a resolver would take it modulo 65536
            # and call whatever listens on that port).
            self._client = Origin(
                self.base_url,
                headers={"accept": "application/json"},
                max_connections=self.max_connections,
                keepalive_expiry=KEEPALIVE_EXPIRY,
                max_response_bytes=self.max_response_bytes,
            )
        return self._client

    async def start(self) -> None:
        """Create the HTTP client now (optional: it is created on first use anyway)."""
        self._http()

    async def aclose(self) -> None:
        """Close the connections; a later call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def get_json(
        self, path: str, params: Params | None = None, *, not_found_ok: bool = False
    ) -> Any:
        """GET ``path`` and return its JSON body; ``None`` for a 404 when ``not_found_ok``."""
        accept = (404,) if not_found_ok else ()
        response = await self.request("GET", path, params=params, accept=accept)
        return None if response.status == 404 else response.body

    async def get_many(
        self,
        path: str,
        ids: Sequence[str],
        *,
        items_key: str | Callable[[Any], list[Any]],
        param: str = "ids",
        batch_size: int = 100,
        extra: Params | None = None,
    ) -> list[Any]:
        """GET ``path?ids=a,b,c`` in concurrent batches of ``batch_size``; concatenate the items.

        ``items_key`` names the list in each JSON body, or extracts it. Duplicate ids are sent
        once; ids that cannot name a record (see :func:`sendable_id`) are not sent at all.
        """
        unique = [id_ for id_ in dict.fromkeys(ids) if sendable_id(id_)]
        if not unique:
            return []
        batches = [unique[i : i + batch_size] for i in range(0, len(unique), batch_size)]

        async def one(batch: list[str]) -> list[Any]:
            body = await self.get_json(path, {**(extra or {}), param: ",".join(batch)})
            return self._items(body, items_key)

        if len(batches) == 1:
            return await one(batches[0])
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(batch)) for batch in batches]
        except BaseExceptionGroup as failed:
            raise _first_leaf(failed) from None
        return [item for task in tasks for item in task.result()]

    async def post_json(self, path: str, json: object, *, accept: Collection[int] = ()) -> Any:
        """POST ``json`` to ``path``; the JSON answer of a 2xx or of a status in ``accept``."""
        return (await self.request("POST", path, json=json, accept=accept)).body

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: object = None,
        accept: Collection[int] = (),
    ) -> SystemResponse:
        """Send one request, retrying 429s; the answer if 2xx or its status is in ``accept``.

        The whole call, retries and waits included, ends within ``timeout`` seconds, or by
        the deadline of the request it serves if that comes first.
        """
        timeout = self.timeout
        # Whether the request's deadline, not this client's timeout, ends the call.
        by_request = False
        left = request_deadline.remaining()
        if left is not None and left < timeout:
            if left <= 0:
                why = (
                    "the request was stopped"
                    if request_deadline.stopped()
                    else "the request's deadline passed"
                )
                raise SystemUnavailable(self.system, f"{self.system} was not called: {why}")
            timeout, by_request = left, True
        if method != "GET" or json is not None:
            return await self._traced(method, path, params, json, accept, timeout, by_request)
        key: _ReadKey = (path, tuple(sorted((params or {}).items())), tuple(sorted(accept)))
        shared = self._reads.get(key)
        if shared is not None and shared.get_loop() is asyncio.get_running_loop():
            outcome = await self._wait_for(shared, timeout, by_request)
            if outcome is not None:
                answer, error = outcome
                if error is not None:
                    raise type(error)(error.system, error.message)
                assert answer is not None
                return SystemResponse(
                    answer.status, orjson.loads(answer.raw) if answer.raw else None, answer.raw
                )
            # The reading caller gave up for reasons of its own: read for ourselves.
            return await self._traced(method, path, params, json, accept, timeout, by_request)
        future: asyncio.Future[_Outcome] = asyncio.get_running_loop().create_future()
        self._reads[key] = future
        outcome = None
        try:
            response = await self._traced(method, path, params, json, accept, timeout, by_request)
            outcome = (response, None)
            return response
        except SystemCallError as error:
            # A failure the waiters share, unless it came of this caller's own time: its
            # deadline, shorter than the client's timeout, or its request being stopped.
            if not by_request and not request_deadline.stopped():
                outcome = (None, error)
            raise
        finally:
            future.set_result(outcome)
            if self._reads.get(key) is future:
                del self._reads[key]

    async def _wait_for(
        self, shared: asyncio.Future[_Outcome], timeout: float, by_request: bool
    ) -> _Outcome:
        """The outcome of a read in flight, awaited within this caller's own time and as a
        call of its request (stopping the request ends the wait)."""
        with request_deadline.in_flight() as call:
            try:
                async with asyncio.timeout(timeout):
                    return await asyncio.shield(shared)
            except TimeoutError:
                limit = "at the request's deadline" if by_request else f"after {self.timeout}s"
                raise SystemUnavailable(self.system, f"{self.system} timed out {limit}") from None
            except asyncio.CancelledError:
                if call.was_stopped():
                    raise SystemUnavailable(
                        self.system, f"{self.system} call stopped: the request was stopped"
                    ) from None
                raise

    async def _traced(
        self,
        method: str,
        path: str,
        params: Params | None,
        json: object,
        accept: Collection[int],
        timeout: float,
        by_request: bool,
    ) -> SystemResponse:
        content = orjson.dumps(json) if json is not None else None
        headers = {"content-type": "application/json"} if content is not None else None
        if current_tracer() is None:
            return await self._call(method, path, params, content, headers, accept, timeout,
                                    by_request)  # fmt: skip
        with span(
            f"{method} {self.system}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": method,
                "url.path": path,
                "peer.service": self.system,
            },
        ):
            # The system continues this call's trace (telemetry.tracing.TracingMiddleware).
            headers = {**(headers or {}), **trace_headers()}
            return await self._call(method, path, params, content, headers, accept, timeout,
                                    by_request)  # fmt: skip

    async def _call(
        self,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        accept: Collection[int],
        timeout: float,
        by_request: bool,
    ) -> SystemResponse:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        started = time.perf_counter()
        status: int | None = None  # none came: unreachable, timed out, failed, stopped
        # Stopping the request stops the call (which may run in a loader's task of its own):
        # it fails as unavailable, so that whoever waits for it is answered too.
        with request_deadline.in_flight() as call:
            try:
                response = await self._attempts(
                    method, path, params, content, headers, accept, deadline, by_request
                )
                status = response.status
                return response
            except asyncio.CancelledError:
                if call.was_stopped():
                    raise SystemUnavailable(
                        self.system, f"{self.system} call stopped: the request was stopped"
                    ) from None
                raise
            finally:
                if self._calls is not None:
                    self._calls.observe(
                        self.system, method, path, status, time.perf_counter() - started
                    )

    async def _attempts(
        self,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        accept: Collection[int],
        deadline: float,
        by_request: bool,
    ) -> SystemResponse:
        """The call's attempts until an answer, a failure, or no time for another 429 retry."""
        loop = asyncio.get_running_loop()
        attempt = 0
        resent = False
        while True:
            try:
                response = await self._send(
                    method, path, params, content, headers, deadline, by_request
                )
            except _Unanswered as failed:
                if method in _IDEMPOTENT and not resent and loop.time() < deadline:
                    resent = True
                    logger.info("%s %s %s sent again after: %s", self.system, method, path, failed)
                    continue
                raise failed.error from None
            status = response.status
            if status == 429 and status not in accept:
                if attempt >= self.max_retries:
                    raise SystemUnavailable(
                        self.system,
                        f"{self.system} is rate limiting (429) after {attempt + 1} attempts",
                    )
                attempt += 1
                delay = self._retry_delay(response, attempt)
                if loop.time() + delay >= deadline:
                    # Waiting would spend the rest of the call's time for nothing.
                    end = "the request's deadline" if by_request else f"the {self.timeout}s timeout"
                    late = f"{self.system} is rate limiting (429) past {end}"
                    raise SystemUnavailable(self.system, late)
                await asyncio.sleep(delay)
                continue
            if 200 <= status < 300 or status in accept:
                return SystemResponse(status, self._parse(method, path, response), response.body)
            if status >= 500:
                raise SystemUnavailable(self.system, f"{self.system} answered {status}")
            logger.warning(
                "%s answered %s to %s %s: %.500s",
                self.system,
                status,
                method,
                path,
                response.body.decode("utf-8", "replace"),
            )
            raise SystemResponseInvalid(self.system, f"{self.system} answered {status}")

    async def _send(
        self,
        method: str,
        path: str,
        params: Params | None,
        content: bytes | None,
        headers: Mapping[str, str] | None,
        deadline: float,
        by_request: bool,
    ) -> Response:
        self.calls += 1
        started = time.monotonic()
        try:
            origin = self._http()
            target = path
            if params:
                target += ("&" if "?" in path else "?") + urlencode(params)
            lines = _header_lines(headers) if headers else b""
            # One bound for the whole call, earlier attempts included.
            async with asyncio.timeout_at(deadline):
                return await origin.request(method, target, headers=lines, body=content)
        except TimeoutError as error:
            logger.warning(
                "%s %s %s timed out after %.3fs (%s)",
                self.system,
                method,
                path,
                time.monotonic() - started,
                type(error).__name__,
            )
            limit = "at the request's deadline" if by_request else f"after {self.timeout}s"
            raise SystemUnavailable(self.system, f"{self.system} timed out {limit}") from None
        except ResponseTooLarge:
            logger.warning(
                "%s answered %s %s with a body over %d bytes",
                self.system,
                method,
                path,
                self.max_response_bytes,
            )
            raise SystemResponseInvalid(
                self.system,
                f"{self.system} answered with a body over {self.max_response_bytes} bytes",
            ) from None
        except (ConnectFailed, ReadFailed) as error:
            logger.warning("%s %s %s failed: %r", self.system, method, path, error)
            unreachable = SystemUnavailable(self.system, f"{self.system} could not be reached")
            raise _Unanswered(unreachable) from None
        except BadUrl as error:
            logger.warning("%s URL %r is invalid: %s", self.system, self.base_url, error)
            raise SystemUnavailable(
                self.system, f"{self.system} is configured with an invalid URL"
            ) from None
        except (HttpError, OSError, ExceptionGroup) as error:
            # What the network stack raises around the wire, e.g. an ExceptionGroup of
            # connect attempts.
            logger.warning("%s %s %s failed: %r", self.system, method, path, error)
            raise SystemUnavailable(self.system, f"{self.system} could not be reached") from None

    def _retry_delay(self, response: Response, attempt: int) -> float:
        """Retry-After (else an exponential backoff) capped at ``max_retry_after``, jittered:
        never sooner than asked, up to ``_JITTER`` later."""
        delay = _parse_retry_after(response.header("retry-after"))
        if delay is None:
            delay = _DEFAULT_BACKOFF * 2 ** (attempt - 1)
        delay = max(0.0, min(delay, self.max_retry_after))
        return delay * (1.0 + self._rng.uniform(0.0, _JITTER))

    def _parse(self, method: str, path: str, response: Response) -> Any:
        if not response.body:
            return None
        try:
            return orjson.loads(response.body)
        except orjson.JSONDecodeError:
            logger.warning(
                "%s answered %s %s with a non-JSON body: %.200r",
                self.system,
                method,
                path,
                response.body,
            )
            raise SystemResponseInvalid(
                self.system, f"{self.system} answered with a body that is not JSON"
            ) from None

    def _items(self, body: Any, items_key: str | Callable[[Any], list[Any]]) -> list[Any]:
        try:
            items = items_key(body) if callable(items_key) else body[items_key]
        except (KeyError, TypeError, IndexError):
            items = None
        if not isinstance(items, list):
            raise SystemResponseInvalid(
                self.system, f"{self.system} answered without the expected list of items"
            )
        return items


def sendable_id(value: str) -> bool:
    """Whether ``value`` can name a record in a system at all: 1 to 64 letters, digits, ``-``,
    ``_`` or ``.``."""
    return _SENDABLE.fullmatch(value) is not None


def _header_lines(headers: Mapping[str, str]) -> bytes:
    """``headers`` as header lines, less any that cannot be sent (a CR or LF in a value, which
    would inject headers of its own: say a caller's tracestate): the call goes without it."""
    try:
        return header_lines(headers)
    except ValueError:
        lines = b""
        for name, value in headers.items():
            try:
                lines += header_lines({name: value})
            except ValueError:
                logger.warning("header %r left out of a system call: it cannot be sent", name)
        return lines


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
