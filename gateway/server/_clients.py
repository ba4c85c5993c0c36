"""Who a client is, for rate limits: the verified token subject once there is one, else the
client's address, taken from ``X-Forwarded-For`` only behind trusted proxies.

``X-Forwarded-For`` is a list any client can start: each proxy appends the address it got
the request from. Only the entries added by proxies we trust are facts, so the list is read
from the right, past our own proxies, and the first address a trusted proxy did not add is
the client. A direct peer we do not trust means there is no proxy in front of us and the
header is the client's own text: it is ignored.

The server must hand the gateway the real peer: uvicorn rewrites ``scope["client"]`` from
``X-Forwarded-For`` by default (for 127.0.0.1), so the gateway is served with
``proxy_headers=False`` (``crossdock.runner`` does) and this module decides alone.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.types import Scope

__all__ = ["SUBJECT_STATE_KEY", "ClientIdentity", "TrustedProxies", "identify"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# The seam the identity issue fills: once a request's (or a WebSocket's, at
# ``connection_init``) token is verified, its subject goes into the ASGI scope's state under
# this key (``request.state.client_subject = sub``) and rate limits key on it from then on.
SUBJECT_STATE_KEY = "client_subject"
# One IPv6 subscriber is usually given a whole /64: counting each address apart would give it
# 2**64 buckets.
_IPV6_PREFIX = 64


@dataclass(frozen=True)
class ClientIdentity:
    """The client's verified subject, if any, and its address (``""`` when unknown)."""

    address: str
    subject: str | None = None

    @property
    def key(self) -> str:
        """What buckets are keyed on: the subject when verified, else the address."""
        if self.subject is not None:
            return f"sub:{self.subject}"
        return f"ip:{self.address}"


class TrustedProxies:
    """The networks (CIDRs) whose ``X-Forwarded-For`` entries are believed."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)


# Parsing an address costs microseconds, and a gateway sees the same few (its proxies, its
# busiest clients) over and over; bounded, so many addresses only cost their parse.
@functools.lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, ``[v6]:port`` or ``v4:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _bucketed(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, _IPV6_PREFIX), strict=False))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def client_address(scope: Scope, proxies: TrustedProxies) -> str:
    """The client's address (an IPv6 one as its /64), or ``""`` if the server gave none."""
    client = scope.get("client")
    peer = _address(client[0]) if client else None
    if peer is None:
        return ""
    if not proxies or not proxies.trusts(peer):
        return _bucketed(peer)
    forwarded = ",".join(Headers(scope=scope).getlist("x-forwarded-for"))
    client_at = peer
    for entry in reversed(forwarded.split(",") if forwarded else ()):
        address = _address(entry)
        if address is None:
            # Garbage left of our proxies: the last one we trust is all we know.
            break
        client_at = address
        if not proxies.trusts(address):
            break
    return _bucketed(client_at)


def _subject(scope: Scope) -> str | None:
    state: Any = scope.get("state")
    subject = state.get(SUBJECT_STATE_KEY) if isinstance(state, dict) else None
    return subject if isinstance(subject, str) and subject else None


def identify(scope: Scope, proxies: TrustedProxies) -> ClientIdentity:
    """Who sent the request (or opened the WebSocket) of ``scope``."""
    return ClientIdentity(client_address(scope, proxies), _subject(scope))
