"""subgraph_sdl and the SDL snapshot helper of tests/support/sdl.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.common import subgraph_sdl
from tests.subgraphs.common.tiny import schema
from tests.support.sdl import SNAPSHOT_DIR, UPDATE_ENV, assert_sdl_snapshot


def test_subgraph_sdl_is_what_service_answers() -> None:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None and result.data is not None
    assert subgraph_sdl(schema) == result.data["_service"]["sdl"]


def test_snapshots_live_in_schema_sdl() -> None:
    assert Path(__file__).resolve().parents[3] / "schema" / "sdl" == SNAPSHOT_DIR


def test_a_matching_snapshot_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    (tmp_path / "tiny.graphql").write_text(subgraph_sdl(schema) + "\n", encoding="utf-8")
    assert_sdl_snapshot("tiny", schema, directory=tmp_path)


def test_a_missing_snapshot_fails_with_the_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    with pytest.raises(AssertionError, match=f"rerun with {UPDATE_ENV}=1"):
        assert_sdl_snapshot("tiny", schema, directory=tmp_path)
    assert not (tmp_path / "tiny.graphql").exists()


def test_a_changed_schema_fails_with_a_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UPDATE_ENV, raising=False)
    old = subgraph_sdl(schema).replace("  boom: String\n", "  bang: String\n")
    (tmp_path / "tiny.graphql").write_text(old + "\n", encoding="utf-8")
    with pytest.raises(AssertionError) as raised:
        assert_sdl_snapshot("tiny", schema, directory=tmp_path)
    message = str(raised.value)
    assert f"rerun with {UPDATE_ENV}=1" in message
    assert "--- schema/sdl/tiny.graphql (snapshot)" in message
    assert "-  bang: String" in message and "+  boom: String" in message


def test_the_update_variable_rewrites_the_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tiny.graphql").write_text("type Stale { x: Int }\n", encoding="utf-8")
    monkeypatch.setenv(UPDATE_ENV, "1")
    assert_sdl_snapshot("tiny", schema, directory=tmp_path / ".")
    assert (tmp_path / "tiny.graphql").read_text(encoding="utf-8") == subgraph_sdl(schema) + "\n"
    monkeypatch.delenv(UPDATE_ENV)
    assert_sdl_snapshot("tiny", schema, directory=tmp_path)
