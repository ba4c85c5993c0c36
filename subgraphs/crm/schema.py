"""The CRM subgraph's schema: root fields ``account`` and ``accounts``, and its entities."""

from __future__ import annotations

import strawberry

from subgraphs.common.cost import PAGE
from subgraphs.common.errors import BadUserInput
from subgraphs.common.federation import SubgraphSchema, federation_schema
from subgraphs.common.fields import described
from subgraphs.common.relay import Connection, build_connection, page_request
from subgraphs.crm.types import Account, Activity, Case, Contact, Info, Order, load_account

__all__ = ["EXAMPLE_QUERY", "MAX_SEARCH_LENGTH", "Query", "schema"]

MAX_SEARCH_LENGTH = 100


def _search_term(search: str | None) -> str | None:
    if search is None or not search.strip():
        return None
    if len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"search must be at most {MAX_SEARCH_LENGTH} characters")
    return search.strip()


@strawberry.type
class Query:
    @described("The account with this CRM Id, or null if there is none.")
    async def account(self, info: Info, id: strawberry.ID) -> Account | None:
        return await load_account(info, str(id))

    @described("Accounts by account number; search matches name or number.", directives=[PAGE])
    async def accounts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> Connection[Account] | None:
        page = page_request(first, after)
        result = await info.context.client.account_page(
            offset=page.offset, limit=page.limit, search=_search_term(search)
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
