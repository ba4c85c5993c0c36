"""Stream entry ids: parsing, ordering, and the ends of a range."""

from __future__ import annotations

import pytest

from events.ids import MAX_ID, MIN_ID, StreamId, parse_range_end, parse_range_start


def test_parse_and_print() -> None:
    assert StreamId.parse("1700000000000-3") == StreamId(1_700_000_000_000, 3)
    assert StreamId.parse("1700000000000") == StreamId(1_700_000_000_000, 0)
    assert str(StreamId(5, 1)) == "5-1"


def test_ids_order_like_entries() -> None:
    assert StreamId.parse("9-9") < StreamId.parse("10-0") < StreamId.parse("10-1")


def test_next_after_follows_the_clock_but_never_goes_back() -> None:
    last = StreamId(1_000, 4)
    assert last.next_after(2_000) == StreamId(2_000, 0)
    assert last.next_after(1_000) == StreamId(1_000, 5)
    assert last.next_after(500) == StreamId(1_000, 5)


def test_range_ends() -> None:
    assert parse_range_start("-") == MIN_ID
    assert parse_range_end("+") == MAX_ID
    assert parse_range_start("7") == StreamId(7, 0)
    assert parse_range_end("7") == StreamId(7, 2**64 - 1)
    assert parse_range_end("7-2") == StreamId(7, 2)


@pytest.mark.parametrize("text", ["", "-1", "1-", "abc", "1-2-3", "01-1", " 1", "+", str(2**64)])
def test_malformed_ids_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="stream entry id"):
        StreamId.parse(text)
