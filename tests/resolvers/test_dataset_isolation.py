"""Two datasets sharing one Redis keep their orders' journals and idempotency keys apart."""

from __future__ import annotations

from pathlib import Path

from crossdock.settings import Settings
from resolvers.journal import WorkflowState
from resolvers.service import OrdersService


def _service(
    base: Settings, redis_url: str, prefix: str, seed: int, data_dir: Path
) -> OrdersService:
    settings = base.model_copy(
        update={"redis_url": redis_url, "cache_prefix": prefix, "seed": seed, "data_dir": data_dir}
    )
    return OrdersService.from_settings(settings.workflows)


async def test_a_key_used_on_one_dataset_is_new_on_another(
    base_settings: Settings, redis_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    first = _service(base_settings, redis_url, redis_prefix, 7, tmp_path / "a")
    second = _service(base_settings, redis_url, redis_prefix, 8, tmp_path / "b")
    try:
        state = WorkflowState(
            id="WF-1", kind="submitOrder", request={"accountId": "A"}, idempotency_key="k-1"
        )
        await first.journal.save(state)
        claimed = await first.submissions.idempotency.claim("submitOrder", "k-1", "d", "WF-1")
        assert claimed.owner

        # The other dataset has never seen the key or the workflow.
        assert await second.journal.of_key("submitOrder", "k-1") is None
        assert await second.journal.load("WF-1") is None
        assert await second.journal.unfinished() == []
        other = await second.submissions.idempotency.claim("submitOrder", "k-1", "d", "WF-9")
        assert other.owner and other.workflow_id == "WF-9"

        # While its own dataset still holds its workflow under the key.
        held = await first.journal.of_key("submitOrder", "k-1")
        assert held is not None and held.id == state.id
    finally:
        for service in (first, second):
            await service.aclose()
