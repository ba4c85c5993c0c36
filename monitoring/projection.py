"""How one fact moves an order's state, and the samples it yields: a pure function.

The stores (``monitoring.sqlite_store``, ``monitoring.redis_store``) call :func:`project` inside
their transaction, between reading the order's state and writing it back, so every store
counts the same way. Facts may come out of order across their sources (the release's webhook
can be handled before the submission's outcome is recorded, an invoice before its shipment's
milestone): each side keeps its time, and the pair is measured by whichever comes second.
"""

from __future__ import annotations

from monitoring.records import (
    CycleStage,
    Fact,
    FactKind,
    FalloutKind,
    Leg,
    Measure,
    OrderState,
    Sample,
)
from monitoring.settings import OPEN_STAGES

__all__ = ["DONE_STAGES", "project"]

DONE_STAGES = frozenset({"DELIVERED", "CANCELLED"})
"""A leg in one of these is finished; an order whose legs all are is closed."""

_LEG_STAGES = frozenset(
    {
        FactKind.RELEASED,
        FactKind.PICKING,
        FactKind.PICKED,
        FactKind.PACKED,
        FactKind.SHIPPED,
        FactKind.IN_TRANSIT,
        FactKind.OUT_FOR_DELIVERY,
        FactKind.DELIVERED,
        FactKind.BACKORDERED,
        FactKind.CANCELLED,
    }
)
# Milestones that say a troubled shipment moves again.
_CLEARS_TROUBLE = frozenset({FactKind.IN_TRANSIT, FactKind.OUT_FOR_DELIVERY, FactKind.DELIVERED})
_RANK = {stage: rank for rank, stage in enumerate(OPEN_STAGES)}


def _cycle(stage: CycleStage, fact: Fact, start: float | None, center: str | None) -> list[Sample]:
    if start is None:
        return []
    seconds = max(fact.at - start, 0.0)
    return [
        Sample(Measure.CYCLE, stage, fact.at, seconds, center_id=center, order_id=fact.order_id)
    ]


def _fallout(kind: FalloutKind, fact: Fact, reason: str) -> Sample:
    return Sample(
        Measure.FALLOUT, kind, fact.at, center_id=fact.center_id, reason=reason,
        order_id=fact.order_id,
    )  # fmt: skip


def _settle(state: OrderState) -> None:
    """The order's stage: its least advanced unfinished leg's (none: as it was)."""
    if not state.legs:
        return
    live = [(c, leg) for c, leg in state.legs.items() if leg.stage not in DONE_STAGES]
    if not live:
        state.open = False
        every = {leg.stage for leg in state.legs.values()}
        state.stage = "CANCELLED" if every == {"CANCELLED"} else "DELIVERED"
        state.since = max(leg.since for leg in state.legs.values())
        return
    state.open = True
    _, leg = min(live, key=lambda item: (_RANK.get(item[1].stage, 0), item[1].since))
    state.stage, state.since = leg.stage, leg.since


def _new(fact: Fact, stage: str = "SUBMITTED") -> OrderState:
    return OrderState(order_id=fact.order_id, stage=stage, since=fact.at)


def project(state: OrderState | None, fact: Fact) -> tuple[OrderState | None, list[Sample]]:
    """The order's state after ``fact`` (``None``: nothing to keep) and the samples it yields."""
    kind = fact.kind
    if kind is FactKind.STATUS_DELIVERED:
        latency = Sample(Measure.LATENCY, "status", fact.at, fact.seconds or 0.0)
        return state, [latency]
    if kind is FactKind.REJECTED:
        return state, [_fallout(FalloutKind.REJECTED, fact, fact.reason or "REJECTED")]
    if kind is FactKind.BACKORDER_PLANNED:
        return state, [_fallout(FalloutKind.BACKORDERED, fact, fact.reason or "SHORTFALL")]
    samples: list[Sample] = []
    if kind in (FactKind.SUBMITTED, FactKind.HELD, FactKind.RELEASE_FAILED):
        state = state or _new(fact)
        if kind is FactKind.SUBMITTED:
            samples.append(Sample(Measure.SUBMITTED, "submitted", fact.at, order_id=fact.order_id))
            if state.submitted_at is None:
                state.submitted_at = fact.at
                for center, leg in state.legs.items():
                    if leg.released_at is None:
                        continue
                    samples += _cycle(
                        CycleStage.SUBMITTED_TO_RELEASED, _at(fact, leg.released_at),
                        fact.at, center,
                    )  # fmt: skip
            state.promised_date = fact.promised_date or state.promised_date
        else:
            reason = fact.reason or kind.value
            fallout = (
                FalloutKind.RELEASE_FAILED
                if kind is FactKind.RELEASE_FAILED
                else FalloutKind.CREDIT_HOLD
                if reason == "CREDIT"
                else FalloutKind.MANUAL_REVIEW
            )
            samples.append(_fallout(fallout, fact, reason))
            if not state.legs:
                state.stage, state.since = "ON_HOLD", fact.at
        return state, samples
    if kind in (FactKind.RETURN_AUTHORIZED, FactKind.RETURN_RECEIVED, FactKind.RETURN_CREDITED):
        state = state or OrderState(fact.order_id, "DELIVERED", fact.at, open=False)
        return state, _return(state, fact)
    if kind is FactKind.INVOICED:
        state = state or _new(fact)
        shipment = state.shipments.setdefault(fact.shipment_id or "", {})
        if "invoicedAt" not in shipment:
            shipment["invoicedAt"] = fact.at
            shipped = shipment.get("shippedAt")
            if shipped is not None:
                samples += _cycle(
                    CycleStage.SHIPPED_TO_INVOICED, fact, shipped, shipment.get("center")
                )
        return state, samples
    if kind in _LEG_STAGES or kind in (FactKind.DELAYED, FactKind.EXCEPTION):
        state = state or _new(fact)
        samples += _leg(state, fact)
        _settle(state)
    return state, samples


