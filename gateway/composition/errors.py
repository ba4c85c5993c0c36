"""Composition errors: what is wrong, in which subgraph, at which schema coordinate."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CompositionError", "CompositionFailed"]


class CompositionError(Exception):
    """One problem that prevents composing a supergraph (codes follow Apollo's)."""

    def __init__(
        self, code: str, message: str, *, subgraph: str | None = None, coordinate: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subgraph = subgraph
        self.coordinate = coordinate

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"subgraph {self.subgraph}" if self.subgraph else "",
                self.coordinate or "",
            )
            if part
        )
        return f"[{self.code}] {self.message}" + (f" ({where})" if where else "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompositionError) and (
            (self.code, self.message, self.subgraph, self.coordinate)
            == (other.code, other.message, other.subgraph, other.coordinate)
        )

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.subgraph, self.coordinate))


class CompositionFailed(Exception):
    """Raised by :func:`gateway.composition.compose` with every error found."""

    def __init__(self, errors: Sequence[CompositionError]) -> None:
        self.errors = tuple(errors)
        super().__init__("composition failed:\n" + "\n".join(f"  {e}" for e in self.errors))
