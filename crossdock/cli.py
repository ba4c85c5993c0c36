"""The ``crossdock`` command: run the graph, its parts, and the tools around it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from crossdock.configuration import Configuration, ConfigurationError, Flag, Problem
from crossdock.files import write_atomically
from crossdock.runner import Service
from crossdock.settings import SYSTEM_NAMES, Settings, SystemName, WmsLifecycle
from subgraphs.apps import SUBGRAPH_NAMES

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Arguments that do not parse are one line (and status 2), like every other bad input;
    the usage is one ``--help`` away."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _configuration(args: argparse.Namespace, *flags: Flag) -> Configuration:
    """Where this command's settings come from: its flags (``--data-dir``, ``--seed`` and
    ``flags``) over the environment over the config file."""
    given = list(flags)
    if getattr(args, "data_dir", None):
        given.append(Flag(("data_dir",), "--data-dir", args.data_dir))
    if getattr(args, "seed", None) is not None:
        given.append(Flag(("seed",), "--seed", args.seed))
    if getattr(args, "demo", False):
        given.append(Flag(("demo", "enabled"), "--demo", True))
    return Configuration(args.config, given)


def _port_flag(args: argparse.Namespace, port: str) -> tuple[Flag, ...]:
    """``--port`` as the setting it overrides, ``ports.<port>``, validated like it."""
    return () if args.port is None else (Flag(("ports", port), "--port", args.port),)


def _settings(args: argparse.Namespace, *flags: Flag) -> Settings:
    return _configuration(args, *flags).load()


def _settings_with_data_dir(args: argparse.Namespace, *flags: Flag) -> Settings:
    """The settings of a command that keeps files in the data dir, which exists afterwards:
    one that cannot be created is a problem with ``data_dir`` now, not a traceback later."""
    configuration = _configuration(args, *flags)
    settings = configuration.load()
    configuration.ensure_data_dir(settings)
    return settings


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name (or "" for every interface): assume it is reachable


def default_secret_warning(settings: Settings) -> str | None:
    """A warning when the public dev webhook secret is used on a non-loopback bind."""
    default = WmsLifecycle.model_fields["webhook_secret"].default
    if settings.wms_lifecycle.webhook_secret != default or _is_loopback(settings.host):
        return None
    return (
        f"crossdock: WARNING: listening on {settings.host or 'every interface'} with the "
        "default WMS webhook secret, which is public: anyone who can reach the WMS webhook "
        "intake can forge signed milestones. Set CROSSDOCK_WMS_LIFECYCLE__WEBHOOK_SECRET "
        "to a secret of your own."
    )


def _warn_about_default_secret(settings: Settings) -> None:
    warning = default_secret_warning(settings)
    if warning:
        print(warning, file=sys.stderr, flush=True)


def _log_trace_ids() -> None:
    """With tracing on (docs/tracing.md), warnings and errors go to stderr with the trace and
    span ids of the request they happened in; otherwise logging stays Python's default."""
    from telemetry.tracing import install_trace_ids, tracing_configured

    if not tracing_configured():
        return
    handler = logging.StreamHandler()
    install_trace_ids(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _run(services: list[Service], on_started: str, data_dir: Path | None = None) -> int:
    """Serve until Ctrl-C; a service that cannot start is a message and exit status 1.

    With ``data_dir``, the directory is marked in use so that nothing reseeds it meanwhile.
    """
    from crossdock.runner import StartupFailed, run
    from systems.seeding import data_dir_in_use

    _log_trace_ids()
    try:
        with data_dir_in_use(data_dir) if data_dir else contextlib.nullcontext():
            run(services, on_started=on_started)
    except StartupFailed as failure:
        print(f"crossdock: {failure}", file=sys.stderr)
        return 1
    return 0


def _cmd_seed(args: argparse.Namespace) -> int:
    from crossdock.stack import seed

    settings = _settings_with_data_dir(args)
    report = seed(settings, reset=args.reset)
    print(report)
    return 0


_SIGPIPE_STATUS = 128 + signal.SIGPIPE
"""What a shell reports for a command whose reader closed the pipe early."""

_DEV_AUTH_HINT = (
    "auth: development tokens; mint one with "
    'crossdock token --scope "orders:read" --account <CRM account id> and send it as '
    '"Authorization: Bearer <token>" (GraphiQL: the Headers tab)'
)


def _with_dev_auth(args: argparse.Namespace, settings: Settings) -> Settings:
    """``--auth dev``: auth on with the development issuer's JWKS, for the gateway and every
    subgraph (as flags, so the settings compose it as they would the user's own)."""
    from crossdock.dev_auth import DEV_AUDIENCE, DEV_ISSUER, DevIssuer

    if settings.gateway.production:
        raise ConfigurationError(
            [Problem("--auth", "dev tokens are refused with gateway.production on")]
        )
    jwks = DevIssuer(settings.data_dir).write_jwks()
    flags = (
        Flag(("auth", "jwks"), "--auth dev", str(jwks)),
        Flag(("auth", "issuer"), "--auth dev", DEV_ISSUER),
        Flag(("auth", "audience"), "--auth dev", DEV_AUDIENCE),
    )
    return _settings(args, *flags)


def _jwks_problem(args: argparse.Namespace, error: Exception, *flags: Flag) -> ConfigurationError:
    """A JWKS file that cannot be used, as the one line naming ``auth.jwks`` and its origin."""
    return ConfigurationError([_configuration(args, *flags).problem(("auth", "jwks"), str(error))])


def _shared_state(redis_url: str | None) -> bool:
    """Say where shared state lives; False (after one line saying why) when it is a Redis
    that does not answer: nothing should start that would fail on it."""
    from crossdock.shared_state import redis_problem, state_line

    if redis_url is not None:
        problem = redis_problem(redis_url)
        if problem is not None:
            print(f"crossdock: {problem}", file=sys.stderr)
            return False
    print(state_line(redis_url), flush=True)
    return True


def _cmd_up(args: argparse.Namespace) -> int:
    from crossdock.stack import build_stack
    from gateway.auth import JwksError
    from gateway.authorization import AuthorizationSetupError
    from gateway.composition import CompositionFailed
    from gateway.documents import PersistedQueriesError

    settings = _settings_with_data_dir(args)
    if args.auth == "dev":
        settings = _with_dev_auth(args, settings)
    if settings.demo.enabled and settings.auth.jwks is not None and args.auth != "dev":
        raise ConfigurationError(
            [Problem("demo.enabled", "the demo traffic needs auth off or --auth dev")]
        )
    _warn_about_default_secret(settings)
    if not _shared_state(settings.redis_url):
        return 1
    try:
        stack = build_stack(settings)
    except CompositionFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    except PersistedQueriesError as error:
        raise ConfigurationError([Problem("gateway.persisted_queries", str(error))]) from None
    except JwksError as error:
        raise _jwks_problem(args, error) from None
    except AuthorizationSetupError as error:
        raise ConfigurationError([Problem("auth", str(error))]) from None
    print(stack.seed_report, flush=True)
    print(f"supergraph composed into {stack.supergraph_path}", flush=True)
    if args.auth == "dev":
        print(_DEV_AUTH_HINT, flush=True)
    if stack.demo is not None:
        print(stack.demo, flush=True)
    lines = ["crossdock is up:"] + [f"  {s.name:<16} {s.url}" for s in stack.services]
    lines.append("Ctrl-C stops everything.")
    return _run(stack.services, "\n".join(lines), settings.data_dir)


def _cmd_system(args: argparse.Namespace) -> int:
    from crossdock.stack import seed
    from systems.apps import create_system_app

    name: SystemName = args.name
    settings = _settings_with_data_dir(args, *_port_flag(args, f"{name}_system"))
    if name == "wms":
        _warn_about_default_secret(settings)
    seed(settings, reset=False)
    app = create_system_app(name, settings.systems)
    service = Service(f"{name} system", app, settings.host, settings.system_port(name))
    return _run([service], f"{service.name} on {service.url}", settings.data_dir)


def _cmd_subgraph(args: argparse.Namespace) -> int:
    from subgraphs.apps import create_subgraph_app

    flags = _port_flag(args, f"{args.name}_subgraph")
    # The orders subgraph keeps its workflow journal in the data dir when there is no Redis,
    # the wms subgraph its webhook outbox when there is.
    configuration = _configuration(args, *flags)
    settings = configuration.load()
    if (args.name == "orders" and not settings.redis_url) or (
        args.name == "wms" and settings.redis_url
    ):
        configuration.ensure_data_dir(settings)
    if args.name == "wms":  # it holds the webhook intake
        _warn_about_default_secret(settings)
    if not _shared_state(settings.redis_url):
        return 1
    app = create_subgraph_app(args.name, settings.subgraphs)
    port = settings.ports.subgraph(args.name)
    service = Service(f"{args.name} subgraph", app, settings.host, port, path="/graphql")
    return _run([service], f"{service.name} on {service.url}")


def _cmd_token(args: argparse.Namespace) -> int:
    from crossdock.dev_auth import DevIssuer

    settings = _settings_with_data_dir(args)
    issuer = DevIssuer(settings.data_dir)
    # The JWKS is kept in step with the key, so a gateway started by hand can point at it.
    issuer.write_jwks()
    print(issuer.token(scope=args.scope, account=args.account, subject=args.subject, ttl=args.ttl))
    return 0


def _positive_seconds(text: str) -> float:
    value = float(text)
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {text}")
    return value


def _cmd_gateway(args: argparse.Namespace) -> int:
    from crossdock.ops_page import ops_routes
    from gateway.auth import JwksError
    from gateway.authorization import AuthorizationSetupError
    from gateway.documents import PersistedQueriesError
    from gateway.server import create_gateway_app
    from gateway.supergraph import SupergraphError

    settings = _settings(args, *_port_flag(args, "gateway"))
    supergraph: Path = args.supergraph
    try:
        supergraph.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigurationError(
            [Problem("--supergraph", f"cannot read {supergraph}: {reason or error}")]
        ) from None
    try:
        # The operations page asks the graph for `operations`: on a supergraph without it,
        # the page says what the graph answered.
        app = create_gateway_app(supergraph, settings.gateway, routes=ops_routes())
    except SupergraphError as error:
        raise ConfigurationError(
            [Problem("--supergraph", f"cannot serve {supergraph}: {error}")]
        ) from None
    except OSError as error:  # a file the gateway reads beside the supergraph
        print(f"crossdock gateway: cannot start: {error}", file=sys.stderr)
        return 1
    except PersistedQueriesError as error:
        raise ConfigurationError([Problem("gateway.persisted_queries", str(error))]) from None
    except JwksError as error:
        raise _jwks_problem(args, error, *_port_flag(args, "gateway")) from None
    except AuthorizationSetupError as error:
        raise ConfigurationError([Problem("auth", str(error))]) from None
    service = Service("gateway", app, settings.host, settings.ports.gateway, path="/graphql")
    return _run([service], f"gateway on {service.url}")


def _cmd_events(args: argparse.Namespace) -> int:
    from events.commands import run_events_command

    settings = _settings(args)
    return run_events_command(args, settings.redis_url, prefix=settings.event_streams_prefix)


def _cmd_compose(args: argparse.Namespace) -> int:
    from crossdock.graph import SUPERGRAPH_PATH, compose_snapshots
    from gateway.composition import CompositionError, CompositionFailed, compose
    from gateway.composition.sources import load_sources, parse_subgraph_spec

    try:
        if args.subgraph:
            specs = [parse_subgraph_spec(text) for text in args.subgraph]
            supergraph = compose(asyncio.run(load_sources(specs)))
            out = args.out
        else:
            supergraph = compose_snapshots()
            out = args.out or SUPERGRAPH_PATH
    except ValueError as error:
        print(f"crossdock compose: {error}", file=sys.stderr)
        return 2
    except CompositionError as error:
        print(f"composition failed:\n  {error}", file=sys.stderr)
        return 1
    except CompositionFailed as failure:
        print(failure, file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.write(supergraph)
        return 0
    try:
        write_atomically(Path(out), supergraph)
    except OSError as error:
        print(f"crossdock compose: cannot write {out}: {error.strerror}", file=sys.stderr)
        return 1
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="crossdock",
        description="One GraphQL graph over a distributor's ERP, CRM and WMS.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Every command that reads settings reads them from a config file too.
    config = _Parser(add_help=False)
    config.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the config file (TOML; default: $CROSSDOCK_CONFIG, else ./crossdock.toml if it "
        "exists); the environment and flags override it",
    )

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data-dir", help="where the systems keep their SQLite files")
        p.add_argument("--seed", type=int, help="seed number of the demo data")

    up = sub.add_parser(
        "up", parents=[config], help="run the systems, subgraphs and gateway in one process"
    )
    common(up)
    up.add_argument(
        "--auth",
        choices=["dev"],
        help="dev: verify tokens of the local development issuer (crossdock token); "
        "refused with the production switch on",
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="demo traffic: a trickle of orders and returns through the gateway and the WMS "
        "timer on, so /ops and /metrics move (the demo settings; stops with Ctrl-C)",
    )
    up.set_defaults(func=_cmd_up)

    token = sub.add_parser(
        "token",
        parents=[config],
        help="mint a token of the development issuer (for crossdock up --auth dev)",
        description="Print a bearer token signed by the local development key (kept in "
        "<data_dir>/dev-auth/, made on first use) that crossdock up --auth dev accepts.",
    )
    token.add_argument("--data-dir", help="where the development key is kept (dev-auth/)")
    token.add_argument(
        "--scope",
        default="",
        help='space-separated scopes, e.g. "orders:read orders:write" or "staff"',
    )
    token.add_argument("--account", help="the CRM account id the token is bound to")
    token.add_argument("--subject", default="developer", help="the sub claim (default developer)")
    token.add_argument(
        "--ttl",
        type=_positive_seconds,
        default=3600.0,
        help="seconds until it expires (default 3600)",
    )
    token.set_defaults(func=_cmd_token)

    seed = sub.add_parser(
        "seed", parents=[config], help="create the demo data of the reference systems"
    )
    common(seed)
    seed.add_argument("--reset", action="store_true", help="drop existing data and reseed")
    seed.set_defaults(func=_cmd_seed)

    system = sub.add_parser(
        "system", parents=[config], help="run one reference system (crm, erp or wms)"
    )
    common(system)
    system.add_argument("name", choices=SYSTEM_NAMES)
    system.add_argument("--port", type=int, help="default: ports.<name>_system")
    system.set_defaults(func=_cmd_system)

    gateway = sub.add_parser(
        "gateway",
        parents=[config],
        help="serve a supergraph file (Apollo format) as a federation gateway",
        description="Serve any Apollo Federation supergraph; subgraph URLs come from "
        "join__Graph, and a change of the file is picked up without a restart.",
    )
    gateway.add_argument("--supergraph", type=Path, required=True, help="the supergraph SDL file")
    gateway.add_argument("--port", type=int, help="default: ports.gateway (4000)")
    gateway.set_defaults(func=_cmd_gateway)

    compose = sub.add_parser(
        "compose",
        help="compose subgraph SDLs into a supergraph",
        description="Compose subgraphs into an Apollo-format supergraph. Without --subgraph, "
        "composes our graph from schema/sdl/*.graphql into schema/supergraph.graphql.",
    )
    compose.add_argument(
        "--subgraph",
        action="append",
        metavar="NAME=URL|NAME=FILE@URL",
        help="a running subgraph (its _service { sdl }) or an SDL file and its routing URL",
    )
    compose.add_argument("--out", type=Path, help="where to write the supergraph (default stdout)")
    compose.set_defaults(func=_cmd_compose)

    subgraph = sub.add_parser(
        "subgraph", parents=[config], help="run one subgraph (crm, erp, wms or orders)"
    )
    common(subgraph)
    subgraph.add_argument("name", choices=SUBGRAPH_NAMES)
    subgraph.add_argument("--port", type=int, help="default: ports.<name>_subgraph")
    subgraph.set_defaults(func=_cmd_subgraph)

    from crossdock.config_cli import add_config_parser
    from crossdock.plan_cli import add_plan_parser
    from events.commands import add_events_parser

    add_events_parser(sub, parents=[config]).set_defaults(func=_cmd_events)
    add_config_parser(sub)
    add_plan_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from systems.seeding import DataDirBusy, DataDirMismatch

    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (``crossdock plan ... | head``): stop quietly, as ``git log |
        # head`` does, rather than with a traceback, and keep the interpreter's last flush
        # from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return _SIGPIPE_STATUS
    except (DataDirMismatch, DataDirBusy) as refusal:
        print(f"crossdock: {refusal}", file=sys.stderr)
        return 1
    except ConfigurationError as error:
        for problem in error.problems:
            print(f"crossdock: invalid configuration: {problem}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