def _at(fact: Fact, at: float | None) -> Fact:
    """``fact`` as if it happened at ``at`` (the later side of a pair measured late)."""
    if at is None:
        return fact
    return Fact(fact.event_id, fact.kind, fact.order_id, at, fact.center_id)


def _leg(state: OrderState, fact: Fact) -> list[Sample]:
    kind, center = fact.kind, fact.center_id or "?"
    leg = state.legs.get(center)
    samples: list[Sample] = []
    if kind in (FactKind.DELAYED, FactKind.EXCEPTION):
        leg = leg or state.legs.setdefault(center, Leg("RELEASED", fact.at))
        leg.trouble, leg.trouble_since = kind.value, fact.at
        leg.trouble_detail = fact.reason
        return samples
    if leg is None:
        leg = state.legs.setdefault(center, Leg(kind.value, fact.at))
    elif leg.stage in DONE_STAGES and kind not in (FactKind.DELIVERED, FactKind.CANCELLED):
        return samples  # a late milestone of a finished leg
    else:
        leg.stage, leg.since = kind.value, fact.at
    if kind in _CLEARS_TROUBLE:
        leg.trouble = leg.trouble_since = leg.trouble_detail = None
    if kind is FactKind.RELEASED and leg.released_at is None:
        leg.released_at = fact.at
        samples += _cycle(CycleStage.SUBMITTED_TO_RELEASED, fact, state.submitted_at, center)
    elif kind is FactKind.BACKORDERED:
        samples.append(_fallout(FalloutKind.BACKORDERED, fact, fact.reason or "WMS_BACKORDER"))
    elif kind is FactKind.SHIPPED and fact.shipment_id is not None:
        shipment = state.shipments.setdefault(fact.shipment_id, {})
        if "shippedAt" not in shipment:
            shipment.update(center=center, shippedAt=fact.at)
            samples += _cycle(CycleStage.RELEASED_TO_SHIPPED, fact, leg.released_at, center)
            invoiced = shipment.get("invoicedAt")
            if invoiced is not None:
                samples += _cycle(
                    CycleStage.SHIPPED_TO_INVOICED, _at(fact, invoiced), fact.at, center
                )
    elif kind is FactKind.DELIVERED and fact.shipment_id is not None:
        shipment = state.shipments.setdefault(fact.shipment_id, {})
        if "deliveredAt" not in shipment:
            shipment["deliveredAt"] = fact.at
            samples += _cycle(
                CycleStage.SHIPPED_TO_DELIVERED, fact, shipment.get("shippedAt"), center
            )
    return samples


def _return(state: OrderState, fact: Fact) -> list[Sample]:
    record = state.returns.setdefault(fact.return_id or "", {})
    center = fact.center_id or record.get("center")
    if center is not None:
        record["center"] = center
    if fact.kind is FactKind.RETURN_AUTHORIZED:
        if "authorizedAt" in record:
            return []
        record["authorizedAt"] = fact.at
        received = record.get("receivedAt")
        return _cycle(
            CycleStage.RETURN_AUTHORIZED_TO_RECEIVED, _at(fact, received), fact.at, center
        ) if received is not None else []  # fmt: skip
    if fact.kind is FactKind.RETURN_RECEIVED:
        if "receivedAt" in record:
            return []
        record["receivedAt"] = fact.at
        samples = _cycle(
            CycleStage.RETURN_AUTHORIZED_TO_RECEIVED, fact, record.get("authorizedAt"), center
        )
        credited = record.get("creditedAt")
        if credited is not None:
            samples += _cycle(
                CycleStage.RETURN_RECEIVED_TO_CREDITED, _at(fact, credited), fact.at, center
            )
        return samples
    if "creditedAt" in record:
        return []
    record["creditedAt"] = fact.at
    return _cycle(CycleStage.RETURN_RECEIVED_TO_CREDITED, fact, record.get("receivedAt"), center)
