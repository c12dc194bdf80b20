"""Structs declared by annotated classes (primitives.types.scale_struct): each field once, its
annotation the codec, `Named` where metadata shows a Rust type name other than the codec's own."""
from __future__ import annotations

import dataclasses

import pytest

from primitives.scale import U16, U64, Bytes, Compact, Struct, Vec
from primitives.types import Named, annotated_fields, scale_struct

C64 = Compact(U64)


@scale_struct("demo::Entry", values="dict", params=(("T", U16),), docs=("An entry.",))
class Entry:
    id: U16
    amount: Named(C64, "Compact<Balance>")
    class_: Bytes


@scale_struct("demo::Item")
class Item:
    id: U16
    tags: Vec(Bytes)


def test_dict_struct_is_the_codec_with_the_declared_fields():
    assert isinstance(Entry, Struct) and Entry.cls is None
    assert Entry.path == ("demo", "Entry") and Entry.params == (("T", U16),) and Entry.docs == ("An entry.",)
    assert [(f.name, f.codec, f.type_name) for f in Entry.fields] == [
        ("id", U16, "u16"), ("amount", C64, "Compact<Balance>"), ("class", Bytes, "Vec<u8>")]
    value = {"id": 7, "amount": 2**40, "class": b"x"}
    encoded = Entry.encode(value)
    assert encoded == U16.encode(7) + C64.encode(2**40) + Bytes.encode(b"x")
    assert Entry.decode(encoded) == value


def test_dataclass_struct_keeps_the_class_and_decodes_to_it():
    assert dataclasses.is_dataclass(Item) and Item.codec.cls is Item
    item = Item(3, [b"a", b"bc"])
    assert Item.codec.decode(Item.codec.encode(item)) == item


def test_annotated_fields_refuse_a_python_type():
    @dataclasses.dataclass
    class Plain:
        id: int

    with pytest.raises(TypeError, match="not a codec"):
        annotated_fields(Plain)


def test_values_must_be_dict_or_dataclass():
    with pytest.raises(ValueError):
        scale_struct("demo::X", values="tuple")
