"""The CRM subgraph's schema: root fields ``account`` and ``accounts``, and its entities."""

from __future__ import annotations

import strawberry

from connectors.crm.records import AccountRecord
from subgraphs.common.access import ACCOUNTS
from subgraphs.common.cost import PAGE
from subgraphs.common.errors import BadUserInput
from subgraphs.common.federation import SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.common.relay import Connection, PageRequest, build_connection, page_request
from subgraphs.crm.types import Account, Activity, Case, Contact, Info, Order, load_account

__all__ = ["EXAMPLE_QUERY", "MAX_SEARCH_LENGTH", "Query", "schema"]

MAX_SEARCH_LENGTH = 100


def _search_term(search: str | None) -> str | None:
    if search is None or not search.strip():
        return None
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"search must be at most {MAX_SEARCH_LENGTH} characters")
    return search.strip()


def _matches(account: AccountRecord, term: str | None) -> bool:
    """Whether ``term`` finds ``account`` as the CRM's search does (in name or number)."""
    if term is None:
        return True
    needle = term.casefold()
    return needle in account.name.casefold() or needle in account.number.casefold()


async def _own_account(
    info: Info, account_id: str, page: PageRequest, term: str | None
) -> Connection[Account]:
    """``accounts`` for a customer: its own account, a list of one (or none), paged alike."""
    record = await info.context.loaders.account.load(account_id) if account_id else None
    found = [] if record is None or not _matches(record, term) else [record]
    nodes = [Account.from_record(r) for r in found[page.offset : page.offset + page.limit]]
    return build_connection(nodes, offset=page.offset, total=len(found))


@strawberry.type
class Query:
    @described("The account with this CRM Id, or null if there is none.", directives=ACCOUNTS)
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        return await load_account(info, str(id))

    @described(
        "Accounts by account number; search matches name or number.", directives=[PAGE, *ACCOUNTS]
    )
    async def accounts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Account] | None:
        page = page_request(first, after)
        term = _search_term(search)
        scope = info.context.actor.account_scope
        if scope is not None:
            return await _own_account(info, scope, page, term)
        result = await info.context.client.account_page(
            offset=page.offset, limit=page.limit, search=term
        )
        for record in result.accounts:
            info.context.loaders.account.prime(record.id, record)
        nodes = [Account.from_record(record) for record in result.accounts]
        return build_connection(nodes, offset=page.offset, total=result.total)


schema: SubgraphSchema = federation_schema(Query, types=[Account, Activity, Case, Contact, Order])

EXAMPLE_QUERY = """\
{
  accounts(first: 3) {
    totalCount
    edges { node { id name segment tier cases(open: true) { caseNumber subject status } } }
  }
}
"""
"""What GraphiQL opens on for a first-time visitor of this subgraph."""
