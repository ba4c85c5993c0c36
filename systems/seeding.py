"""Seed the three systems' databases from one world, so that their histories agree.

A data directory is served only when all three databases were seeded from the same seed by a
build with the same table layout: anything else is refused with the command that fixes it,
because mixing worlds or reading an older layout gives wrong answers, not errors.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from systems.settings import SYSTEM_NAMES, SystemName, SystemsSettings
from systems.world import build_world
from systems.world_records import World

__all__ = [
    "LAYOUT_FINGERPRINTS",
    "DataDirBusy",
    "DataDirMismatch",
    "data_dir_in_use",
    "layout_fingerprint",
    "seed_all",
]

SeedFunction = Callable[[sqlite3.Connection, World], None]

# The table layout each system's seeder creates; a test keeps it equal to what seeding makes
# (CROSSDOCK_UPDATE_SNAPSHOTS=1 rewrites it), so a layout change is always a reviewed change.
LAYOUT_FINGERPRINTS = Path(__file__).parent / "layout_fingerprints.json"
_LOCK_NAME = ".in-use.lock"


class DataDirMismatch(Exception):
    """The data directory holds data this build must not serve as it is."""


class DataDirBusy(Exception):
    """A running crossdock process is using the data directory."""


def _seeder(name: SystemName) -> SeedFunction:
    if name == "crm":
        from systems.crm.storage import seed_database as seed_crm

        return seed_crm
    if name == "erp":
        from systems.erp.storage import seed_database as seed_erp

        return seed_erp
    from systems.wms.storage import seed_database as seed_wms

    return seed_wms


def layout_fingerprint(conn: sqlite3.Connection) -> str:
    """A digest of every table and index definition (the ``meta`` table aside)."""
    rows = conn.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name != 'meta' ORDER BY sql"
    ).fetchall()
    return hashlib.sha256("\n".join(r[0] for r in rows).encode()).hexdigest()[:16]


def _expected_layouts() -> dict[str, str]:
    loaded: dict[str, str] = json.loads(LAYOUT_FINGERPRINTS.read_text())
    return loaded


@dataclass(frozen=True)
class _Seeded:
    seed: int
    layout: str


def _state(path: Path) -> _Seeded | None:
    """The seed and table layout of a completely seeded database (``meta`` is written last)."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()
            layout = layout_fingerprint(conn)
    except sqlite3.Error:
        return None
    return _Seeded(int(row[0]), layout) if row is not None else None


def seed_all(
    settings: SystemsSettings, *, reset: bool = False, derived: Sequence[Path] = ()
) -> str:
    """Seed the systems' databases, or check that the existing ones can be served.

    Nothing seeded (or ``reset``): all three are seeded from ``settings.seed``. Some missing:
    all three are seeded again, since one world must back all of them. A database seeded with
    another seed, or with another table layout: :class:`DataDirMismatch`, naming the fix.
    Each database is written to a temporary file and moved into place when complete.
    ``derived`` are SQLite files others keep about this data (the orders subgraph's workflow
    journal, whose workflows name orders and reservations of the world being replaced):
    seeding removes them, with their ``-wal`` and ``-shm`` files, in the same exclusive step.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    states = {name: _state(settings.db_path(name)) for name in SYSTEM_NAMES}
    if not reset:
        seeded = {name: state for name, state in states.items() if state is not None}
        fix = f"run `crossdock seed --reset --seed {settings.seed}` (this erases the data)"
        other_seeds = sorted({s.seed for s in seeded.values() if s.seed != settings.seed})
        if other_seeds:
            raise DataDirMismatch(
                f"{settings.data_dir} was seeded with seed {other_seeds[0]}, not "
                f"{settings.seed}; use --seed {other_seeds[0]}, or {fix}"
            )
        expected = _expected_layouts()
        stale = sorted(name for name, s in seeded.items() if s.layout != expected[name])
        if stale:
            raise DataDirMismatch(
                f"the {', '.join(stale)} data in {settings.data_dir} was written by another "
                f"version of crossdock (its tables differ); {fix}"
            )
        if len(seeded) == len(SYSTEM_NAMES):
            return f"using the data in {settings.data_dir} (seed {settings.seed})"
    with _exclusive(settings.data_dir):
        world = build_world(settings.seed)
        for name in SYSTEM_NAMES:
            _seed_one(settings, name, world)
        for path in derived:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    return (
        f"seeded crm, erp, wms in {settings.data_dir} with seed {settings.seed}: "
        f"{len(world.accounts)} accounts, {len(world.products)} products, "
        f"{len(world.orders)} orders, {len(world.shipments)} shipments"
    )


def _seed_one(settings: SystemsSettings, name: SystemName, world: World) -> None:
    path = settings.db_path(name)
    partial = path.with_suffix(".seeding")
    partial.unlink(missing_ok=True)
    conn = sqlite3.connect(partial)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            _seeder(name)(conn, world)
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('seed', ?)", (str(settings.seed),)
            )
    finally:
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(partial, path)


@contextmanager
def data_dir_in_use(data_dir: Path) -> Iterator[None]:
    """Mark ``data_dir`` as served by this process for as long as the block runs."""
    with _locked(data_dir, fcntl.LOCK_SH):
        yield


@contextmanager
def _exclusive(data_dir: Path) -> Iterator[None]:
    try:
        with _locked(data_dir, fcntl.LOCK_EX | fcntl.LOCK_NB):
            yield
    except BlockingIOError:
        raise DataDirBusy(
            f"a running crossdock process is using {data_dir}; stop it before reseeding"
        ) from None


@contextmanager
def _locked(data_dir: Path, operation: int) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / _LOCK_NAME, "a") as handle:
        fcntl.flock(handle, operation)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
