"""Stream entry ids as Redis writes them (``<milliseconds>-<sequence>``), parsed and compared."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["StreamId", "parse_range_end", "parse_range_start"]

_MAX = 2**64 - 1
_ID = re.compile(r"(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?")


class StreamId(NamedTuple):
    """An entry id; tuples order like the entries of a stream."""

    ms: int
    seq: int

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> StreamId:
        """A complete id (``1700000000000-0``, or ``1700000000000`` for sequence 0)."""
        return _parse(text, default_seq=0)

    def next_after(self, now_ms: int) -> StreamId:
        """The id for an entry appended at ``now_ms`` after this one: time-based, yet always
        greater, even when the clock stands still or steps back."""
        if now_ms > self.ms:
            return StreamId(now_ms, 0)
        return StreamId(self.ms, self.seq + 1)


MIN_ID = StreamId(0, 0)
MAX_ID = StreamId(_MAX, _MAX)


def parse_range_start(text: str) -> StreamId:
    """The lower end of a range: ``-``, a full id, or milliseconds (from sequence 0)."""
    return MIN_ID if text == "-" else _parse(text, default_seq=0)


def parse_range_end(text: str) -> StreamId:
    """The upper end of a range: ``+``, a full id, or milliseconds (to the last sequence)."""
    return MAX_ID if text == "+" else _parse(text, default_seq=_MAX)


def _parse(text: str, *, default_seq: int) -> StreamId:
    match = _ID.fullmatch(text)
    if match is None:
        raise ValueError(f"not a stream entry id: {text!r} (expected MILLISECONDS-SEQUENCE)")
    ms = int(match.group(1))
    seq = default_seq if match.group(2) is None else int(match.group(2))
    if ms > _MAX or seq > _MAX:
        raise ValueError(f"stream entry id out of range: {text!r}")
    return StreamId(ms, seq)
