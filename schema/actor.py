"""Who acts: the caller a subgraph verified, as the graph's own rules read it (docs/auth.md).

The gateway's ``Identity`` is any token's claims; an :class:`Actor` is what our graph makes of
them: the scopes of ``docs/auth.md`` and the CRM account a customer's token is bound to. The
subgraphs build one per request; the orchestration records it on the orders it writes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCOPES", "SYSTEM", "Actor"]

# The scopes of our graph (docs/auth.md).
SCOPES = ("orders:read", "orders:write", "returns:write", "accounts:read", "staff")


@dataclass(frozen=True, slots=True)
class Actor:
    """A verified caller. ``account_id`` set and not ``staff``: it sees and acts for that one
    CRM account only. ``restricted`` False: auth is off (every account, as before identity)."""

    subject: str | None
    scopes: frozenset[str]
    account_id: str | None
    restricted: bool = True

    @property
    def staff(self) -> bool:
        return "staff" in self.scopes

    @property
    def account_scope(self) -> str | None:
        """The one account this actor is limited to, or None when it may see every account.

        A restricted non-staff actor without an ``account_id`` is limited to no account at
        all: the empty string, which matches no record.
        """
        if not self.restricted or self.staff:
            return None
        return self.account_id or ""

    def may_see(self, account_id: str | None) -> bool:
        """Whether a record of ``account_id`` may be shown to (or changed for) this actor."""
        scope = self.account_scope
        # Limited to no account (""), nothing is its own: not even a record whose account
        # is the empty string.
        return scope is None or (bool(account_id) and account_id == scope)


SYSTEM = Actor(subject=None, scopes=frozenset(), account_id=None, restricted=False)
"""Auth off, or the graph's own work (consumers, seeding): every account."""
