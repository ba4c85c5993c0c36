"""Who a client is: its address, read from X-Forwarded-For only as far as trusted proxies
wrote it, and the verified subject once the identity layer sets one."""

from __future__ import annotations

import ipaddress

import pytest

from gateway.server._clients import SUBJECT_STATE_KEY, TrustedProxies, identify

PROXIES = TrustedProxies([ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")])


def scope(
    peer: str | None, *forwarded: str, state: dict[str, object] | None = None
) -> dict[str, object]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    out: dict[str, object] = {"type": "http", "headers": headers}
    out["client"] = None if peer is None else (peer, 50000)
    if state is not None:
        out["state"] = state
    return out


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "address"),
    [
        # No proxy is trusted: the header is the client's own text.
        ("203.0.113.9", ["198.51.100.1"], TrustedProxies(), "203.0.113.9"),
        # The peer is not one of our proxies: likewise.
        ("203.0.113.9", ["198.51.100.1"], PROXIES, "203.0.113.9"),
        ("10.0.0.1", ["198.51.100.1"], PROXIES, "198.51.100.1"),
        # What the client put left of what our proxies wrote is not believed.
        ("10.0.0.1", ["6.6.6.6, 198.51.100.1, 10.0.0.2"], PROXIES, "198.51.100.1"),
        # Several headers are one list, in order.
        ("10.0.0.1", ["6.6.6.6, 198.51.100.1", "10.0.0.2"], PROXIES, "198.51.100.1"),
        # Only our proxies: the first of them is all we know.
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], PROXIES, "10.0.0.3"),
        # Garbage next to our proxy: that proxy is all we know.
        ("10.0.0.1", ["198.51.100.1, not-an-address"], PROXIES, "10.0.0.1"),
        ("10.0.0.1", [], PROXIES, "10.0.0.1"),
        # Addresses as proxies write them, with ports.
        ("10.0.0.1", ["198.51.100.1:4711"], PROXIES, "198.51.100.1"),
        ("::1", ["[2001:db8::7]:443"], PROXIES, "2001:db8::/64"),
        # One IPv6 subscriber holds a /64; an IPv4-mapped address is the IPv4 one.
        ("2001:db8:0:0:1::5", [], PROXIES, "2001:db8::/64"),
        ("::ffff:198.51.100.1", [], PROXIES, "198.51.100.1"),
    ],
)
def test_the_client_address(
    peer: str, forwarded: list[str], proxies: TrustedProxies, address: str
) -> None:
    identity = identify(scope(peer, *forwarded), proxies)
    assert identity.address == address
    assert identity.key == f"ip:{address}"


def test_a_server_that_gives_no_peer_puts_such_clients_together() -> None:
    assert identify(scope(None), PROXIES).key == "ip:"


def test_a_verified_subject_is_the_identity() -> None:
    # The seam the identity layer fills (request.state.client_subject).
    identity = identify(scope("203.0.113.9", state={SUBJECT_STATE_KEY: "user-42"}), PROXIES)
    assert identity.subject == "user-42"
    assert identity.key == "sub:user-42"
    assert identify(scope("203.0.113.9", state={}), PROXIES).key == "ip:203.0.113.9"
