"""Run a query plan: fetches in sequence or concurrently, results merged into one tree."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson

from gateway.executor._merge import (
    ResponsePath,
    deep_merge,
    objects_at,
    representation,
    restore_keys,
)
from gateway.executor._transport import SubgraphFetchError, SubgraphTransport
from gateway.planner import Fetch, Flatten, Parallel, PlanNode, Sequence
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLError, GraphQLRequest, GraphQLResponse

__all__ = ["PlanRun"]


class PlanRun:
    """The state of one plan execution: merged data, errors, and where fetches failed."""

    def __init__(
        self,
        supergraph: Supergraph,
        transport: SubgraphTransport,
        variables: Mapping[str, Any],
    ) -> None:
        self.supergraph = supergraph
        self.transport = transport
        self.variables = variables
        self.data: dict[str, Any] = {}
        self.errors: list[GraphQLError] = []
        # Response paths under which data is missing because a fetch failed.
        self.failed: list[ResponsePath] = []
        self.fetches = 0

    async def run(self, node: PlanNode | None) -> None:
        if node is None:
            return
        if isinstance(node, Fetch):
            await self.root_fetch(node)
        elif isinstance(node, Flatten):
            await self.entity_fetch(node.path, node.node)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self.run(child)
        elif isinstance(node, Parallel):
            await asyncio.gather(*(self.run(child) for child in node.nodes))

    def request(self, fetch: Fetch, extra: dict[str, Any] | None = None) -> GraphQLRequest:
        variables = {n: self.variables[n] for n in fetch.variables if n in self.variables}
        if extra:
            variables.update(extra)
        request: GraphQLRequest = {"query": fetch.operation}
        if variables:
            request["variables"] = variables
        return request

    async def send(self, fetch: Fetch, request: GraphQLRequest) -> GraphQLResponse | None:
        self.fetches += 1
        try:
            return await self.transport.send(
                fetch.service, self.supergraph.url(fetch.service), request
            )
        except SubgraphFetchError as error:
            self.errors.append(
                {
                    "message": str(error),
                    "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": fetch.service},
                }
            )
            return None

    async def root_fetch(self, fetch: Fetch) -> None:
        response = await self.send(fetch, self.request(fetch))
        if response is None:
            self.failed.extend([key] for key in fetch.root_keys)
            return
        data = response.get("data")
        if isinstance(data, dict):
            if fetch.renames:
                restore_keys(data, dict(fetch.renames))
            deep_merge(self.data, data)
        for error in response.get("errors") or ():
            self.add_error(error, fetch.service, lambda path: path)

    async def entity_fetch(self, path: tuple[str, ...], fetch: Fetch) -> None:
        shapes = dict(fetch.requires or ())
        reps: list[dict[str, Any]] = []
        targets: list[list[tuple[dict[str, Any], ResponsePath]]] = []
        index: dict[bytes, int] = {}
        for obj, at in objects_at(self.data, path):
            shape = shapes.get(obj.get("__typename"))  # type: ignore[arg-type]
            if shape is None:
                continue
            rep = representation(obj, shape)
            if rep is None:
                continue
            key = orjson.dumps(rep)
            position = index.get(key)
            if position is None:
                position = index[key] = len(reps)
                reps.append(rep)
                targets.append([])
            targets[position].append((obj, at))
        if not reps:
            return
        response = await self.send(fetch, self.request(fetch, {"representations": reps}))
        if response is None:
            self.failed.extend(at for group in targets for _, at in group)
            return
        data = response.get("data")
        entities = data.get("_entities") if isinstance(data, dict) else None
        if isinstance(entities, list):
            if fetch.renames:
                restore_keys(entities, dict(fetch.renames))
            for position, entity in enumerate(entities[: len(targets)]):
                if isinstance(entity, dict):
                    if entity.get("__typename") == reps[position]["__typename"]:
                        # Nothing new, and for an @interfaceObject it is the interface's name,
                        # which must not replace the object's real type.
                        entity = {k: v for k, v in entity.items() if k != "__typename"}
                    for obj, _ in targets[position]:
                        deep_merge(obj, entity)

        def repath(error_path: ResponsePath) -> ResponsePath | None:
            if len(error_path) >= 2 and error_path[0] == "_entities":
                position = error_path[1]
                if isinstance(position, int) and 0 <= position < len(targets):
                    return [*targets[position][0][1], *error_path[2:]]
            return None

        for error in response.get("errors") or ():
            self.add_error(error, fetch.service, repath)

    def add_error(self, error: Any, service: str, repath: Any) -> None:
        if not isinstance(error, dict):
            return
        out: GraphQLError = {"message": str(error.get("message", "Subgraph error"))}
        path = error.get("path")
        if isinstance(path, list):
            client_path = repath(path)
            if client_path is not None:
                out["path"] = client_path
        extensions = dict(error.get("extensions") or {})
        extensions.setdefault("code", "SUBGRAPH_ERROR")
        extensions["serviceName"] = service
        out["extensions"] = extensions
        self.errors.append(out)
