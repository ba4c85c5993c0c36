"""The return operations' inputs and payload: ``requestReturn`` and ``receiveReturn``."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet

from resolvers.returns import ReturnResult
from subgraphs.erp.enums import ReturnAuthorizationStatus, ReturnReason
from subgraphs.orders.types import OrderUserError
from subgraphs.wms.enums import ReturnDisposition

__all__ = [
    "CreditMemo",
    "ReceiveReturnInput",
    "RequestReturnInput",
    "ReturnAuthorization",
    "ReturnPayload",
]


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)], description="An ERP return (RMA)."
)
class ReturnAuthorization:
    id: strawberry.ID


@strawberry.federation.type(
    keys=[Key(fields=FieldSet("id"), resolvable=False)], description="An ERP credit memo."
)
class CreditMemo:
    id: strawberry.ID


@strawberry.input(description="A product to send back, how many, and why.")
class ReturnLineInput:
    sku: str
    quantity: int
    reason: ReturnReason


@strawberry.input(description="Lines of a shipped order the customer wants to return.")
class RequestReturnInput:
    order_id: strawberry.ID
    lines: list[ReturnLineInput]

    def body(self) -> dict[str, Any]:
        return {
            "orderId": str(self.order_id).strip(),
            "lines": [
                {"sku": x.sku.strip(), "quantity": x.quantity, "reason": x.reason.value}
                for x in self.lines
            ],
        }


@strawberry.input(description="How many of a product came back, and what the dock did with it.")
class ReceivedLineInput:
    sku: str
    quantity: int
    disposition: ReturnDisposition


@strawberry.input(description="What a distribution center received against a return.")
class ReceiveReturnInput:
    return_authorization_id: strawberry.ID
    lines: list[ReceivedLineInput]

    def body(self) -> dict[str, Any]:
        return {
            "returnAuthorizationId": str(self.return_authorization_id).strip(),
            "lines": [
                {"sku": x.sku.strip(), "quantity": x.quantity, "disposition": x.disposition.value}
                for x in self.lines
            ],
        }


@strawberry.type(description="Where a return stands after the operation.")
class ReturnPayload:
    return_authorization: ReturnAuthorization | None
    status: ReturnAuthorizationStatus | None
    decline_reason: str | None = strawberry.field(
        description="Why the ERP declined the return (e.g. RETURN_WINDOW_EXPIRED)."
    )
    credit_memo: CreditMemo | None
    user_errors: list[OrderUserError]

    @classmethod
    def of(cls, result: ReturnResult) -> ReturnPayload:
        ra, memo = result.return_authorization_id, result.credit_memo_id
        return cls(
            return_authorization=ReturnAuthorization(id=strawberry.ID(ra)) if ra else None,
            status=ReturnAuthorizationStatus(result.status) if result.status else None,
            decline_reason=result.decline_reason,
            credit_memo=CreditMemo(id=strawberry.ID(memo)) if memo else None,
            user_errors=[OrderUserError.of(x) for x in result.user_errors],
        )
