"""Representations cut from fetched data, and merging, for the executor."""

from __future__ import annotations

from gateway.executor import representation
from gateway.planner import RepField, RepSelection

_KEY = RepSelection(
    fields=(RepField("__typename", None, "__typename"), RepField("id", None, "id")),
    keys=("id",),
)


def test_a_representation_is_cut_to_its_shape() -> None:
    obj = {"__typename": "Book", "id": "b1", "title": "Dune"}
    assert representation(obj, _KEY) == {"__typename": "Book", "id": "b1"}


def test_a_null_key_gives_no_representation() -> None:
    assert representation({"__typename": "Book", "id": None}, _KEY) is None


def test_a_representation_for_an_interface_object_is_typed_by_the_interface() -> None:
    shape = RepSelection(fields=_KEY.fields, keys=_KEY.keys, as_type="Media")
    obj = {"__typename": "Book", "id": "b1"}
    assert representation(obj, shape) == {"__typename": "Media", "id": "b1"}
    assert obj["__typename"] == "Book"  # the data keeps the object's own type


def test_a_required_field_is_read_from_its_aliased_response_key() -> None:
    shape = RepSelection(
        fields=(*_KEY.fields, RepField("price", None, "_price_00000000")), keys=("id",)
    )
    obj = {"__typename": "Book", "id": "b1", "price": "a client alias", "_price_00000000": 3}
    assert representation(obj, shape) == {"__typename": "Book", "id": "b1", "price": 3}
