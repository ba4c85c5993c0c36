"""``crossdock events``: list streams with their consumer lag, show and replay dead letters.

The commands speak to the Redis the services share; the in-process bus of the embedded
default lives inside ``crossdock up`` and cannot be reached from another process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from events.base import EventBus, EventBusUnavailable
from events.factory import DEFAULT_PREFIX
from events.ids import StreamId, parse_range_end, parse_range_start

__all__ = ["add_events_parser", "run_events_command"]

NO_REDIS = (
    "crossdock events: REDIS_URL is not set. The commands read the Redis streams that the "
    "services share; without REDIS_URL the event bus is in-process and lives inside "
    "`crossdock up` only. Set REDIS_URL (or CROSSDOCK_REDIS_URL) and try again."
)


def add_events_parser(
    sub: Any, parents: Sequence[argparse.ArgumentParser] = ()
) -> argparse.ArgumentParser:
    """Add ``events`` and its commands to the ``crossdock`` subparsers ``sub``; each command
    also takes the arguments of ``parents`` (the command line's ``--config``)."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "events",
        help="inspect the event streams and replay dead letters (needs REDIS_URL)",
        description="Inspect the event backbone in Redis: streams, consumer lag, dead "
        "letters, and replay after a fix.",
    )
    common = argparse.ArgumentParser(add_help=False, parents=list(parents))
    common.add_argument(
        "--prefix",
        default=None,
        help="key prefix of the streams (default: the dataset's, as the services use it: "
        "CROSSDOCK_EVENTS_PREFIX, else CROSSDOCK_CACHE_PREFIX + 'events:seed' + CROSSDOCK_SEED)",
    )
    commands = parser.add_subparsers(dest="events_command", required=True, metavar="COMMAND")
    commands.add_parser(
        "list", parents=[common], help="streams, lag and pending per group, dead letters"
    )
    dead = commands.add_parser(
        "dead-letters", parents=[common], help="the dead letters of a stream"
    )
    dead.add_argument("stream")
    dead.add_argument("--count", type=int, default=100, help="at most this many (100)")
    replay = commands.add_parser(
        "replay",
        parents=[common],
        help="append dead letters, or a range of entries, to a stream again",
    )
    replay.add_argument("stream")
    what = replay.add_mutually_exclusive_group(required=True)
    what.add_argument("--dead-letters", action="store_true", help="every dead letter")
    what.add_argument("--from", dest="start", type=_range_start, metavar="ID", help="first id")
    replay.add_argument("--to", dest="end", type=_range_end, metavar="ID", help="last id (+)")
    return parser


def run_events_command(
    args: argparse.Namespace, redis_url: str | None, *, prefix: str = DEFAULT_PREFIX
) -> int:
    """Run the parsed ``events`` command against the Redis at ``redis_url``, on the streams
    under ``prefix`` (the services' own, from the settings) unless ``--prefix`` says others."""
    if args.prefix is None:
        args.prefix = prefix
    if not redis_url:
        print(NO_REDIS, file=sys.stderr)
        return 2
    if args.events_command == "replay" and args.end is not None and args.start is None:
        print("crossdock events replay: --to goes with --from", file=sys.stderr)
        return 2
    command: Callable[[EventBus, argparse.Namespace], Awaitable[int]] = {
        "list": _list,
        "dead-letters": _dead_letters,
        "replay": _replay,
    }[args.events_command]
    return asyncio.run(_with_bus(redis_url, args, command))


async def _with_bus(
    url: str,
    args: argparse.Namespace,
    command: Callable[[EventBus, argparse.Namespace], Awaitable[int]],
) -> int:
    from events.redis_bus import RedisStreamBus

    bus = RedisStreamBus(url, prefix=args.prefix)
    try:
        return await command(bus, args)
    except EventBusUnavailable as exc:
        print(f"crossdock events: {exc}", file=sys.stderr)
        return 1
    finally:
        await bus.aclose()


async def _list(bus: EventBus, args: argparse.Namespace) -> int:
    streams = await bus.streams()
    if not streams:
        print(f"no streams under {args.prefix}")
        return 0
    for info in streams:
        print(
            f"{info.name}  length={info.length}  last={info.last_id}  "
            f"dead_letters={info.dead_letters}"
        )
        for group in info.groups:
            lag = "?" if group.lag is None else str(group.lag)
            print(
                f"  group {group.name}  consumers={group.consumers}  pending={group.pending}  "
                f"lag={lag}  last_delivered={group.last_delivered_id}"
            )
    return 0


async def _dead_letters(bus: EventBus, args: argparse.Namespace) -> int:
    letters = await bus.dead_letters(args.stream, count=args.count)
    if not letters:
        print(f"no dead letters on {args.stream}")
        return 0
    for letter in letters:
        print(
            f"{letter.id}  event={letter.event_id}  entry={letter.original_id}  "
            f"group={letter.group}  consumer={letter.consumer}  attempts={letter.attempts}  "
            f"failed_at={letter.failed_at.isoformat()}  error={letter.error}"
        )
    return 0


async def _replay(bus: EventBus, args: argparse.Namespace) -> int:
    if args.dead_letters:
        new_ids = await bus.replay_dead_letters(args.stream)
        what = "dead letters"
    else:
        end = args.end or "+"
        new_ids = await bus.replay_range(args.stream, args.start, end)
        what = f"entries {args.start}..{end}"
    print(f"replayed {len(new_ids)} {what} onto {args.stream}")
    for new_id in new_ids:
        print(f"  {new_id}")
    return 0


def _range_start(text: str) -> str:
    _checked(parse_range_start, text)
    return text


def _range_end(text: str) -> str:
    _checked(parse_range_end, text)
    return text


def _checked(parse: Callable[[str], StreamId], text: str) -> None:
    try:
        parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
