"""Operation features over the ``requires`` graph: ``@skip``/``@include`` with variables,
variables and their defaults, aliases (one field twice with other arguments), fragments."""

from __future__ import annotations

from tests.gateway.conformance.case import Case, Query
from tests.gateway.conformance.cases import requires

_SKIPPED = (
    "query Q($withEstimate: Boolean!, $skipDims: Boolean = true) "
    "{ products { upc shippingEstimate @include(if: $withEstimate) "
    "dims @skip(if: $skipDims) { size } } }"
)

CASE = Case(
    name="operations",
    sdls=requires.CASE.sdls,
    build=requires.build,
    queries=(
        Query(
            "@include false and @skip by a defaulted variable: no fetch for skipped fields",
            _SKIPPED,
            {"data": {"products": [{"upc": "p1"}, {"upc": "p2"}]}},
            fetches=1,
            variables={"withEstimate": False},
        ),
        Query(
            "@include true and @skip false",
            _SKIPPED,
            {
                "data": {
                    "products": [
                        {"upc": "p1", "shippingEstimate": 123, "dims": {"size": 3}},
                        {"upc": "p2", "shippingEstimate": 16, "dims": {"size": 1}},
                    ]
                }
            },
            fetches=2,
            variables={"withEstimate": True, "skipDims": False},
        ),
        Query(
            "one field twice with other arguments, a variable default in a fragment",
            'query W($unit: String = "g") { products { kg: weight(unit: "kg") ...F upc } } '
            "fragment F on Product { grams: weight(unit: $unit) }",
            {
                "data": {
                    "products": [
                        {"kg": 2, "grams": 2000, "upc": "p1"},
                        {"kg": 1, "grams": 1000, "upc": "p2"},
                    ]
                }
            },
            fetches=1,
            apollo_fetches=1,
        ),
        Query(
            "operation picked by name; __typename at the root needs no fetch",
            "query A { __typename } query B { products { upc } }",
            {"data": {"__typename": "Query"}},
            fetches=0,
            operation_name="A",
        ),
    ),
)
