"""Seed the three systems' databases from one world, so that their histories agree."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from systems.world import build_world
from systems.world_records import World

__all__ = ["is_seeded", "seed_all"]

SeedFunction = Callable[[sqlite3.Connection, World], None]


def _seeder(name: SystemName) -> SeedFunction:
    if name == "crm":
        from systems.crm.storage import seed_database as seed_crm

        return seed_crm
    if name == "erp":
        from systems.erp.storage import seed_database as seed_erp

        return seed_erp
    from systems.wms.storage import seed_database as seed_wms

    return seed_wms


def is_seeded(path: Path) -> bool:
    """Whether ``path`` holds a completely seeded database (seeding writes ``meta`` last)."""
    if not path.exists():
        return False
    try:
        with sqlite3.connect(path) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def seed_all(settings: Settings, *, reset: bool = False) -> str:
    """Seed every system whose database is missing (all of them with ``reset``).

    Each database is written to a temporary file and moved into place when complete, so an
    interrupted seed never leaves a half-filled database behind.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    todo = [n for n in SYSTEM_NAMES if reset or not is_seeded(settings.system_db_path(n))]
    if not todo:
        return f"already seeded in {settings.data_dir} (use --reset to reseed)"
    world = build_world(settings.seed)
    for name in todo:
        path = settings.system_db_path(name)
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
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('seed', ?)",
                    (str(settings.seed),),
                )
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(partial, path)
    return (
        f"seeded {', '.join(todo)} in {settings.data_dir} with seed {settings.seed}: "
        f"{len(world.accounts)} accounts, {len(world.products)} products, "
        f"{len(world.orders)} orders, {len(world.shipments)} shipments"
    )
