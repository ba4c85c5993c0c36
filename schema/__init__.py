"""Canonical contracts: the event models, the subgraph SDL snapshots and the supergraph.

``SDL_DIR`` holds each subgraph's reviewed SDL (``<name>.graphql``) and ``SUPERGRAPH_PATH``
the supergraph composed from them at the default ports (``crossdock compose`` writes it).
"""

from pathlib import Path

__all__ = ["SDL_DIR", "SUPERGRAPH_PATH"]

SDL_DIR = Path(__file__).parent / "sdl"
SUPERGRAPH_PATH = Path(__file__).parent / "supergraph.graphql"
