"""``docs/architecture.md`` stays current: every package is in it, every module it names exists,
and the layers it draws are the ones ``lint-imports`` checks."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NOT_SHIPPED = {"tests", "bench"}

# A repository path in backticks: `gateway/planner/`, `connectors/http.py`, `http1/`.
_PATH = re.compile(r"`([a-z_][a-z0-9_]*/[A-Za-z0-9_./-]*)`")
# A module (or what one defines) in backticks: `crossdock.cli`, `gateway.server.graphiql_html`.
_MODULE = re.compile(r"`([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)`")


def _python_packages() -> set[str]:
    return {
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in NOT_SHIPPED
    }


def _rooms() -> list[str]:
    """The packages of the table under "The rooms", in order."""
    section = DOC.split("## The rooms", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_][a-z0-9_]*)/` \|", section, flags=re.MULTILINE)


def _drawn_layers() -> list[str]:
    section = DOC.split("## What each may import", 1)[1].split("\n## ", 1)[0]
    block = section.split("```", 2)[1]
    return [line.strip() for line in block.strip().splitlines()]


def test_every_package_is_a_room_of_the_document() -> None:
    rooms = _rooms()
    assert len(rooms) == len(set(rooms))
    assert set(rooms) == _python_packages() | NOT_SHIPPED


def test_every_package_is_shipped_typed_and_under_contract() -> None:
    packages = _python_packages()
    assert set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]) == packages
    assert set(PYPROJECT["tool"]["importlinter"]["root_packages"]) == packages
    assert packages <= set(PYPROJECT["tool"]["mypy"]["packages"])


def test_every_path_the_document_names_exists() -> None:
    named = set(_PATH.findall(DOC))
    assert len(named) > 40  # the request paths name their modules
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert missing == []


def _exists(dotted: str) -> bool:
    """Whether ``dotted`` names a module, or something a module defines."""
    if importlib.util.find_spec(dotted) is not None:
        return True
    module, _, name = dotted.rpartition(".")
    return importlib.util.find_spec(module) is not None and hasattr(
        importlib.import_module(module), name
    )


def test_every_module_the_document_names_exists() -> None:
    packages = _python_packages()
    named = {name for name in _MODULE.findall(DOC) if name.split(".")[0] in packages}
    assert named
    missing = sorted(name for name in named if not _exists(name))
    assert missing == []


def test_the_layers_drawn_are_the_layers_checked() -> None:
    contracts = {c["id"]: c for c in PYPROJECT["tool"]["importlinter"]["contracts"]}
    assert _drawn_layers() == contracts["domain-layers"]["layers"]


def test_the_readme_links_the_design_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docs/architecture.md" in readme
    assert "../shared" not in readme
