"""Tests of the subgraphs."""
