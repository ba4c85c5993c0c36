"""The config file and every bad input as a user meets them: ``crossdock`` run in a process,
one line per problem naming the key and where its value came from, status 2, no traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
COMMAND = (sys.executable, "-m", "crossdock.cli")


def crossdock(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``crossdock ARGS`` in ``cwd`` with only ``env`` of our variables set (none of the
    machine's CROSSDOCK_ or REDIS_URL), as a user on a clean shell runs it."""
    return subprocess.run(
        [*COMMAND, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**clean_environment(), **(env or {})},
        check=False,
    )


def clean_environment() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_") and k != "REDIS_URL"
    }


def one_line_refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start prints, after checking it is all it prints."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# (arguments, environment, config file text or None, what the line must say)
BAD_INPUTS = {
    "port flag of a system": (
        ["system", "crm", "--port", "99999"],
        {},
        None,
        "ports.crm_system (--port): Input should be less than or equal to 65535, got 99999",
    ),
    "port flag of a subgraph": (
        ["subgraph", "erp", "--port", "99999"],
        {},
        None,
        "ports.erp_subgraph (--port): Input should be less than or equal to 65535, got 99999",
    ),
    "port flag of the gateway": (
        ["gateway", "--supergraph", str(SUPERGRAPH), "--port", "99999"],
        {},
        None,
        "ports.gateway (--port): Input should be less than or equal to 65535, got 99999",
    ),
    "port in the environment": (
        ["gateway", "--supergraph", str(SUPERGRAPH)],
        {"CROSSDOCK_PORTS__GATEWAY": "0"},
        None,
        "ports.gateway (CROSSDOCK_PORTS__GATEWAY): Input should be greater than or equal to 1, "
        "got 0",
    ),
    "port in the file": (
        ["system", "erp"],
        {},
        "[ports]\nerp_system = 70000\n",
        "ports.erp_system (crossdock.toml:2): Input should be less than or equal to 65535, "
        "got 70000",
    ),
    "a list in the environment that is not JSON": (
        ["gateway", "--supergraph", str(SUPERGRAPH)],
        {"CROSSDOCK_GATEWAY__OVERRIDE_LABELS": "x"},
        None,
        "gateway.override_labels (CROSSDOCK_GATEWAY__OVERRIDE_LABELS): not JSON (Expecting "
        "value at column 1); the environment takes a list as JSON, e.g. "
        """CROSSDOCK_GATEWAY__OVERRIDE_LABELS='["a", "b"]'""",
    ),
    "a table in the environment that is not JSON": (
        ["seed"],
        {"CROSSDOCK_PORTS": "{gateway: 1}"},
        None,
        "ports (CROSSDOCK_PORTS): not JSON (Expecting property name enclosed in double quotes "
        "at column 2); the environment takes a table as JSON, e.g. "
        """CROSSDOCK_PORTS='{"gateway": 4000}'""",
    ),
    "REDIS_URL that is not a URL": (
        ["seed"],
        {"REDIS_URL": "notaurl"},
        None,
        "redis_url (REDIS_URL): Redis URL must specify one of the following schemes "
        "(redis://, rediss://, unix://)",
    ),
    "the gateway's own Redis URL": (
        ["gateway", "--supergraph", str(SUPERGRAPH)],
        {"CROSSDOCK_GATEWAY__REDIS_URL": "redis://127.0.0.1:99999/0"},
        None,
        "gateway.redis_url (CROSSDOCK_GATEWAY__REDIS_URL): Port out of range 0-65535",
    ),
    "a system URL without a scheme": (
        ["subgraph", "erp"],
        {"CROSSDOCK_ERP_URL": "erp.example:4102"},
        None,
        "erp_url (CROSSDOCK_ERP_URL): must be an http:// or https:// URL with a host",
    ),
    "a webhook URL in the file": (
        ["system", "wms"],
        {},
        '[wms_lifecycle]\nwebhook_url = "ftp://intake.example/webhooks"\n',
        "wms_lifecycle.webhook_url (crossdock.toml:2): must be an http:// or https:// URL "
        "with a host",
    ),
    "an outbox that is a MySQL URL": (
        ["subgraph", "wms"],
        {"CROSSDOCK_WMS_INTAKE__OUTBOX": "mysql://db.internal/crossdock"},
        None,
        "wms_intake.outbox (CROSSDOCK_WMS_INTAKE__OUTBOX): must be a SQLite file's path or a "
        "postgresql:// URL",
    ),
    "a PostgreSQL outbox without a host in the file": (
        ["subgraph", "wms"],
        {},
        '[wms_intake]\noutbox = "postgresql:///crossdock"\n',
        "wms_intake.outbox (crossdock.toml:2): a postgresql:// URL needs a host",
    ),
    "a wrong type in the file": (
        ["seed"],
        {},
        'seed = "seven"\n',
        "seed (crossdock.toml:1): Input should be a valid integer, unable to parse string as "
        "an integer",
    ),
    "an invalid gateway setting in the file": (
        ["gateway", "--supergraph", str(SUPERGRAPH)],
        {},
        "[gateway]\nws_max_operations = 0\n",
        "gateway.ws_max_operations (crossdock.toml:2): Input should be greater than 0, got 0",
    ),
    "a typo in the file": (
        ["seed"],
        {},
        "[gateway]\nmax_dept = 3\n",
        "gateway.max_dept (crossdock.toml:2): no such setting; did you mean gateway.max_depth?",
    ),
    "a file that is not TOML": (
        ["seed"],
        {},
        "[ports]\ngateway = \n",
        "crossdock.toml:2:11: not valid TOML: Invalid value",
    ),
    "a file cut short": (
        ["seed"],
        {},
        'host = "127.0.0.1',
        "crossdock.toml:1:18: not valid TOML: Unterminated string",
    ),
    "a file that is not text": (
        ["seed"],
        {},
        "seed = 7\n# caf\udcff\n",
        "config file crossdock.toml is not UTF-8 text (byte 15)",
    ),
    "a config file named but missing": (
        ["seed", "--config", "nowhere.toml"],
        {},
        None,
        "--config: cannot read config file nowhere.toml: No such file or directory",
    ),
    "CROSSDOCK_CONFIG naming a directory": (
        ["seed"],
        {"CROSSDOCK_CONFIG": "."},
        None,
        "CROSSDOCK_CONFIG: cannot read config file .: Is a directory",
    ),
    "a data dir that cannot be created": (
        ["seed", "--data-dir", "a-file/data"],
        {},
        None,
        "data_dir (--data-dir): cannot create or write to a-file/data: Not a directory",
    ),
    "a data dir that is a file": (
        ["system", "crm"],
        {"CROSSDOCK_DATA_DIR": "a-file"},
        None,
        "data_dir (CROSSDOCK_DATA_DIR): a-file is not a directory",
    ),
    "the orders subgraph's data dir": (
        ["subgraph", "orders"],
        {},
        'data_dir = "a-file/journal"\n',
        "data_dir (crossdock.toml:1): cannot create or write to a-file/journal: Not a directory",
    ),
    "a supergraph that does not exist": (
        ["gateway", "--supergraph", "nowhere.graphql"],
        {},
        None,
        "--supergraph: cannot read nowhere.graphql: No such file or directory",
    ),
    "a supergraph that is not one": (
        ["gateway", "--supergraph", "a-file"],
        {},
        None,
        "--supergraph: cannot serve a-file: supergraph does not parse: Syntax Error: "
        "Unexpected Name 'not'.",
    ),
}


