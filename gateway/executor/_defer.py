"""Run a plan with deferred parts: the initial payload once its own fetches are done, then one
payload per deferred fragment as its fetches finish (incremental delivery, the
``deferSpec=20220824`` format Apollo Client and urql read), or the whole result at once.

The initial payload is ``{"data", "errors"?, "hasNext": true}``, shaped without the deferred
fragments. Each deferred part runs its fetches once the initial part is done (and once the
parts it depends on are), on the same merged data, with errors of its own; its payload is
``{"incremental": [{"data", "path", "label"?, "errors"?}], "hasNext"}``, one item per object
the fragment completes (one per list element under a list). A part nested in another is sent
after it. The last payload says ``"hasNext": false``.

Errors of a part stay in its payload; at the deadline each part still running reports
``GATEWAY_TIMEOUT`` in its own payload.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
)

from gateway.auth import ANONYMOUS, Identity
from gateway.executor._deadline import Deadline
from gateway.executor._merge import ResponsePath, deep_merge, objects_at
from gateway.executor._run import PlanRun
from gateway.executor._shape import hidden_enums, shape_object, shape_response
from gateway.executor._transport import SubgraphTransport
from gateway.planner import (
    CollectedField,
    DeferredPart,
    Operation,
    QueryPlan,
    applies_to,
    defer_label,
    deferred_by_key,
    fragment_body,
)
from gateway.supergraph import Supergraph
from gateway.wire import GraphQLError, GraphQLResponse, IncrementalItem

__all__ = ["DeferredRun", "merge_at"]


def merge_at(data: dict[str, Any], path: ResponsePath, part: dict[str, Any] | None) -> None:
    """Merge a deferred payload's ``part`` into ``data`` at ``path``, as a client does."""
    target: Any = data
    for step in path:
        if isinstance(step, int):
            target = target[step] if isinstance(target, list) and step < len(target) else None
        else:
            target = target.get(step) if isinstance(target, dict) else None
        if target is None:
            return
    if isinstance(target, dict) and part is not None:
        deep_merge(target, part)


def _owner(operation: Operation, node: Any) -> tuple[CollectedField, str | None]:
    """A stand-in field whose sub-selection is the deferred fragment (without its ``@defer``),
    to shape the objects it completes; made once per operation. And its type condition."""
    cache_key = ("defer-owner", id(node))
    found = operation.derived.get(cache_key)
    if found is None:
        body = fragment_body(node, operation.fragments)
        cond, selections = body if body is not None else (None, ())
        inner = InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=cond)) if cond else None,
            directives=(),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        field = FieldNode(
            name=NameNode(value="__defer"),
            alias=None,
            arguments=(),
            directives=(),
            selection_set=SelectionSetNode(selections=(inner,)),
        )
        found = operation.derived[cache_key] = (CollectedField("", "__defer", (field,)), cond)
    return found


def _under(path: ResponsePath, prefix: ResponsePath) -> bool:
    return len(path) >= len(prefix) and path[: len(prefix)] == prefix


def _answers(data: Any, path: ResponsePath) -> bool:
    """Whether shaped ``data`` has the place an error at (relative) ``path`` is about: a
    fetch may answer fields of a later part, whose errors must go with that part."""
    for step in path:
        if data is None:
            return True  # null propagated from there
        if isinstance(step, int):
            if not isinstance(data, list) or step >= len(data):
                return False
        elif not isinstance(data, dict) or step not in data:
            return False
        data = data[step]
    return True


