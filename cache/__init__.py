"""Caching and shared state: Redis-backed, with an in-memory twin for the embedded default."""