@pytest.mark.parametrize(
    ("args", "env", "file", "expected"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS)
)
def test_every_bad_input_is_one_line_naming_the_key(
    tmp_path: Path, args: list[str], env: dict[str, str], file: str | None, expected: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory, nor a supergraph\n")
    if file is not None:
        text = file.encode("utf-8", errors="surrogateescape")
        (tmp_path / "crossdock.toml").write_bytes(text)
    line = one_line_refusal(crossdock(*args, cwd=tmp_path, env=env))
    assert line == f"crossdock: invalid configuration: {expected}"
    # Refused before anything was done: nothing seeded, nothing listening.
    assert not list(tmp_path.rglob("*.sqlite3"))


def test_several_problems_are_one_line_each(tmp_path: Path) -> None:
    (tmp_path / "crossdock.toml").write_text("seed = 1.5\n[ports]\ngateway = -1\ngatway = 1\n")
    result = crossdock(
        "system", "crm", "--port", "0", cwd=tmp_path, env={"CROSSDOCK_SYSTEM_MAX_RETRIES": "-2"}
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "crossdock: invalid configuration: ports.gatway (crossdock.toml:4): no such setting; "
        "did you mean ports.gateway?",
        "crossdock: invalid configuration: ports.gateway (crossdock.toml:3): Input should be "
        "greater than or equal to 1, got -1",
        "crossdock: invalid configuration: ports.crm_system (--port): Input should be greater "
        "than or equal to 1, got 0",
        "crossdock: invalid configuration: seed (crossdock.toml:1): Input should be a valid "
        "integer, got a number with a fractional part (value: 1.5)",
        "crossdock: invalid configuration: system_max_retries (CROSSDOCK_SYSTEM_MAX_RETRIES): "
        "Input should be greater than or equal to 0, got -2",
    ]


def test_arguments_that_do_not_parse_are_one_line(tmp_path: Path) -> None:
    result = crossdock("seed", "--seed", "seven", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "crossdock seed: argument --seed: invalid int value: 'seven' (see crossdock seed --help)\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["up"],
        ["seed"],
        ["system"],
        ["subgraph"],
        ["gateway"],
        ["events", "list"],
        ["events", "dead-letters"],
        ["events", "replay"],
    ],
)
def test_every_command_that_reads_settings_takes_a_config_file(
    tmp_path: Path, command: list[str]
) -> None:
    result = crossdock(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--config FILE" in result.stdout


def test_a_real_command_reads_the_file_under_the_environment_under_the_flags(
    tmp_path: Path,
) -> None:
    """``crossdock seed`` takes its data dir and seed from the file; the environment
    overrides the seed, and a flag overrides the environment."""
    data = tmp_path / "data"
    config = tmp_path / "site.toml"
    config.write_text(f'data_dir = "{data}"\nseed = 3\n')
    seeded = crossdock("seed", "--config", str(config), cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.startswith(f"seeded crm, erp, wms in {data} with seed 3:")
    assert sorted(p.name for p in data.glob("*.sqlite3")) == [
        "crm.sqlite3",
        "erp.sqlite3",
        "wms.sqlite3",
    ]
    # The environment's seed wins over the file's (and the data dir refuses to be served so).
    overridden = crossdock(
        "seed", "--config", str(config), cwd=tmp_path, env={"CROSSDOCK_SEED": "4"}
    )
    assert overridden.returncode == 1
    assert f"{data} was seeded with seed 3, not 4" in overridden.stderr
    # The flag wins over the environment.
    flagged = crossdock(
        "seed", "--config", str(config), "--seed", "3", cwd=tmp_path, env={"CROSSDOCK_SEED": "4"}
    )
    assert flagged.returncode == 0, flagged.stderr
    assert flagged.stdout.strip() == f"using the data in {data} (seed 3)"
    # CROSSDOCK_CONFIG names the file when --config does not; ./crossdock.toml is read when
    # neither does.
    named = crossdock("seed", cwd=tmp_path, env={"CROSSDOCK_CONFIG": str(config)})
    assert named.stdout.strip() == f"using the data in {data} (seed 3)"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "crossdock.toml").write_text(config.read_text())
    found = crossdock("seed", cwd=elsewhere)
    assert found.stdout.strip() == f"using the data in {data} (seed 3)"


def test_the_gateway_serves_with_the_files_settings(tmp_path: Path) -> None:
    """A ``[gateway]`` setting from the file is what a client of ``crossdock gateway`` runs
    into (the depth limit refuses before any subgraph is asked, so none need run)."""
    config = tmp_path / "gateway.toml"
    config.write_text("[gateway]\nmax_depth = 2\ngraphiql = false\n")
    port = reserve_port()
    args = ["--config", str(config), "--supergraph", str(SUPERGRAPH), "--port", str(port)]
    proc = subprocess.Popen(
        [*COMMAND, "gateway", *args],
        cwd=tmp_path,
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: proc.poll() is not None or _accepts(port), timeout=60, what="gateway")
        assert proc.poll() is None, "crossdock gateway exited"
        url = f"http://127.0.0.1:{port}/graphql"
        answer = httpx.post(url, json={"query": "{ accounts { edges { node { id } } } }"})
        [error] = answer.json()["errors"]
        assert error["message"] == "Operation is 4 levels deep; the limit is 2."
        page = httpx.get(url, headers={"accept": "text/html"})
        assert "GraphiQL" not in page.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_config_check_says_ok_or_one_line_per_problem(tmp_path: Path) -> None:
    good = crossdock("config", "check", str(ROOT / "crossdock.example.toml"), cwd=tmp_path)
    assert (good.returncode, good.stdout) == (0, "ok\n"), good.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('redis_url = "localhost:6379"\n[gateway]\nmax_depth = 0\nmax_aliasses = 1\n')
    result = crossdock("config", "check", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stdout.splitlines() == [
        f"gateway.max_aliasses ({bad}:4): no such setting; did you mean gateway.max_aliases?",
        f"redis_url ({bad}:1): Redis URL must specify one of the following schemes (redis://, "
        "rediss://, unix://)",
        f"gateway.max_depth ({bad}:3): Input should be greater than 0, got 0",
    ]


def test_config_check_reads_the_file_alone(tmp_path: Path) -> None:
    """A file is checked as a deployment would read it, not with this shell's variables nor
    with the ./crossdock.toml beside it."""
    (tmp_path / "crossdock.toml").write_text("seed = 'not a seed'\n")
    result = crossdock(
        "config",
        "check",
        str(ROOT / "crossdock.example.toml"),
        cwd=tmp_path,
        env={"REDIS_URL": "notaurl", "CROSSDOCK_PORTS__GATEWAY": "0"},
    )
    assert (result.returncode, result.stdout) == (0, "ok\n"), result.stderr


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("missing.toml", "cannot read config file missing.toml: No such file or directory"),
        (
            "bad.toml",
            "bad.toml:1:10: not valid TOML: Expected newline or end of document after a statement",
        ),
    ],
)
def test_config_check_of_a_file_it_cannot_read(tmp_path: Path, file: str, expected: str) -> None:
    (tmp_path / "bad.toml").write_text("seed = 7 7\n")
    result = crossdock("config", "check", file, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, f"{expected}\n"), result.stderr


def test_config_check_reads_the_manifest_the_file_names(tmp_path: Path) -> None:
    """A file ``check`` passes starts: the manifest it names is read as the gateway would."""
    config = tmp_path / "prod.toml"
    missing = tmp_path / "missing.json"
    config.write_text(
        f'[gateway]\nproduction = true\n[gateway.persisted_queries]\nmanifest = "{missing}"\n'
    )
    refused = crossdock("config", "check", str(config), cwd=tmp_path)
    assert refused.returncode == 2
    assert refused.stdout.count("\n") == 1
    assert refused.stdout.startswith("gateway.persisted_queries.manifest: ")
    assert "cannot read it" in refused.stdout
    missing.write_text(
        '{"format": "apollo-persisted-query-manifest", "version": 1, "operations": ['
        '{"id": "a", "name": "A", "type": "query", "body": "query A { __typename }"}]}'
    )
    accepted = crossdock("config", "check", str(config), cwd=tmp_path)
    assert (accepted.returncode, accepted.stdout) == (0, "ok\n")
