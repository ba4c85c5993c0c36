"""The Apollo Federation v2 gateway: supergraph, composition, planning, execution, serving."""
