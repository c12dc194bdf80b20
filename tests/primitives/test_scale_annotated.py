"""Dataclass codecs from annotations: a struct's or event's field is declared once, its annotation the codec."""
from __future__ import annotations

import dataclasses

import pytest

from primitives.scale import U16, U64, Bytes, Vec, struct_of


@dataclasses.dataclass
class Entry:
    id: U16
    data: Bytes
    amounts: Vec(U64)


@dataclasses.dataclass
class Plain:
    id: int


def test_annotations_are_the_codecs():
    codec = struct_of(Entry, "test::Entry")
    assert [(f.name, f.type_name) for f in codec.fields] == [("id", "u16"), ("data", "Vec<u8>"),
                                                             ("amounts", "Vec<u64>")]
    value = Entry(7, b"ab", [1, 2**40])
    raw = codec.encode(value)
    assert raw == b"\x07\x00" + b"\x08ab" + b"\x08" + (1).to_bytes(8, "little") + (2**40).to_bytes(8, "little")
    assert codec.decode(raw) == value


def test_a_python_type_annotation_is_refused():
    with pytest.raises(TypeError, match="Plain.id"):
        struct_of(Plain, "test::Plain")
