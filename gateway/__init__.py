"""The Apollo Federation v2 gateway: supergraph, composition, planning, execution, serving.

Packages, in the order a request meets them:

- ``gateway.supergraph``: a supergraph SDL (join v0.1-v0.5) parsed into an immutable model
  (which subgraph resolves which type and field, keys, requires, provides, overrides) and the
  API schema clients validate and introspect against;
- ``gateway.planner``: an operation planned into ``Fetch``/``Flatten``/``Sequence``/``Parallel``
  nodes, cached by document and operation name;
- ``gateway.executor``: a plan run against the subgraphs (one pooled HTTP client per subgraph,
  one deduplicated ``_entities`` call per ``Flatten``), merged and shaped as the client asked;
  a subscription is opened on its subgraph over one shared graphql-transport-ws connection
  and each event finished with the rest of its plan;
- ``gateway.authorization``: the auth directives (``@authenticated``, ``@requiresScopes``,
  ``@policy``) enforced before planning: the fields a request's identity may not see taken
  out, answered null with ``UNAUTHORIZED_FIELD_OR_TYPE`` errors;
- ``gateway.demand``: demand control, each operation's cost estimated from the supergraph
  before any fetch (refused over its maximum) and each response's actual cost;
- ``gateway.engine``: parse, validate, limits, variables, plan and execute for one request
  (``execute``), or a stream of responses for a subscription (``stream``);
- ``gateway.documents``: the text a request runs when it names a persisted query (APQ) or a
  trusted document by id, and, with a manifest, whether it may run at all;
- ``gateway.server``: the Starlette app (``POST``/``GET /graphql``, GraphiQL, ``/health``,
  ``/ready``) with supergraph reloading.
"""

from gateway.engine import Gateway, RequestOutcome, StreamOutcome
from gateway.limits import Limits

__all__ = ["Gateway", "Limits", "RequestOutcome", "StreamOutcome"]
