"""Run a query plan: fetches in sequence or concurrently, results merged into one tree."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from gateway.auth import ANONYMOUS, Identity
from gateway.executor._deadline import TIMEOUT_CODE, Deadline, cut_fetch_error, timeout_error
from gateway.executor._errors import subgraph_error
from gateway.executor._merge import (
    ResponsePath,
    deep_merge,
    objects_at,
    objects_in,
    representation,
    restore_keys,
)
from gateway.executor._shape import CostMeter, hidden_enums, shape_response
from gateway.executor._transport import SubgraphFetchError, SubgraphTransport
from gateway.planner import (
    EntityPlace,
    Fetch,
    Flatten,
    Operation,
    Parallel,
    PlanNode,
    Sequence,
)
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLError, GraphQLRequest, GraphQLResponse

__all__ = ["PlanRun"]


class PlanRun:
    """The state of one plan execution: merged data, errors, and where fetches failed.

    ``identity`` is who the request is for: every fetch forwards its token.
    """

    def __init__(
        self,
        supergraph: Supergraph,
        transport: SubgraphTransport,
        variables: Mapping[str, Any],
        deadline: Deadline | None = None,
        identity: Identity = ANONYMOUS,
    ) -> None:
        self.supergraph = supergraph
        self.transport = transport
        self.variables = variables
        self.deadline = deadline
        self.identity = identity
        self.data: dict[str, Any] = {}
        self.errors: list[GraphQLError] = []
        # Response paths under which data is missing because a fetch failed.
        self.failed: list[ResponsePath] = []
        self.fetches = 0

    async def run_plan(self, node: PlanNode | None) -> None:
        """Run the plan from ``node`` before the deadline, if there is one.

        One timer for the whole run: when it fires, every fetch still in flight is cancelled
        (and reports itself at its fields, see :meth:`send`), fetches not started never
        start, and a ``GATEWAY_TIMEOUT`` error for the whole request joins the errors.
        """
        deadline = self.deadline
        if deadline is None:
            await self.run(node)
            return
        timer = asyncio.timeout_at(deadline.at)
        try:
            async with timer:
                await self.run(node)
        except TimeoutError:
            if not timer.expired():
                raise
            self.errors.append(timeout_error(deadline))

    async def run(self, node: PlanNode | None) -> None:
        if node is None:
            return
        if isinstance(node, Fetch):
            await self.root_fetch(node)
        elif isinstance(node, Flatten):
            await self.entity_fetch(node)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self.run(child)
        elif isinstance(node, Parallel):
            await asyncio.gather(*(self.run(child) for child in node.nodes))

    def response(
        self,
        operation: Operation,
        coerced: Mapping[str, Any] | None = None,
        meter: CostMeter | None = None,
    ) -> GraphQLResponse:
        """The client's response: the merged data shaped to ``operation``, with the errors.

        ``coerced`` (defaults applied) decide ``@skip``/``@include``; without them the
        variables as sent do. ``meter`` measures the actual cost in the same walk.
        """
        data = shape_response(
            self.supergraph.api_schema,
            operation,
            self.variables if coerced is None else coerced,
            self.data,
            self.errors,
            self.failed,
            hidden_enums(self.supergraph.api_schema, self.supergraph.schema),
            meter=meter,
        )
        response: GraphQLResponse = {}
        if self.errors:
            response["errors"] = self.errors
        response["data"] = data
        return response

    def request(self, fetch: Fetch, extra: dict[str, Any] | None = None) -> GraphQLRequest:
        variables = {n: self.variables[n] for n in fetch.variables if n in self.variables}
        if extra:
            variables.update(extra)
        request: GraphQLRequest = {"query": fetch.operation}
        if variables:
            request["variables"] = variables
        return request

    async def send(
        self,
        fetch: Fetch,
        request: GraphQLRequest,
        paths: Callable[[], list[list[ResponsePath]]],
    ) -> GraphQLResponse | None:
        """The subgraph's answer, or ``None`` after a failed fetch was reported.

        The fetch gets what is left of the request's deadline (the timer of
        :meth:`run_plan` cancels it at the deadline, and the subgraph is told the time left);
        a fetch cancelled that way reports ``GATEWAY_TIMEOUT`` where a failed one reports
        ``SUBGRAPH_ERROR``.

        ``paths()`` are the response paths the fetch was to fill, in groups that each get one
        error; they are marked failed (no null errors are added under them): a root fetch
        gets one error per root field, like a failed field in graphql-js; an entity fetch
        one per place it completes (one unless merged), at the deepest path shared by its
        entities there (the entity itself when there is one, else the list they are in,
        ``["orders", 0, "lines"]``). Apollo Router also reports one
        error per entity fetch, at the flatten path (``["orders", "@", "lines", "@"]``),
        which is not a response path.
        """
        self.fetches += 1
        try:
            return await self.transport.send(
                fetch.service,
                self.supergraph.url(fetch.service),
                request,
                idempotent=fetch.operation_kind != "mutation",
                deadline=None if self.deadline is None else self.deadline.at,
                identity=self.identity,
            )
        except SubgraphFetchError as error:
            self.fail(fetch, paths(), str(error), "SUBGRAPH_ERROR")
            return None
        except asyncio.CancelledError:
            # The deadline passed (or the client left, and then nobody reads this): the
            # fields this fetch was to fill say so, and the data that did arrive is kept.
            self.fail(fetch, paths(), cut_fetch_error(fetch.service, self.deadline), TIMEOUT_CODE)
            raise

    def fail(self, fetch: Fetch, failed: list[list[ResponsePath]], message: str, code: str) -> None:
        """Report a fetch that got no answer at the paths it was to fill (see :meth:`send`)."""
        for group in failed:
            self.failed.extend(group)
        located = [_common_prefix(group) for group in failed if group]
        for path in located or [[]]:
            out: GraphQLError = {"message": message}
            if path:
                out["path"] = path
            out["extensions"] = {"code": code, "serviceName": fetch.service}
            self.errors.append(out)

    async def root_fetch(self, fetch: Fetch) -> None:
        response = await self.send(
            fetch, self.request(fetch), lambda: [[[key]] for key in fetch.root_keys]
        )
        if response is not None:
            self.merge_root(fetch, response)

    def merge_root(self, fetch: Fetch, response: Mapping[str, Any]) -> None:
        """Merge a root fetch's answer (or one subscription event) at the root, with its errors."""
        data = response.get("data")
        if isinstance(data, dict):
            if fetch.renames:
                restore_keys(data, fetch.renames_map)
            deep_merge(self.data, data)
        for error in response.get("errors") or ():
            self.add_error(error, fetch.service, lambda path: path)

    async def entity_fetch(self, flatten: Flatten) -> None:
        """One ``_entities`` call for the objects at every place of ``flatten`` (one place,
        or several for a merged fetch): identical representations (same ``__typename`` and
        fields) are sent once, and what comes back is merged into every object that asked."""
        fetch = flatten.node
        shapes = fetch.requires_by_type
        reps: list[dict[str, Any]] = []
        # The objects each representation stands for, with the index of their place.
        targets: list[list[tuple[int, dict[str, Any]]]] = []
        index: dict[bytes, int] = {}
        places = flatten.places
        for at, place in enumerate(places):
            for obj in objects_in(self.data, place.path):
                typename = obj.get("__typename")
                if not isinstance(typename, str) or typename not in place.types:
                    continue
                rep = representation(obj, shapes[typename])
                if rep is None:
                    continue
                key = orjson.dumps(rep)
                position = index.get(key)
                if position is None:
                    position = index[key] = len(reps)
                    reps.append(rep)
                    targets.append([])
                targets[position].append((at, obj))
        if not reps:
            return
        response = await self.send(
            fetch,
            self.request(fetch, {"representations": reps}),
            lambda: self.place_paths(places, targets),
        )
        if response is None:
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list):
            if fetch.renames:
                restore_keys(entities, fetch.renames_map)
            for position, entity in enumerate(entities[: len(targets)]):
                if isinstance(entity, dict):
                    if entity.get("__typename") == reps[position]["__typename"]:
                        # Nothing new, and for an @interfaceObject it is the interface's name,
                        # which must not replace the object's real type. (The entity is fresh
                        # from the decoder and nobody else's: no copy needed.)
                        del entity["__typename"]
                    for _, obj in targets[position]:
                        deep_merge(obj, entity)
        errors = response.get("errors")
        if errors:
            self.entity_errors(fetch, errors, self.first_paths(places, targets))

    def entity_errors(
        self, fetch: Fetch, errors: list[Any], firsts: list[list[ResponsePath]]
    ) -> None:
        """An entity fetch's errors, each where it would be had each place been fetched alone:
        an error at ``_entities[i]`` at the first object representation ``i`` stands for, once
        per place it stands for objects at (``firsts[i]``)."""
        for error in errors:
            path = error.get("path") if isinstance(error, dict) else None
            located: list[ResponsePath | None] = []
            if isinstance(path, list) and len(path) >= 2 and path[0] == "_entities":
                position = path[1]
                if isinstance(position, int) and 0 <= position < len(firsts):
                    located = [[*at, *path[2:]] for at in firsts[position]]
            for client_path in located or [None]:
                self.add_error(error, fetch.service, lambda _, at=client_path: at)

    def where(self, places: tuple[EntityPlace, ...]) -> dict[int, ResponsePath]:
        """The response path of every object at ``places``, by ``id``: found again only when
        an error needs them."""
        where: dict[int, ResponsePath] = {}
        for place in places:
            where.update((id(obj), at) for obj, at in objects_at(self.data, place.path))
        return where

    def first_paths(
        self, places: tuple[EntityPlace, ...], targets: list[list[tuple[int, dict[str, Any]]]]
    ) -> list[list[ResponsePath]]:
        """Per representation, the path of the first object it stands for at each place."""
        where = self.where(places)
        out: list[list[ResponsePath]] = []
        for group in targets:
            first: dict[int, ResponsePath] = {}
            for at, obj in group:
                if at not in first and id(obj) in where:
                    first[at] = where[id(obj)]
            out.append(list(first.values()))
        return out

    def place_paths(
        self, places: tuple[EntityPlace, ...], targets: list[list[tuple[int, dict[str, Any]]]]
    ) -> list[list[ResponsePath]]:
        """The paths of every object representations stand for, per place (a failed fetch)."""
        where = self.where(places)
        out: list[list[ResponsePath]] = [[] for _ in places]
        for group in targets:
            for at, obj in group:
                if id(obj) in where:
                    out[at].append(where[id(obj)])
        return out

    def add_error(self, error: Any, service: str, repath: Any) -> None:
        out = subgraph_error(error, service, repath)
        if out is not None:
            self.errors.append(out)


def _common_prefix(paths: list[ResponsePath]) -> ResponsePath:
    """The longest path that starts every one of ``paths``."""
    prefix = list(paths[0]) if paths else []
    for path in paths[1:]:
        size = 0
        for a, b in zip(prefix, path, strict=False):
            if a != b:
                break
            size += 1
        del prefix[size:]
    return prefix
