"""Tests of the cache package: one Protocol suite over both implementations, and their extras."""
