"""Fixtures: the fake system on loopback (``tests.support.fake_system``)."""

from tests.support.fake_system import client, fake_system, fake_system_server

__all__ = ["client", "fake_system", "fake_system_server"]
