"""The supergraph: Apollo's ``@join__*`` SDL parsed into an immutable model and an API schema."""

from gateway.supergraph._auth import NO_AUTHORIZATION, AnyOf, Authorization, Requirement
from gateway.supergraph._links import LinkedSpec, SpecNames, resolve_spec_names
from gateway.supergraph._model import (
    EntityKey,
    FieldInfo,
    FieldSource,
    ListSize,
    Subgraph,
    Supergraph,
    TypeInfo,
    TypeKind,
    TypeSource,
    label_enabled,
)
from gateway.supergraph._parse import SupergraphError, parse_supergraph

__all__ = [
    "NO_AUTHORIZATION",
    "AnyOf",
    "Authorization",
    "EntityKey",
    "FieldInfo",
    "FieldSource",
    "LinkedSpec",
    "ListSize",
    "Requirement",
    "SpecNames",
    "Subgraph",
    "Supergraph",
    "SupergraphError",
    "TypeInfo",
    "TypeKind",
    "TypeSource",
    "label_enabled",
    "parse_supergraph",
    "resolve_spec_names",
]
