"""What every journaled workflow shares: claiming its idempotency key, and recording its end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from resolvers.authority import scoped_key
from resolvers.idempotency import IdempotencyStore, KeyInProgress, KeyReused, fingerprint
from resolvers.journal import WorkflowJournal, WorkflowState, WorkflowStatus
from resolvers.leases import Leases
from resolvers.records import UserError
from resolvers.systems import Systems
from schema.actor import SYSTEM, Actor

__all__ = [
    "IN_PROGRESS",
    "KEY_REUSED",
    "STARTED_AT",
    "JournaledWorkflow",
    "StepHook",
    "begin",
    "end",
]

STARTED_AT = "startedAt"
"""The key of a workflow's ``data`` holding when it was asked (Unix seconds)."""

KEY_REUSED = UserError(
    "IDEMPOTENCY_KEY_REUSED",
    ("idempotencyKey",),
    "this idempotency key was used with a different input",
)
IN_PROGRESS = UserError(
    "IN_PROGRESS",
    ("idempotencyKey",),
    "the first request with this idempotency key is still running or being settled; "
    "retry later with the same key",
)


StepHook = Callable[[str, WorkflowState], Awaitable[None]]
"""Called after each journaled step with its name and the state written (tests crash here)."""


class JournaledWorkflow:
    """What each workflow (submit, cancel, returns, release) stands on: the systems it writes
    to, the journal its steps go into, the idempotency records of its keys, and the leases a
    running request holds so that recovery leaves it alone (the service shares its own)."""

    def __init__(
        self,
        systems: Systems,
        journal: WorkflowJournal,
        idempotency: IdempotencyStore,
        *,
        after_step: StepHook | None = None,
    ) -> None:
        self.systems = systems
        self.journal = journal
        self.idempotency = idempotency
        self.after_step = after_step
        self.leases = Leases()


async def begin(
    idempotency: IdempotencyStore,
    journal: WorkflowJournal,
    kind: str,
    body: dict[str, Any],
    key: str,
    leases: Leases | None = None,
    actor: Actor = SYSTEM,
) -> WorkflowState | dict[str, Any]:
    """A new journaled workflow of ``actor`` that owns ``key``, or the result of the first
    request under it.

    The key counts within the actor's namespace (``resolvers.authority.scoped_key``): the
    records, the journal and the new workflow's state all hold it scoped, so another account's
    request under the same words is another key. Raises ``KeyReused`` when the key was first
    used with another input. A new workflow's lease is held in ``leases`` (the caller releases
    it when it returns).
    """
    key = scoped_key(actor, key)
    digest = fingerprint(kind, body)
    workflow_id = f"WF-{uuid.uuid4().hex[:20].upper()}"
    claim = await idempotency.claim(kind, key, digest, workflow_id)
    if not claim.owner:
        assert claim.result is not None
        return claim.result
    # The records may have forgotten the key (the in-memory cache after a restart, an
    # evicted entry): the journal remembers every workflow's key, input and result.
    earlier = await journal.of_key(kind, key)
    if earlier is not None and earlier.fingerprint is not None and idempotency.retains(earlier):
        if earlier.status == "RUNNING":
            # Still being finished or settled (by recovery): the key stays with it.
            await idempotency.hold(kind, key, earlier.fingerprint, earlier.id, None)
            if earlier.fingerprint != digest:
                raise KeyReused(key)
            raise KeyInProgress(f"the first request with key {key!r} is still running")
        if earlier.result is not None:
            await idempotency.hold(kind, key, earlier.fingerprint, earlier.id, earlier.result)
            if earlier.fingerprint != digest:
                raise KeyReused(key)
            return earlier.result
    state = WorkflowState(
        id=workflow_id,
        kind=kind,
        request=body,
        idempotency_key=key,
        fingerprint=digest,
        # When it was asked: what the business monitoring reports, whoever finishes it.
        data={STARTED_AT: time.time()},
        actor=actor,
    )
    if leases is not None:
        # Held before the journal shows it, so recovery never takes up a workflow starting.
        await leases.take(workflow_id)
    try:
        await journal.save(state)
    except BaseException:
        if leases is not None:
            await leases.release(workflow_id)
        raise
    return state


async def end(
    idempotency: IdempotencyStore,
    journal: WorkflowJournal,
    state: WorkflowState,
    status: WorkflowStatus,
    result: dict[str, Any] | None,
) -> WorkflowState:
    """Record the end of ``state``; its key keeps ``result``, or is released without one."""
    ended = state.finished(status, result)
    await journal.save(ended)
    key, digest = state.idempotency_key, state.fingerprint
    if key is not None and digest is not None:
        if result is None:
            await idempotency.release(state.kind, key)
        else:
            await idempotency.complete(state.kind, key, digest, state.id, result)
    return ended
