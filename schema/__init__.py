"""Canonical contracts: shared pydantic models, the subgraph SDL snapshots and the supergraph."""
