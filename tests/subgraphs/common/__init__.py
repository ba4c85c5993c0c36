"""Tests of what every subgraph shares."""
