"""What identity costs a request: fedbench with a verified token on every request, and the
auth directives enforced on every field, against the same gateway with auth off.

    .venv/bin/python -m bench.auth_load --runs 5 --duration 10 --concurrency 50

Two of our gateways pinned to the same core, runs interleaved, each measured alone:

- ``auth off``: fedbench's supergraph as it is, no token sent;
- ``token + directives``: the same supergraph with ``@authenticated`` on every root field and
  ``@requiresScopes`` on ``Review`` and ``Product`` (so the filter reads every field of the
  operation), a JWKS file of a key made for the run, and an RS256 token granting those scopes
  on every request (the same token throughout: verified keys and tokens are cached as in
  production, where a client keeps its token for its lifetime).

Prints requests/s, p50/p99 and requests per gateway CPU-second per run and the medians, and
the ratio; the goal is a cost under 5%. On a shared machine that ratio moves by several
percent from run to run, so the same run also times the auth work alone (the remembered
token verified and the operation checked against the directives, 2,000 times in this
process) and prints it as a share of a request's gateway CPU time. Subgraphs replay known
answers, so the gateways are what is measured. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from graphql import parse

from bench.fedbench_subgraphs import FEDBENCH
from bench.front_door_load import Contender, compare, fedbench_upstream, pin_load, start_gateway
from bench.gateway_vs_apollo import add_load_arguments, supergraph_for
from gateway.auth import AuthSettings, TokenVerifier
from gateway.authorization import Authorizer
from gateway.planner import select_operation
from gateway.supergraph import parse_supergraph

ROOT = Path(__file__).resolve().parents[1]
ISSUER = "https://idp.bench.crossdock"
AUDIENCE = "crossdock-bench"
SCOPES = "reviews:read products:read"

_LINKS = (
    '  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)\n'
    '  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY) {\n'
)
_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
_DEFINITIONS = f"""
directive @authenticated on {_LOCATIONS}

directive @requiresScopes(scopes: [[requiresScopes__Scope!]!]!) on {_LOCATIONS}

scalar requiresScopes__Scope
"""


def with_directives(supergraph: str) -> str:
    """fedbench's supergraph with the auth directives of the module docstring."""
    head = '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION) {\n'
    assert head in supergraph
    out = supergraph.replace(head, head.replace(" {\n", "\n") + _LINKS, 1)
    out = out.replace("\nscalar join__FieldSet", _DEFINITIONS + "\nscalar join__FieldSet", 1)
    for field in ("me: User", "user(id: ID!): User", "users: [User]", "topProducts("):
        start = out.index(f"  {field}")
        end = out.index("\n", start)
        out = out[:end] + " @authenticated" + out[end:]
    for kind in ("Review", "Product"):
        marker = f"\ntype {kind}\n" if f"\ntype {kind}\n" in out else f"\ntype {kind} "
        start = out.index(marker) + 1
        brace = out.index("{", start)
        scope = kind.lower() + "s:read"
        out = out[:brace] + f'@requiresScopes(scopes: [["{scope}"]]) ' + out[brace:]
    return out


def _issuer(folder: Path) -> tuple[Path, str]:
    """A JWKS file and a token signed by its one key, valid for the run."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    path = folder / "jwks.json"
    path.write_text(json.dumps({"keys": [{**jwk, "kid": "bench", "alg": "RS256", "use": "sig"}]}))
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "bench", "scope": SCOPES}
    claims.update(iat=now, exp=now + 3600)
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "bench"})
    return path, token


async def _auth_work(supergraph_path: Path, jwks: Path, token: str, body: bytes) -> float:
    """Seconds of CPU one request's auth work takes once warm (the median of a few rounds):
    what the gateway adds per request beside the load run's noise."""
    supergraph = parse_supergraph(supergraph_path.read_text())
    settings = AuthSettings(jwks=str(jwks), issuer=ISSUER, audience=AUDIENCE)
    verifier = TokenVerifier(settings)
    authorizer = Authorizer.from_settings(settings)
    assert authorizer is not None
    operation = select_operation(parse(json.loads(body)["query"]), None)
    rounds = []
    try:
        for _ in range(5):
            started = time.process_time()
            for _ in range(_WORK_REQUESTS):
                identity = await verifier.verify(token)
                assert authorizer.check(supergraph, operation, {}, identity) is None
            rounds.append((time.process_time() - started) / _WORK_REQUESTS)
    finally:
        await verifier.aclose()
    return statistics.median(rounds)


_WORK_REQUESTS = 2000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.auth_load", description=__doc__)
    add_load_arguments(parser, concurrency=50)
    args = parser.parse_args(argv)
    body = (FEDBENCH / "body.json").read_bytes()
    gateway_cpu, load_cpu = pin_load(args)
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        urls = fedbench_upstream(stack, load_cpu)
        plain = folder / "plain.graphql"
        plain.write_text(supergraph_for("fedbench", urls))
        guarded = folder / "guarded.graphql"
        guarded.write_text(with_directives(plain.read_text()))
        jwks, token = _issuer(folder)
        auth_env = {
            "CROSSDOCK_AUTH__JWKS": str(jwks),
            "CROSSDOCK_AUTH__ISSUER": ISSUER,
            "CROSSDOCK_AUTH__AUDIENCE": AUDIENCE,
        }
        off = Contender(*start_gateway(stack, plain, gateway_cpu, {}))
        on = Contender(
            *start_gateway(stack, guarded, gateway_cpu, auth_env),
            headers={"authorization": f"Bearer {token}"},
        )
        anonymous = httpx.post(on.url, content=body, headers={"content-type": "application/json"})
        refused = anonymous.json()
        if refused.get("data") is not None or not refused.get("errors"):
            raise SystemExit(
                f"without a token the guarded gateway answered: {anonymous.text[:300]}"
            )
        where = f"gateways on cpu {gateway_cpu}, load and subgraphs on cpu {load_cpu}"
        per_cpu = compare({"auth off": off, "token + directives": on}, body, args,
                          baseline="auth off", where=where)  # fmt: skip
        spent = asyncio.run(_auth_work(guarded, jwks, token, body))
        share = spent * per_cpu["auth off"]
        print(
            f"the auth work alone (token verified, as remembered, and the operation checked "
            f"against the directives), in this process: {spent * 1e6:.1f} us a request, "
            f"{share:.2%} of a request's gateway CPU time with auth off"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
