"""Which pages count as the gateway's own, and origins read as browsers write them."""

from __future__ import annotations

import pytest

from gateway.server._origin import LOOPBACK_HOSTS, normalize_origin, same_origin


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:4000", "127.0.0.1:4000", True),
        ("http://localhost:4000", "localhost:4000", True),
        ("http://gateway.example", "gateway.example", True),
        ("https://gateway.example", "gateway.example", True),
        # A Host without a port has the origin scheme's default one.
        ("https://gateway.example", "gateway.example:443", True),
        ("http://gateway.example:8080", "gateway.example", False),
        ("http://Gateway.Example:4000", "gateway.example:4000", True),
        # DNS rebinding: a name the gateway is not known by, pointed at its address.
        ("http://rebound.example:4000", "rebound.example:4000", False),
        ("http://[::1]:4000", "[::1]:4000", True),
        ("http://127.0.0.1:4001", "127.0.0.1:4000", False),
        ("http://evil.example:4000", "127.0.0.1:4000", False),
        ("http://127.0.0.1:4000/path", "127.0.0.1:4000", False),
        ("null", "127.0.0.1:4000", False),
        ("file://", "127.0.0.1:4000", False),
        ("http://127.0.0.1:4000", None, False),
        ("http://127.0.0.1:99999", "127.0.0.1:99999", False),
    ],
)
def test_same_origin(origin: str, host: str | None, same: bool) -> None:
    assert same_origin(origin, host, (*LOOPBACK_HOSTS, "gateway.example")) is same


def test_the_own_hosts_are_this_machines_unless_configured() -> None:
    assert same_origin("http://[::1]:4000", "[::1]:4000")
    assert not same_origin("http://gateway.example", "gateway.example")
    assert same_origin("http://anything.example", "anything.example", ["*"])


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("https://Portal.Example", "https://portal.example"),
        ("https://portal.example:443", "https://portal.example"),
        ("http://portal.example:80", "http://portal.example"),
        ("http://portal.example:8080", "http://portal.example:8080"),
        ("*", "*"),
        ("null", "null"),
    ],
)
def test_configured_origins_are_written_as_browsers_send_them(configured: str, sent: str) -> None:
    assert normalize_origin(configured) == sent


@pytest.mark.parametrize(
    "configured",
    ["portal.example", "https://portal.example/", "https://portal.example/app", "https://:1"],
)
def test_what_is_not_an_origin_is_refused(configured: str) -> None:
    with pytest.raises(ValueError):
        normalize_origin(configured)
