"""Orchestration: the order workflows across ERP, CRM and WMS, behind ``OrdersService``.

``submitOrder`` (plan, reserve, create, release; compensated), ``cancelOrder``,
``requestReturn`` and ``receiveReturn`` (forward-only) run as journaled workflows, once per
idempotency key; ``promiseOrder`` is the planning half of a submission, without side effects.
Every operation is asked by an ``Actor`` (``schema.actor``): ``authority`` says what it may do,
scopes its idempotency keys and names it in the journal and the systems' audit fields.
Modules: ``records`` (vocabulary), ``allocation`` (pure ATP split), ``planning`` (reads),
``systems`` (typed system calls over ``connectors``), ``settings``, ``authority``, ``journal``,
``idempotency``, ``workflow``, ``steplog``, and one module per workflow.
"""

from resolvers.authority import Forbidden
from resolvers.journal import WorkflowJournal, WorkflowState, create_journal
from resolvers.service import OrdersService, Promise
from resolvers.settings import OrdersSettings, WorkflowSettings
from resolvers.submit import WorkflowFailed

__all__ = [
    "Forbidden",
    "OrdersService",
    "OrdersSettings",
    "Promise",
    "WorkflowFailed",
    "WorkflowJournal",
    "WorkflowSettings",
    "WorkflowState",
    "create_journal",
]
