"""Helpers the tests share: real servers on loopback, waiting on conditions."""
