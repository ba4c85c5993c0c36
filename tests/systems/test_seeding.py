"""Seeding: one world behind all three databases, and no stale or mixed data served."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from crossdock.settings import SYSTEM_NAMES, Settings, SystemName
from crossdock.stack import seed
from resolvers.journal import JOURNAL_FILE, WorkflowState, create_journal
from systems.seeding import (
    LAYOUT_FINGERPRINTS,
    DataDirBusy,
    DataDirMismatch,
    data_dir_in_use,
    layout_fingerprint,
    seed_all,
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("seeding"), seed=5)
    seed_all(settings.systems, reset=True)
    return settings


def copy_of(seeded: Settings, tmp_path: Path) -> Settings:
    for name in SYSTEM_NAMES:
        target = tmp_path / seeded.systems.db_path(name).name
        target.write_bytes(seeded.systems.db_path(name).read_bytes())
    return seeded.model_copy(update={"data_dir": tmp_path})


def seed_of(settings: Settings, name: SystemName) -> str:
    with sqlite3.connect(settings.systems.db_path(name)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'seed'").fetchone()
    return str(row[0])


def test_the_committed_layouts_are_what_seeding_creates(seeded: Settings) -> None:
    actual = {}
    for name in SYSTEM_NAMES:
        with sqlite3.connect(seeded.systems.db_path(name)) as conn:
            actual[name] = layout_fingerprint(conn)
    if os.environ.get("CROSSDOCK_UPDATE_SNAPSHOTS") == "1":
        LAYOUT_FINGERPRINTS.write_text(json.dumps(actual, indent=2) + "\n")
    assert json.loads(LAYOUT_FINGERPRINTS.read_text()) == actual, (
        "a system's tables changed: review, then rerun with CROSSDOCK_UPDATE_SNAPSHOTS=1"
    )


def test_a_seeded_dir_is_used_as_it_is(seeded: Settings, tmp_path: Path) -> None:
    settings = copy_of(seeded, tmp_path)
    before = settings.systems.db_path("erp").stat().st_mtime_ns
    assert "using the data" in seed_all(settings.systems)
    assert settings.systems.db_path("erp").stat().st_mtime_ns == before


def test_one_missing_database_reseeds_all_three_from_one_world(
    seeded: Settings, tmp_path: Path
) -> None:
    settings = copy_of(seeded, tmp_path)
    settings.systems.db_path("crm").unlink()
    assert "seeded crm, erp, wms" in seed_all(settings.systems)
    assert {seed_of(settings, name) for name in SYSTEM_NAMES} == {"5"}


def test_another_seed_is_refused_with_the_fix(seeded: Settings, tmp_path: Path) -> None:
    settings = copy_of(seeded, tmp_path).model_copy(update={"seed": 9})
    with pytest.raises(DataDirMismatch, match=r"seeded with seed 5, not 9; use --seed 5"):
        seed_all(settings.systems)
    assert seed_of(settings, "erp") == "5"


def test_an_older_table_layout_is_refused(seeded: Settings, tmp_path: Path) -> None:
    settings = copy_of(seeded, tmp_path)
    with sqlite3.connect(settings.systems.db_path("erp")) as conn:
        conn.execute("CREATE TABLE leftover (id INTEGER)")
    with pytest.raises(DataDirMismatch, match=r"the erp data .* another version"):
        seed_all(settings.systems)


def test_reseeding_is_refused_while_a_process_serves_the_dir(
    seeded: Settings, tmp_path: Path
) -> None:
    settings = copy_of(seeded, tmp_path)
    with data_dir_in_use(settings.data_dir), pytest.raises(DataDirBusy):
        seed_all(settings.systems, reset=True)
    assert "seeded crm, erp, wms" in seed_all(settings.systems, reset=True)


async def test_reset_removes_the_orders_journal(seeded: Settings, tmp_path: Path) -> None:
    settings = copy_of(seeded, tmp_path)
    journal = create_journal(None, settings.data_dir)
    await journal.save(WorkflowState(id="WF-1", kind="submitOrder", request={}))
    await journal.aclose()
    assert (settings.data_dir / JOURNAL_FILE).exists()
    seed(settings)  # served as it is: the journal stays
    assert (settings.data_dir / JOURNAL_FILE).exists()
    seed(settings, reset=True)
    assert not list(settings.data_dir.glob(f"{JOURNAL_FILE}*"))
    reopened = create_journal(None, settings.data_dir)
    assert await reopened.unfinished() == []
    await reopened.aclose()
