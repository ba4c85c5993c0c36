"""The config file: found where the docs say, read with the place of every mistake, and
read by every ``Settings()`` (bench scripts, tests) as it is by the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossdock.config_errors import ConfigurationError
from crossdock.config_file import Located, locate_config_file, read_config_file
from crossdock.configuration import Configuration
from crossdock.settings import Settings


def test_it_is_found_at_the_flag_else_the_variable_else_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CROSSDOCK_CONFIG", raising=False)
    assert locate_config_file() is None
    (tmp_path / "crossdock.toml").write_text("")
    assert locate_config_file() == Located(Path("crossdock.toml"))
    monkeypatch.setenv("CROSSDOCK_CONFIG", "/etc/crossdock.toml")
    assert locate_config_file() == Located(Path("/etc/crossdock.toml"), "CROSSDOCK_CONFIG")
    assert locate_config_file(Path("mine.toml")) == Located(Path("mine.toml"), "--config")


def test_settings_read_the_file_they_find(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CROSSDOCK_CONFIG", raising=False)
    (tmp_path / "crossdock.toml").write_text("[gateway]\nmax_depth = 9\n")
    assert Settings().gateway.max_depth == 9
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_DEPTH", "10")
    assert Settings().gateway.max_depth == 10
    assert Settings(gateway={"max_depth": 11}).gateway.max_depth == 11
    (tmp_path / "crossdock.toml").write_text("[gateway]\nmax_dpth = 9\n")
    with pytest.raises(ConfigurationError, match=r"gateway\.max_dpth .*no such setting"):
        Settings()


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("seed = 7\n[ports\n", "2:7", "Expected ']' at the end of a table declaration"),
        ("[ports]\ngateway = 1\ngateway = 2\n", "3:12", "Cannot overwrite a value"),
        # At the end of the file tomllib gives no position: the end is its place.
        ('seed = 7\nhost = "', "2:9", "Unterminated string"),
    ],
)
def test_a_syntax_error_names_its_line_and_column(
    tmp_path: Path, text: str, where: str, reason: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as refused:
        read_config_file(Located(path))
    [problem] = refused.value.problems
    assert str(problem) == f"{path}:{where}: not valid TOML: {reason}"


def test_an_empty_file_sets_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("# nothing yet\n")
    assert Configuration(path, environment=False).load() == Configuration(environment=False).load()


def test_a_value_is_placed_on_the_line_that_sets_it(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        "# a comment = not a key\n"
        "seed = 7\n"
        "gateway.max_depth = 3  # a dotted key\n"
        "ports = { gateway = 1 }\n"
        "[wms_lifecycle]\n"
        "exception_rate = 0.1\n"
        '"webhook_url" = "http://x"\n'
    )
    file = read_config_file(Located(path))
    assert file.where(("seed",)) == f"{path}:2"
    assert file.where(("gateway", "max_depth")) == f"{path}:3"
    assert file.where(("ports", "gateway")) == f"{path}:4"  # inside an inline table
    assert file.where(("wms_lifecycle", "exception_rate")) == f"{path}:6"
    assert file.where(("wms_lifecycle", "webhook_url")) == f"{path}:7"
    assert file.where(("wms_lifecycle",)) == f"{path}:5"
    assert file.where(("host",)) == str(path)  # not in the file
