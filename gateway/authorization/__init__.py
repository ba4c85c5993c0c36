"""The federation auth directives enforced before planning (docs/auth.md, "Directives").

``@authenticated``, ``@requiresScopes`` and ``@policy``, read out of the supergraph by
``gateway.supergraph`` (``Supergraph.authorization``), decide per request which fields its
identity may see; :class:`Authorizer` takes the others out of the operation (or refuses the
request, in ``reject`` mode) with an ``UNAUTHORIZED_FIELD_OR_TYPE`` error each, and the engine
plans what is left and shapes the response to the client's operation with those fields null.
"""

from gateway.authorization._authorizer import Authorizer, PolicyQuestion, check_startup
from gateway.authorization._deferred import UnauthorizedInParts
from gateway.authorization._filter import MAX_ERRORS, UNAUTHORIZED, Filtered, filter_operation
from gateway.authorization._policy import AuthorizationSetupError, PolicyHook, PolicyHookError
from gateway.authorization._responses import each_with_unauthorized, with_unauthorized

__all__ = [
    "MAX_ERRORS",
    "UNAUTHORIZED",
    "AuthorizationSetupError",
    "Authorizer",
    "Filtered",
    "PolicyHook",
    "PolicyHookError",
    "PolicyQuestion",
    "UnauthorizedInParts",
    "check_startup",
    "each_with_unauthorized",
    "filter_operation",
    "with_unauthorized",
]
