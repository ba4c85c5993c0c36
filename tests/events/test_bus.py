"""The ``EventBus`` Protocol suite: every test runs against ``InProcessBus`` and Redis Streams."""

from __future__ import annotations

import asyncio

import pytest

from events import EventBus, StreamInfo
from events.ids import StreamId
from tests.events.harness import BusSubject, milestone


def test_implements_the_protocol(subject: BusSubject) -> None:
    assert isinstance(subject.bus, EventBus)


async def test_publish_returns_increasing_entry_ids(subject: BusSubject, stream: str) -> None:
    ids = await subject.publish(stream, "e1", "e2", "e3")
    parsed = [StreamId.parse(entry_id) for entry_id in ids]
    assert parsed == sorted(parsed) and len(set(parsed)) == 3


async def test_a_group_reads_every_entry_once_in_order(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2", "e3")
    await bus.ensure_group(stream, "erp")
    first = await bus.read(stream, "erp", "c1", count=2)
    second = await bus.read(stream, "erp", "c2", count=10)
    assert [(d.id, d.event_id, d.attempts) for d in first + second] == [
        (ids[0], "e1", 1),
        (ids[1], "e2", 1),
        (ids[2], "e3", 1),
    ]
    assert await bus.read(stream, "erp", "c1", count=10) == []


async def test_every_group_reads_every_entry(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    await bus.ensure_group(stream, "erp")
    await bus.ensure_group(stream, "crm")
    await subject.publish(stream, "e1")
    assert [d.event_id for d in await bus.read(stream, "erp", "c", count=5)] == ["e1"]
    assert [d.event_id for d in await bus.read(stream, "crm", "c", count=5)] == ["e1"]


async def test_ensure_group_is_idempotent_and_start_id_chooses_what_it_reads(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    await subject.publish(stream, "old")
    await bus.ensure_group(stream, "all")
    await bus.ensure_group(stream, "new", start_id="$")
    await bus.ensure_group(stream, "all", start_id="$")  # exists: unchanged
    await subject.publish(stream, "fresh")
    assert [d.event_id for d in await bus.read(stream, "all", "c", count=5)] == ["old", "fresh"]
    assert [d.event_id for d in await bus.read(stream, "new", "c", count=5)] == ["fresh"]


async def test_reading_a_missing_group_raises_lookup_error(
    subject: BusSubject, stream: str
) -> None:
    await subject.publish(stream, "e1")
    with pytest.raises(LookupError, match="no consumer group 'nobody'"):
        await subject.bus.read(stream, "nobody", "c", count=1)
    with pytest.raises(LookupError):
        await subject.bus.claim_idle(stream, "nobody", "c", min_idle_seconds=0, count=1)


async def test_a_blocking_read_wakes_up_for_a_new_entry(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    await bus.ensure_group(stream, "erp")
    assert await bus.read(stream, "erp", "c", count=1, block_seconds=0.05) == []

    reader = asyncio.create_task(bus.read(stream, "erp", "c", count=1, block_seconds=5))
    await subject.publish(stream, "e1")
    assert [d.event_id for d in await asyncio.wait_for(reader, 5)] == ["e1"]


async def test_ack_ends_pending_and_counts_what_was_pending(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2")
    await bus.ensure_group(stream, "erp")
    await bus.read(stream, "erp", "c", count=5)
    assert await bus.ack(stream, "erp", [ids[0]]) == 1
    assert await bus.ack(stream, "erp", [ids[0]]) == 0
    assert await bus.ack(stream, "erp", []) == 0
    assert await bus.ack(stream, "nobody", ids) == 0
    (group,) = (await _info(bus, stream)).groups
    assert group.pending == 1
    assert [d.event_id for d in await bus.claim(stream, "erp", "c", ids)] == ["e2"]


async def test_claim_delivers_again_and_counts_attempts(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2")
    await bus.ensure_group(stream, "erp")
    await bus.read(stream, "erp", "c1", count=5)
    await bus.ack(stream, "erp", [ids[1]])
    again = await bus.claim(stream, "erp", "c2", ids)
    assert [(d.event_id, d.attempts) for d in again] == [("e1", 2)]
    again = await bus.claim(stream, "erp", "c2", [ids[0]])
    assert [(d.event_id, d.attempts) for d in again] == [("e1", 3)]
    assert await bus.claim(stream, "erp", "c1", [ids[0]], min_idle_seconds=60) == []
    assert await bus.claim(stream, "erp", "c1", []) == []


async def test_claim_idle_takes_only_entries_idle_long_enough(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2", "e3")
    await bus.ensure_group(stream, "erp")
    await bus.read(stream, "erp", "dead", count=2)
    assert await bus.claim_idle(stream, "erp", "alive", min_idle_seconds=60, count=10) == []
    taken = await bus.claim_idle(stream, "erp", "alive", min_idle_seconds=0, count=10)
    assert [(d.id, d.attempts) for d in taken] == [(ids[0], 2), (ids[1], 2)]
    taken = await bus.claim_idle(stream, "erp", "alive", min_idle_seconds=0, count=1)
    assert [d.id for d in taken] == [ids[0]]


async def test_dead_letter_parks_the_entry_with_its_error_and_acks_it(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    (entry_id,) = await subject.publish(stream, "poison")
    await bus.ensure_group(stream, "erp")
    (delivery,) = await bus.read(stream, "erp", "c1", count=1)
    dead_id = await bus.dead_letter(stream, "erp", "c1", delivery, "ValueError: bad sku")
    (letter,) = await bus.dead_letters(stream)
    assert (letter.id, letter.stream, letter.original_id, letter.event_id) == (
        dead_id,
        stream,
        entry_id,
        "poison",
    )
    assert (letter.group, letter.consumer, letter.attempts, letter.error) == (
        "erp",
        "c1",
        1,
        "ValueError: bad sku",
    )
    assert letter.data == delivery.data and letter.failed_at.tzinfo is not None
    info = await _info(bus, stream)
    assert info.dead_letters == 1 and info.groups[0].pending == 0


async def test_replaying_dead_letters_appends_each_once(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    await subject.publish(stream, "p1", "ok", "p2")
    await bus.ensure_group(stream, "erp")
    for delivery in await bus.read(stream, "erp", "c", count=5):
        if delivery.event_id.startswith("p"):
            await bus.dead_letter(stream, "erp", "c", delivery, "boom")
    letters = await bus.dead_letters(stream)
    assert [letter.event_id for letter in letters] == ["p1", "p2"]
    first = await bus.replay_dead_letters(stream, [letters[1].id])
    assert len(first) == 1
    rest = await bus.replay_dead_letters(stream)
    assert len(rest) == 1
    assert await bus.replay_dead_letters(stream) == []
    assert await bus.dead_letters(stream) == []
    replayed = await bus.read(stream, "erp", "c", count=5)
    assert [(d.event_id, d.id) for d in replayed] == [("p2", first[0]), ("p1", rest[0])]


async def test_replay_range_appends_the_entries_of_the_range(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2", "e3", "e4")
    await bus.ensure_group(stream, "erp")
    await bus.read(stream, "erp", "c", count=10)
    new_ids = await bus.replay_range(stream, ids[1], ids[2])
    assert len(new_ids) == 2
    assert [d.event_id for d in await bus.read(stream, "erp", "c", count=10)] == ["e2", "e3"]
    everything = await bus.replay_range(stream, "-", "+")
    assert len(everything) == 6  # the four and the two replayed, not its own appends
    assert await bus.replay_range(f"{stream}-missing", "-", "+") == []
    with pytest.raises(ValueError, match="not a stream entry id"):
        await bus.replay_range(stream, "yesterday", "+")


async def test_streams_reports_length_lag_pending_and_dead_letters(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    await bus.ensure_group(stream, "erp")
    await bus.ensure_group(stream, "crm")
    ids = await subject.publish(stream, "e1", "e2", "e3", "e4", "e5")
    deliveries = await bus.read(stream, "erp", "c1", count=3)
    await bus.ack(stream, "erp", [deliveries[0].id])
    await bus.dead_letter(stream, "erp", "c1", deliveries[1], "boom")
    info = await _info(bus, stream)
    assert (info.name, info.length, info.last_id, info.dead_letters) == (stream, 5, ids[-1], 1)
    crm, erp = info.groups
    assert (erp.name, erp.consumers, erp.pending, erp.lag) == ("erp", 1, 1, 2)
    assert erp.last_delivered_id == ids[2]
    assert (crm.name, crm.consumers, crm.pending, crm.lag) == ("crm", 0, 0, 5)


async def test_a_stream_keeps_a_bounded_length(subject: BusSubject, stream: str) -> None:
    bus = subject.make_bus(10)
    try:
        for n in range(600):
            await bus.publish(stream, f"e{n}", b"{}")
        length = (await _info(bus, stream)).length
        # Redis trims whole nodes (MAXLEN ~): at least 10 stay, far fewer than 600.
        assert 10 <= length <= 200
        if subject.kind == "memory":
            assert length == 10
    finally:
        await bus.aclose()


async def test_entries_tails_a_stream_without_a_group(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2", "e3")
    everything = await bus.entries(stream, after_id="0-0", count=10)
    assert [e.id for e in everything] == ids
    assert [e.event_id for e in everything] == ["e1", "e2", "e3"]
    assert everything[0].data == milestone("e1").to_json()
    assert [e.event_id for e in await bus.entries(stream, after_id=ids[0], count=1)] == ["e2"]
    assert await bus.entries(stream, after_id=ids[-1], count=10) == []
    # Nothing was pending or delivered for anyone: a group still reads everything.
    await bus.ensure_group(stream, "erp")
    assert len(await bus.read(stream, "erp", "c", count=10)) == 3
    assert await bus.entries(f"{stream}-missing", after_id="0-0", count=10) == []


async def test_a_blocking_tail_wakes_up_for_a_new_entry(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    end = await bus.last_id(stream)
    assert await bus.entries(stream, after_id=end, count=1, block_seconds=0.05) == []
    reader = asyncio.create_task(bus.entries(stream, after_id=end, count=5, block_seconds=5))
    (entry_id,) = await subject.publish(stream, "e1")
    assert [(e.id, e.event_id) for e in await asyncio.wait_for(reader, 5)] == [(entry_id, "e1")]


async def test_last_id_is_the_newest_entry(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    assert await bus.last_id(stream) == "0-0"
    ids = await subject.publish(stream, "e1", "e2")
    assert await bus.last_id(stream) == ids[-1]
    assert await bus.entries(stream, after_id=await bus.last_id(stream), count=10) == []


async def test_find_names_the_entry_that_published_an_event_not_a_replay(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2", "e3")
    assert await bus.find(stream, "e2") == ids[1]
    await bus.replay_range(stream, ids[0], ids[0])
    assert await bus.find(stream, "e1") == ids[0]
    await bus.ensure_group(stream, "erp")
    for delivery in await bus.read(stream, "erp", "c", count=10):
        if delivery.event_id == "e2":
            await bus.dead_letter(stream, "erp", "c", delivery, "boom")
    assert len(await bus.replay_dead_letters(stream)) == 1
    assert await bus.find(stream, "e2") == ids[1]
    # Published again by its publisher (not a replay): the newest counts.
    (again,) = await subject.publish(stream, "e3")
    assert await bus.find(stream, "e3") == again
    assert await bus.find(stream, "nope") is None
    assert await bus.find(f"{stream}-missing", "e1") is None


async def test_replayed_entries_are_marked_for_tail_readers_and_read_by_groups(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    ids = await subject.publish(stream, "e1", "e2")
    await bus.ensure_group(stream, "erp")
    first = await bus.read(stream, "erp", "c", count=10)
    await bus.ack(stream, "erp", [d.id for d in first])
    await bus.dead_letter(stream, "erp", "c", first[1], "boom")
    (from_range,) = await bus.replay_range(stream, ids[0], ids[0])
    (from_dead,) = await bus.replay_dead_letters(stream)
    (replay_of_replay,) = await bus.replay_range(stream, from_range, from_range)
    tail = await bus.entries(stream, after_id="0-0", count=10)
    assert [(e.id, e.event_id, e.replayed) for e in tail] == [
        (ids[0], "e1", False),
        (ids[1], "e2", False),
        (from_range, "e1", True),
        (from_dead, "e2", True),
        (replay_of_replay, "e1", True),
    ]
    assert tail[2].data == tail[0].data
    # The groups process replays as any entry: that is what a replay is for.
    again = await bus.read(stream, "erp", "c", count=10)
    assert [(d.id, d.event_id, d.attempts) for d in again] == [
        (from_range, "e1", 1),
        (from_dead, "e2", 1),
        (replay_of_replay, "e1", 1),
    ]


async def test_find_scans_back_past_many_entries(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    (target,) = await subject.publish(stream, "target")
    for n in range(2_500):
        await bus.publish(stream, f"e{n}", b"{}")
    assert await bus.find(stream, "target") == target


async def test_find_lets_other_tasks_run_while_it_scans(subject: BusSubject, stream: str) -> None:
    bus = subject.bus
    await asyncio.gather(*(bus.publish(stream, f"e{n}", b"{}") for n in range(4_500)))
    scan = asyncio.create_task(bus.find(stream, "never-published"))
    turns = 0
    while not scan.done():  # another task of the loop: it gets turns during the scan
        turns += 1
        await asyncio.sleep(0)
    assert await scan is None
    assert turns >= 4, f"the loop was held for a whole scan ({turns} turns)"


async def test_find_and_entries_see_only_what_is_retained(subject: BusSubject, stream: str) -> None:
    bus = subject.make_bus(10)
    try:
        first = await bus.publish(stream, "old", b"{}")
        for n in range(600):
            await bus.publish(stream, f"e{n}", b"{}")
        assert await bus.find(stream, "old") is None
        retained = await bus.entries(stream, after_id=first, count=1_000)
        assert 10 <= len(retained) <= 200 and retained[-1].event_id == "e599"
    finally:
        await bus.aclose()


async def test_entries_refuses_an_after_id_that_is_no_entry_id(
    subject: BusSubject, stream: str
) -> None:
    with pytest.raises(ValueError, match="not a stream entry id"):
        await subject.bus.entries(stream, after_id="yesterday", count=1)


async def _info(bus: EventBus, stream: str) -> StreamInfo:
    (info,) = [info for info in await bus.streams() if info.name == stream]
    return info


async def test_an_entry_keeps_its_traceparent_for_groups_and_tail_readers(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    traced = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await bus.ensure_group(stream, "erp")
    await bus.publish(stream, "e1", milestone("e1").to_json(), traceparent=traced)
    await subject.publish(stream, "e2")  # an entry without one, as before entries kept it
    read = await bus.read(stream, "erp", "c", count=5)
    assert [(d.event_id, d.traceparent) for d in read] == [("e1", traced), ("e2", None)]
    tailed = await bus.entries(stream, after_id="0-0", count=5)
    assert [(e.event_id, e.traceparent) for e in tailed] == [("e1", traced), ("e2", None)]
    # A retry is delivered with it too.
    [again] = await bus.claim(stream, "erp", "c2", [read[0].id])
    assert again.traceparent == traced


async def test_a_dead_letter_keeps_its_traceparent_through_its_replay(
    subject: BusSubject, stream: str
) -> None:
    bus = subject.bus
    traced = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await bus.ensure_group(stream, "erp")
    await bus.publish(stream, "e1", milestone("e1").to_json(), traceparent=traced)
    [delivery] = await bus.read(stream, "erp", "c", count=5)
    await bus.dead_letter(stream, "erp", "c", delivery, "boom")
    [letter] = await bus.dead_letters(stream)
    assert letter.traceparent == traced
    await bus.replay_dead_letters(stream)
    [again] = await bus.read(stream, "erp", "c", count=5)
    assert (again.event_id, again.traceparent) == ("e1", traced)