class DeferredRun:
    """One execution of a plan that has deferred parts."""

    def __init__(
        self,
        supergraph: Supergraph,
        transport: SubgraphTransport,
        plan: QueryPlan,
        operation: Operation,
        variables: Mapping[str, Any],
        coerced: Mapping[str, Any] | None,
        deadline: Deadline | None,
        identity: Identity = ANONYMOUS,
    ) -> None:
        self.supergraph = supergraph
        self.transport = transport
        self.plan = plan
        self.operation = operation
        self.variables = variables
        self.coerced = variables if coerced is None else coerced
        self.deadline = deadline
        self.identity = identity
        self.base = self._run()
        self.fragments = deferred_by_key(operation, self.coerced)
        self.exclude = frozenset(id(node) for node in self.fragments.values())
        self.hidden = hidden_enums(supergraph.api_schema, supergraph.schema)
        # Errors that arrived before the payload they are about (see :func:`_answers`).
        self.carried: list[GraphQLError] = []

    def _run(self) -> PlanRun:
        run = PlanRun(self.supergraph, self.transport, self.variables, self.deadline, self.identity)
        if hasattr(self, "base"):
            run.data = self.base.data  # every part merges into the one tree
        return run

    async def _parts(self) -> AsyncIterator[tuple[int, PlanRun]]:
        """Run every deferred part (each after those it waits for); yield them as they finish."""
        parts = self.plan.deferred
        finished = [asyncio.Event() for _ in parts]
        done: asyncio.Queue[tuple[int, PlanRun | BaseException]] = asyncio.Queue()

        async def one(index: int) -> None:
            try:
                for before in parts[index].after:
                    await finished[before].wait()
                run = self._run()
                await run.run_plan(parts[index].node)
            except Exception as error:  # reported to the reader, which raises it
                done.put_nowait((index, error))
                return
            finally:
                finished[index].set()
            done.put_nowait((index, run))

        tasks = [asyncio.create_task(one(i)) for i in range(len(parts))]
        try:
            for _ in parts:
                index, outcome = await done.get()
                if isinstance(outcome, BaseException):
                    raise outcome
                yield index, outcome
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def whole(self) -> GraphQLResponse:
        """Every part run, the response shaped as if nothing were deferred (errors of all)."""
        await self.base.run_plan(self.plan.node)
        async for _, run in self._parts():
            self.base.errors.extend(run.errors)
            self.base.failed.extend(run.failed)
        return self.base.response(self.operation, self.coerced)

    async def payloads(self) -> AsyncGenerator[GraphQLResponse, None]:
        """The initial payload, then one per deferred part; see the module's docstring."""
        base = self.base
        await base.run_plan(self.plan.node)
        schema = self.supergraph.api_schema
        data = shape_response(
            schema,
            self.operation,
            self.coerced,
            base.data,
            base.errors,
            base.failed,
            self.hidden,
            self.exclude,
        )
        initial: GraphQLResponse = {}
        # Errors about fields of deferred fragments (fetched with the initial part) wait for
        # the part that sends those fields.
        own = [e for e in base.errors if "path" not in e or _answers(data, e["path"])]
        self.carried = [e for e in base.errors if e not in own]
        if own:
            initial["errors"] = own
        initial["data"] = data
        if data is None:  # nothing for a deferred fragment to complete
            initial["hasNext"] = False
            yield initial
            return
        initial["hasNext"] = True
        yield initial
        parts = self.plan.deferred
        delivered: set[int] = set()
        ready: dict[int, PlanRun] = {}
        left = len(parts)
        async for index, run in self._parts():
            ready[index] = run
            # A part nested in another goes after it (its objects arrive with that one).
            while True:
                sendable = [i for i in sorted(ready) if parts[i].parent in (None, *delivered)]
                if not sendable:
                    break
                i = sendable[0]
                left -= 1
                delivered.add(i)
                yield self.subsequent(parts[i], ready.pop(i), has_next=left > 0)

    def subsequent(self, part: DeferredPart, run: PlanRun, *, has_next: bool) -> GraphQLResponse:
        """The payload of one finished part."""
        node = self.fragments.get(part.key)
        out: GraphQLResponse = {}
        if node is None:  # authorization took the whole fragment out
            return {"hasNext": has_next}
        schema = self.supergraph.api_schema
        owner, condition = _owner(self.operation, node)
        label = defer_label(node)
        errors: list[GraphQLError] = list(run.errors)
        items: list[IncrementalItem] = []
        fetched = len(errors)
        for obj, path in objects_at(run.data, part.path):
            typename = obj.get("__typename")
            runtime = typename if isinstance(typename, str) else part.type_name
            if not applies_to(schema, condition, runtime):
                continue
            shaped = shape_object(
                schema,
                self.operation,
                self.coerced,
                obj,
                runtime,
                owner,
                path,
                errors,
                run.failed,
                self.hidden,
                self.exclude,
            )
            item: IncrementalItem = {"data": shaped, "path": path}
            if label is not None:
                item["label"] = label
            items.append(item)
        # Errors carried from earlier payloads come here when they are about this part's data.
        carried, self.carried = self.carried, []
        for error in carried:
            at = error.get("path")
            if at is not None and any(
                _under(at, i["path"]) and _answers(i["data"], at[len(i["path"]) :]) for i in items
            ):
                errors.append(error)
            else:
                self.carried.append(error)
        if not has_next:  # the last payload: nothing left to carry to
            errors.extend(self.carried)
            self.carried = []
        if items:
            for index, error in enumerate(errors):
                at = error.get("path")
                home = items[0]
                if at is not None:
                    under = [i for i in items if _under(at, i["path"])]
                    if under:
                        home = max(under, key=lambda i: len(i["path"]))
                        if (
                            has_next
                            and index < fetched
                            and not _answers(home["data"], at[len(home["path"]) :])
                        ):
                            self.carried.append(error)  # about a part nested in this one
                            continue
                home.setdefault("errors", []).append(error)
            out["incremental"] = items
        elif errors:
            out["errors"] = errors
        out["hasNext"] = has_next  # last, as clients print it
        return out
