"""SCALE codec: hypothesis round trips, and the `scalecodec` package as an oracle."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from scalecodec.base import RuntimeConfigurationObject, ScaleBytes
from scalecodec.type_registry import load_type_registry_preset

from primitives.scale import (
    U8, U16, U32, U64, U128, I8, I16, I32, I64, I128, Bool, Bytes, Compact, Enum, Field, FixedBytes, Option,
    ScaleError, Str, Struct, Variant, Vec, decode_compact, encode_compact, tuple_of,
)

RC = RuntimeConfigurationObject()
RC.update_type_registry(load_type_registry_preset("core"))


def oracle_encode(type_string: str, value) -> bytes:
    return bytes(RC.create_scale_object(type_string).encode(value).data)


def oracle_decode(type_string: str, data: bytes):
    obj = RC.create_scale_object(type_string, data=ScaleBytes(data))
    return obj.decode(check_remaining=True)


INTS = [(U8, "u8"), (U16, "u16"), (U32, "u32"), (U64, "u64"), (U128, "u128"),
        (I8, "i8"), (I16, "i16"), (I32, "i32"), (I64, "i64"), (I128, "i128")]


@pytest.mark.parametrize("codec,name", INTS, ids=[n for _, n in INTS])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_integers_match_scalecodec(codec, name, data):
    value = data.draw(st.integers(codec.min, codec.max))
    encoded = codec.encode(value)
    assert encoded == oracle_encode(name, value)
    assert codec.decode(encoded) == value == oracle_decode(name, encoded)


@pytest.mark.parametrize("inner,name", [(U8, "u8"), (U16, "u16"), (U32, "u32"), (U64, "u64"), (U128, "u128")])
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_compact_matches_scalecodec(inner, name, data):
    value = data.draw(st.one_of(st.integers(0, 2**6), st.integers(0, 2**14 + 5), st.integers(0, 2**30 + 5),
                                st.integers(0, inner.max)).filter(lambda v: v <= inner.max))
    codec = Compact(inner)
    encoded = codec.encode(value)
    assert encoded == oracle_encode(f"Compact<{name}>", value)
    assert codec.decode(encoded) == value


@pytest.mark.parametrize("value,expected", [
    (0, "00"), (1, "04"), (63, "fc"), (64, "0101"), (16383, "fdff"), (16384, "02000100"),
    (2**30 - 1, "feffffff"), (2**30, "0300000040"), (10**12, "070010a5d4e8"), (2**128 - 1, "33" + "ff" * 16),
])
def test_compact_known_answers(value, expected):
    assert encode_compact(value).hex() == expected
    assert decode_compact(bytes.fromhex(expected), 0) == (value, len(expected) // 2)


@pytest.mark.parametrize("raw", ["0100", "02000000", "0300000000", "07000000000000"])
def test_compact_rejects_non_canonical(raw):
    with pytest.raises(ScaleError):
        decode_compact(bytes.fromhex(raw), 0)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), st.text(max_size=50), st.lists(st.integers(0, 2**32 - 1), max_size=20),
       st.one_of(st.none(), st.integers(0, 2**64 - 1)), st.booleans())
def test_composites_match_scalecodec(blob, text, numbers, maybe, flag):
    assert Bytes.encode(blob) == oracle_encode("Bytes", "0x" + blob.hex())
    assert Str.encode(text) == oracle_encode("String", text)
    assert Vec(U32).encode(numbers) == oracle_encode("Vec<u32>", numbers)
    assert Option(U64).encode(maybe) == oracle_encode("Option<u64>", maybe)
    assert Bool.encode(flag) == oracle_encode("bool", flag)
    assert tuple_of(U32, Bytes).encode((7, blob)) == oracle_encode("(u32, Bytes)", (7, "0x" + blob.hex()))
    for codec, value in ((Bytes, blob), (Str, text), (Vec(U32), numbers), (Option(U64), maybe), (Bool, flag)):
        assert codec.decode(codec.encode(value)) == value


POINT = Struct("test::Point", [Field("x", U32), Field("y", Compact(U128)), Field("tag", FixedBytes(4))])
SHAPE = Enum("test::Shape", [Variant("Empty", 0), Variant("Dot", 1, (Field(None, U16),)),
                             Variant("Pair", 2, (Field(None, U8), Field(None, Bool))),
                             Variant("Named", 5, (Field("a", U32), Field("b", Vec(U8))))])

shapes = st.one_of(
    st.just("Empty"),
    st.tuples(st.just("Dot"), st.integers(0, 2**16 - 1)),
    st.tuples(st.just("Pair"), st.tuples(st.integers(0, 255), st.booleans())),
    st.tuples(st.just("Named"), st.fixed_dictionaries({"a": st.integers(0, 2**32 - 1), "b": st.binary(max_size=40)})),
)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**128 - 1), st.binary(min_size=4, max_size=4), shapes)
def test_struct_and_enum_round_trip(x, y, tag, shape):
    point = {"x": x, "y": y, "tag": tag}
    assert POINT.decode(POINT.encode(point)) == point
    assert SHAPE.decode(SHAPE.encode(shape)) == shape


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_never_crashes_decoders(garbage):
    for codec in (POINT, SHAPE, Vec(SHAPE), Str, Option(Vec(U128)), Compact(U128)):
        try:
            codec.decode(garbage)
        except ScaleError:
            pass


@pytest.mark.parametrize("codec,value", [(U8, 256), (U8, -1), (U32, "1"), (Bool, 1), (FixedBytes(4), b"abc"),
                                         (Compact(U32), 2**32), (SHAPE, ("Nope", None)), (Vec(U8), [1, 2])])
def test_encode_rejects_bad_values(codec, value):
    with pytest.raises(ScaleError):
        codec.encode(value)


_U128S = st.one_of(st.integers(0, 2**64 + 5), st.integers(0, 2**128 - 1))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
       _U128S, _U128S, _U128S, _U128S)
def test_account_info_fast_path_equals_the_declared_struct(nonce, consumers, providers, sufficients,
                                                            free, reserved, frozen, flags):
    from primitives.types import AccountData, AccountInfo, AccountInfoType

    info = AccountInfo(nonce, consumers, providers, sufficients, AccountData(free, reserved, frozen, flags))
    generic = {"nonce": nonce, "consumers": consumers, "providers": providers, "sufficients": sufficients,
               "data": {"free": free, "reserved": reserved, "frozen": frozen, "flags": flags}}
    encoded = AccountInfoType.encode(info)
    assert encoded == AccountInfoType.encode(generic)          # the Struct path, field by field
    assert AccountInfoType.decode(encoded) == info


@pytest.mark.parametrize("field, value", [
    ("nonce", -1), ("nonce", 2**32), ("free", -1), ("free", 2**128), ("flags", 2**128), ("reserved", 1.5),
])
def test_account_info_out_of_range_is_a_scale_error(field, value):
    from primitives.types import AccountData, AccountInfo, AccountInfoType

    info = AccountInfo()
    setattr(info.data if field in ("free", "reserved", "frozen", "flags") else info, field, value)
    with pytest.raises(ScaleError):
        AccountInfoType.encode(info)
    with pytest.raises(ScaleError):
        AccountInfoType.decode(AccountInfoType.encode(AccountInfo(data=AccountData()))[:79])
