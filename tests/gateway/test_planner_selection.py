"""Subgraph selections: fields of one key and different types are aliased apart, and back."""

from __future__ import annotations

from gateway.executor import restore_keys
from gateway.planner._selection import SubSelection, separate_conflicts


def _accounts() -> SubSelection:
    selection = SubSelection()
    selection.typename()
    selection.fragment("User").field("id", "id", (), "ID!")
    selection.fragment("Admin").field("id", "id", (), "ID")
    selection.fragment("Admin").field("name", "name", (), "String")
    return selection


def test_fields_of_one_key_and_two_types_are_aliased_apart() -> None:
    selection = _accounts()
    assert separate_conflicts(selection) == {"id__Admin": "id"}
    assert selection.text() == "{__typename ...on User{id} ...on Admin{name id__Admin:id}}"


def test_fields_of_one_key_and_one_type_stay_as_they_are() -> None:
    selection = SubSelection()
    selection.fragment("User").field("name", "name", (), "String")
    selection.fragment("Admin").field("name", "name", (), "String")
    assert separate_conflicts(selection) == {}


def test_conflicts_below_fields_the_subgraph_merges_are_found() -> None:
    selection = SubSelection()
    for owner in ("User", "Admin"):
        similar = selection.fragment(owner).field("similar", "similar", (), "[Account!]!").sub()
        similar.fragment(owner).field("id", "id", (), "ID!" if owner == "User" else "ID")
    assert separate_conflicts(selection) == {"id__Admin": "id"}


def test_the_executor_puts_aliased_fields_back() -> None:
    data = {"accounts": [{"__typename": "Admin", "id__Admin": "a1", "more": [{"id__Admin": "a2"}]}]}
    restore_keys(data, {"id__Admin": "id"})
    assert data == {"accounts": [{"__typename": "Admin", "id": "a1", "more": [{"id": "a2"}]}]}
