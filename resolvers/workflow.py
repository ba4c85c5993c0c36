"""What every journaled workflow shares: claiming its idempotency key, and recording its end."""

from __future__ import annotations

import uuid
from typing import Any

from resolvers.idempotency import IdempotencyStore, fingerprint
from resolvers.journal import WorkflowJournal, WorkflowState, WorkflowStatus
from resolvers.records import UserError

__all__ = ["KEY_REUSED", "begin", "end"]

KEY_REUSED = UserError(
    "IDEMPOTENCY_KEY_REUSED",
    ("idempotencyKey",),
    "this idempotency key was used with a different input",
)


async def begin(
    idempotency: IdempotencyStore,
    journal: WorkflowJournal,
    kind: str,
    body: dict[str, Any],
    key: str,
) -> WorkflowState | dict[str, Any]:
    """A new journaled workflow that owns ``key``, or the result of the first request under it.

    Raises ``KeyReused`` when the key was first used with another input.
    """
    digest = fingerprint(kind, body)
    workflow_id = f"WF-{uuid.uuid4().hex[:20].upper()}"
    claim = await idempotency.claim(kind, key, digest, workflow_id)
    if not claim.owner:
        assert claim.result is not None
        return claim.result
    state = WorkflowState(
        id=workflow_id, kind=kind, request=body, idempotency_key=key, fingerprint=digest
    )
    await journal.save(state)
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
