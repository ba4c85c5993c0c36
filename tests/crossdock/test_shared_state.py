"""The line about where state lives, and the check of Redis before anything starts."""

from __future__ import annotations

from crossdock.shared_state import redis_problem, state_line, without_password
from tests.support.redis import dead_redis_url, redis_url

__all__ = ["dead_redis_url", "redis_url"]  # fixtures


def test_the_state_line_never_shows_a_password() -> None:
    assert "in memory" in state_line(None)
    line = state_line("redis://app:s3cret@cache.internal:6380/2")
    assert line == "state: Redis at redis://app:***@cache.internal:6380/2"
    assert without_password("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert without_password("rediss://:tok@[::1]:6379") == "rediss://:***@[::1]:6379"


def test_a_redis_that_answers_is_no_problem(redis_url: str) -> None:
    assert redis_problem(redis_url) is None


def test_a_redis_that_does_not_answer_is_one_line(dead_redis_url: str) -> None:
    problem = redis_problem(dead_redis_url.replace("redis://", "redis://u:pw@"))
    assert problem is not None and "\n" not in problem
    assert problem.startswith("Redis at redis://u:***@127.0.0.1:")
    assert "does not answer" in problem and "unset REDIS_URL" in problem
    assert "pw" not in problem
