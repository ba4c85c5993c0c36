"""The fault decisions themselves, on a hand-driven clock."""

from __future__ import annotations

from crossdock.settings import FaultSettings
from systems.common import FaultDecision, FaultInjector, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_burst_then_refill() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0, now=0.0)
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == 0.0
    assert bucket.take(0.0) == 0.5
    assert bucket.take(0.5) == 0.0
    assert bucket.take(10.0) == 0.0  # refills to the burst, not beyond
    assert bucket.take(10.0) == 0.0
    assert bucket.take(10.0) > 0


def test_no_faults() -> None:
    injector = FaultInjector(FaultSettings, clock=Clock())
    assert injector.decide() == FaultDecision()


def test_rate_limit_retry_after_is_whole_seconds_at_least_one() -> None:
    clock = Clock()
    faults = FaultSettings(rate_limit_per_second=4)
    injector = FaultInjector(lambda: faults, clock=clock)
    assert [injector.decide().retry_after for _ in range(5)] == [None] * 4 + [1]
    clock.now += 0.25
    assert injector.decide().retry_after is None

    slow = FaultSettings(rate_limit_per_second=0.4)
    injector = FaultInjector(lambda: slow, clock=clock)
    assert injector.decide().retry_after is None  # burst = max(1, rate)
    assert injector.decide().retry_after == 3  # 2.5 s rounded up


def test_new_settings_refill_the_bucket() -> None:
    current = FaultSettings(rate_limit_per_second=1)
    injector = FaultInjector(lambda: current, clock=Clock())
    assert injector.decide().retry_after is None
    assert injector.decide().retry_after == 1
    current = FaultSettings(rate_limit_per_second=1)
    assert injector.decide().retry_after is None


def test_latency_and_error_rate() -> None:
    draws = iter([0.1, 0.3])
    faults = FaultSettings(latency_ms=250, error_rate=0.2)
    injector = FaultInjector(lambda: faults, clock=Clock(), rand=lambda: next(draws))
    assert injector.decide() == FaultDecision(delay_seconds=0.25, fail=True)
    assert injector.decide() == FaultDecision(delay_seconds=0.25, fail=False)


def test_throttled_requests_are_neither_delayed_nor_failed() -> None:
    faults = FaultSettings(latency_ms=100, error_rate=1, rate_limit_per_second=1)
    injector = FaultInjector(lambda: faults, clock=Clock())
    assert injector.decide() == FaultDecision(delay_seconds=0.1, fail=True)
    assert injector.decide() == FaultDecision(retry_after=1)


def test_faults_scoped_to_routes_spare_every_other_route() -> None:
    faults = FaultSettings(latency_ms=40, error_rate=1.0, routes=["POST /contacts"])
    injector = FaultInjector(lambda: faults, clock=Clock(), rand=lambda: 0.5)
    assert injector.decide("POST /contacts") == FaultDecision(delay_seconds=0.04, fail=True)
    assert injector.decide("GET /contacts") == FaultDecision()
    assert injector.decide("POST /accounts") == FaultDecision()
    assert injector.decide() == FaultDecision()


def test_a_rate_limit_scoped_to_routes_counts_only_their_requests() -> None:
    faults = FaultSettings(rate_limit_per_second=1, routes=["GET /accounts/{id}"])
    injector = FaultInjector(lambda: faults, clock=Clock())
    assert injector.decide("GET /accounts/{id}").retry_after is None
    # Other routes neither take a token nor get throttled.
    assert [injector.decide("GET /accounts").retry_after for _ in range(3)] == [None] * 3
    assert injector.decide("GET /accounts/{id}").retry_after == 1


def test_an_empty_route_list_faults_nothing() -> None:
    faults = FaultSettings(error_rate=1.0, routes=[])
    injector = FaultInjector(lambda: faults, clock=Clock(), rand=lambda: 0.0)
    assert injector.decide("GET /accounts") == FaultDecision()
