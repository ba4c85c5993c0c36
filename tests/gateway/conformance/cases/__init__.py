"""The conformance cases, one module per planning topic."""

from tests.gateway.conformance.case import Case
from tests.gateway.conformance.cases import (
    abstract,
    entities,
    errors,
    inaccessible,
    mutations,
    operations,
    override,
    provides,
    requires,
)

ALL_CASES: tuple[Case, ...] = (
    entities.CASE,
    requires.CASE,
    provides.CASE,
    abstract.CASE,
    override.CASE,
    inaccessible.CASE,
    mutations.CASE,
    operations.CASE,
    errors.CASE,
)
