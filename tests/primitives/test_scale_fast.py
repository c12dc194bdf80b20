"""The compiled SCALE fast paths (primitives/scale/fast.py) against a straightforward reference.

The reference here encodes and decodes from nothing but each codec's scale-info description
(`type_def`: primitive, compact, sequence, array, tuple, composite, variant), one field at a time,
as the SCALE spec reads. Values are generated from the same description, for representative
types: synthetic structs covering every fixed-width field kind, the market's storage types, the
account types (a Struct subclass with its own fast codec), MultiAddress, and the runtime's
RuntimeCall and RuntimeEvent enums. For each value the codec's bytes must equal the reference's,
decode back to the value, and a corrupted encoding must be rejected by both or decode alike.
"""
from __future__ import annotations

import dataclasses
import enum

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from primitives.scale import (
    U8, U16, U32, U64, U128, U256, I8, I16, I32, I64, I128, Array, Bool, Bytes, Codec, Compact, Enum, Field,
    FixedBytes, Lazy, Option, ScaleError, Str, Struct, Variant, Vec, struct_of, tuple_of,
)
from primitives.scale.codec import Compiled
from primitives.types import AccountDataType, AccountId, AccountInfoType, MultiAddress

# --- the reference -----------------------------------------------------------------------------

INT_BITS = {f"{s}{b}": (b, s == "i") for s in "ui" for b in (8, 16, 32, 64, 128, 256)}


class RefError(Exception):
    """The reference rejects the bytes."""


def ref_compact(n: int) -> bytes:
    if n < 1 << 6:
        return bytes([n << 2])
    if n < 1 << 14:
        return (n << 2 | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return (n << 2 | 2).to_bytes(4, "little")
    raw = n.to_bytes((n.bit_length() + 7) // 8, "little")
    return bytes([(len(raw) - 4) << 2 | 3]) + raw


def target(codec: Codec) -> Codec:
    return codec.target if isinstance(codec, Lazy) else codec


def field_value(codec: Struct, value, f: Field):
    return getattr(value, f.attribute) if codec.cls is not None else value[f.name]


def ref_encode(codec: Codec, value) -> bytes:
    codec = target(codec)
    kind, spec = codec.type_def()
    if kind == "primitive":
        if spec == "bool":
            return b"\x01" if value else b"\x00"
        if spec == "str":
            raw = value.encode()
            return ref_compact(len(raw)) + raw
        bits, signed = INT_BITS[spec]
        return value.to_bytes(bits // 8, "little", signed=signed)
    if kind == "compact":
        return ref_compact(value)
    if kind == "sequence":
        if spec is U8:
            return ref_compact(len(value)) + bytes(value)
        return ref_compact(len(value)) + b"".join(ref_encode(spec, v) for v in value)
    if kind == "array":
        length, inner = spec
        if inner is U8:
            return bytes(value)
        return b"".join(ref_encode(inner, v) for v in value)
    if kind == "tuple":
        return b"".join(ref_encode(c, v) for c, v in zip(spec, value))
    if kind == "composite":
        if len(spec) == 1 and spec[0].name is None:
            return ref_encode(spec[0].codec, value)
        return b"".join(ref_encode(f.codec, field_value(codec, value, f)) for f in spec)
    assert kind == "variant"
    if codec.path == ("Option",):
        return b"\x00" if value is None else b"\x01" + ref_encode(spec[1][2][0].codec, value)
    for name, index, fields, _ in spec:
        cls = codec.variant(name).cls
        if cls is not None and type(value) is cls:
            return bytes([index]) + b"".join(ref_encode(f.codec, getattr(value, f.attribute)) for f in fields)
        if value == name:
            return bytes([index])
        if isinstance(value, tuple) and value[0] == name:
            payload = value[1]
            if len(fields) == 1 and fields[0].name is None:
                return bytes([index]) + ref_encode(fields[0].codec, payload)
            if fields[0].name is None:
                return bytes([index]) + b"".join(ref_encode(f.codec, v) for f, v in zip(fields, payload))
            return bytes([index]) + b"".join(ref_encode(f.codec, payload[f.name]) for f in fields)
    raise AssertionError(f"{codec!r}: no variant for {value!r}")


def take(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
    if pos + n > len(data):
        raise RefError("short")
    return data[pos:pos + n], pos + n


def ref_decode_compact(data: bytes, pos: int) -> tuple[int, int]:
    first, _ = take(data, pos, 1)
    mode = first[0] & 3
    size = {0: 1, 1: 2, 2: 4}.get(mode, (first[0] >> 2) + 5)
    raw, end = take(data, pos, size)
    if mode < 3:
        n = int.from_bytes(raw, "little") >> 2
        low = {0: 0, 1: 1 << 6, 2: 1 << 14}[mode]
    else:
        n, low = int.from_bytes(raw[1:], "little"), 1 << 30
        if raw[-1] == 0 and size > 5:
            raise RefError("non-canonical")
    if n < low:
        raise RefError("non-canonical")
    return n, end


def ref_decode(codec: Codec, data: bytes, pos: int):
    codec = target(codec)
    kind, spec = codec.type_def()
    if kind == "primitive":
        if spec == "bool":
            raw, pos = take(data, pos, 1)
            if raw[0] > 1:
                raise RefError("bool")
            return raw[0] == 1, pos
        if spec == "str":
            n, pos = ref_decode_compact(data, pos)
            raw, pos = take(data, pos, n)
            try:
                return raw.decode(), pos
            except UnicodeDecodeError:
                raise RefError("utf-8") from None
        bits, signed = INT_BITS[spec]
        raw, pos = take(data, pos, bits // 8)
        return int.from_bytes(raw, "little", signed=signed), pos
    if kind == "compact":
        n, pos = ref_decode_compact(data, pos)
        if n > codec.inner.max:
            raise RefError("compact range")
        return n, pos
    if kind in ("sequence", "array"):
        if kind == "sequence":
            inner = spec
            n, pos = ref_decode_compact(data, pos)
            if n > len(data) - pos:  # every element here takes at least a byte
                raise RefError("length")
        else:
            n, inner = spec
        if inner is U8:
            return take(data, pos, n)
        items = []
        for _ in range(n):
            item, pos = ref_decode(inner, data, pos)
            items.append(item)
        return items, pos
    if kind == "tuple":
        items = []
        for c in spec:
            item, pos = ref_decode(c, data, pos)
            items.append(item)
        return tuple(items), pos
    if kind == "composite":
        if len(spec) == 1 and spec[0].name is None:
            return ref_decode(spec[0].codec, data, pos)
        values = []
        for f in spec:
            item, pos = ref_decode(f.codec, data, pos)
            values.append(item)
        if codec.cls is not None:
            return codec.cls(*values), pos
        return {f.name: v for f, v in zip(spec, values)}, pos
    tag, pos = take(data, pos, 1)
    if codec.path == ("Option",):
        if tag[0] > 1:
            raise RefError("option tag")
        return (None, pos) if tag[0] == 0 else ref_decode(spec[1][2][0].codec, data, pos)
    for name, index, fields, _ in spec:
        if index == tag[0]:
            break
    else:
        raise RefError("variant index")
    values = []
    for f in fields:
        item, pos = ref_decode(f.codec, data, pos)
        values.append(item)
    cls = codec.variant(name).cls
    if cls is not None:
        return cls(*values), pos
    if not fields:
        return name, pos
    if len(fields) == 1 and fields[0].name is None:
        return (name, values[0]), pos
    if fields[0].name is None:
        return (name, tuple(values)), pos
    return (name, {f.name: v for f, v in zip(fields, values)}), pos


def ref_decode_all(codec: Codec, data: bytes):
    value, pos = ref_decode(codec, data, 0)
    if pos != len(data):
        raise RefError("trailing")
    return value


# --- values from the same description ---------------------------------------------------------

_STRATEGIES: dict[tuple[int, int], st.SearchStrategy] = {}


def values(codec: Codec, depth: int = 0) -> st.SearchStrategy:
    key = (id(codec), depth)
    if key not in _STRATEGIES:
        _STRATEGIES[key] = _values(codec, depth)
    return _STRATEGIES[key]


def _values(codec: Codec, depth: int) -> st.SearchStrategy:
    if isinstance(codec, Lazy):
        if depth > 3:
            return st.nothing()
        codec = codec.target
    kind, spec = codec.type_def()
    d = depth + 1
    if kind == "primitive":
        if spec == "bool":
            return st.booleans()
        if spec == "str":
            return st.text(max_size=80)
        bits, signed = INT_BITS[spec]
        low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        return st.one_of(st.integers(low, high), st.sampled_from([low, high, 0, 1, high // 2]))
    if kind == "compact":
        return st.one_of(st.integers(0, codec.inner.max), st.sampled_from([0, 63, 64, 16383, 16384, 2**30 - 1, 2**30]).
                         filter(lambda n: n <= codec.inner.max))
    if kind == "sequence":
        if spec is U8:
            return st.binary(max_size=100)
        return st.lists(values(spec, d), max_size=70 if spec.fixed_atom() else 4)
    if kind == "array":
        length, inner = spec
        if inner is U8:
            return st.binary(min_size=length, max_size=length)
        return st.lists(values(inner, d), min_size=length, max_size=length)
    if kind == "tuple":
        return st.tuples(*(values(c, d) for c in spec))
    if kind == "composite":
        if len(spec) == 1 and spec[0].name is None:
            return values(spec[0].codec, d)
        parts = st.tuples(*(values(f.codec, d) for f in spec))
        if codec.cls is not None:
            return parts.map(lambda vs: codec.cls(*vs))
        return parts.map(lambda vs: {f.name: v for f, v in zip(spec, vs)})
    if codec.path == ("Option",):
        return st.one_of(st.none(), values(spec[1][2][0].codec, d))
    options = []
    for name, _, fields, _ in spec:
        cls = codec.variant(name).cls
        parts = st.tuples(*(values(f.codec, d) for f in fields))
        if cls is not None:
            options.append(parts.map(lambda vs, cls=cls: cls(*vs)))
        elif not fields:
            options.append(st.just(name))
        elif len(fields) == 1 and fields[0].name is None:
            options.append(parts.map(lambda vs, name=name: (name, vs[0])))
        elif fields[0].name is None:
            options.append(parts.map(lambda vs, name=name: (name, vs)))
        else:
            options.append(parts.map(lambda vs, name=name, fields=fields: (name, {f.name: v for f, v in zip(fields, vs)})))
    return st.one_of(*options)


# --- representative types ---------------------------------------------------------------------

@dataclasses.dataclass
class Fixed:
    """Every fixed-width field kind, packed by the compiled code in runs."""
    a: U8
    b: I8
    c: U16
    d: I16
    e: U32
    f: I32
    g: U64
    h: I64
    i: U128
    j: I128
    k: Bool
    who: AccountId
    raw: FixedBytes(3)


@dataclasses.dataclass
class Mixed:
    """Fixed runs broken by variable fields, and the composites."""
    first: U32
    name: Str
    wide: U256
    flag: Bool
    amount: Compact(U128)
    fixed: struct_of(Fixed, "test::Fixed")
    maybe: Option(U64)
    pair: tuple_of(U16, Bytes)
    three: Array(U32, 3)
    shorts: Vec(I16)
    longs: Vec(U64)
    wides: Vec(U128)
    flags: Vec(Bool)
    last: I64


@dataclasses.dataclass(frozen=True)
class Unitish:
    pass


@dataclasses.dataclass(frozen=True)
class Payload:
    x: U32
    who: AccountId


SHAPES = Enum("test::Shapes", [
    Variant("Unit", 0), Variant("One", 1, ((None, U64),)), Variant("Two", 3, ((None, U8), (None, Bytes))),
    Variant("Named", 4, (("x", U32), ("y", Option(Bool)))), Variant("Cls", 7, (("x", U32), ("who", AccountId)), cls=Payload),
    Variant("ClsUnit", 9, (), cls=Unitish), Variant("Nested", 200, ((None, Vec(struct_of(Fixed, "test::Fixed"))),)),
])
DICT_STRUCT = Struct("test::Plain", [Field("x", U32), Field("from", U16), Field("blob", Bytes), Field("flag", Bool)])


def _runtime_types() -> list[tuple[str, Codec]]:
    from runtime.construct import get_runtime
    from runtime.pallets.market import types as market
    from runtime.pallets.system import EventRecord

    rt = get_runtime()
    return [("Bid", market.BidType), ("Provider", market.ProviderType), ("Deployment", market.DeploymentType),
            ("Order", market.OrderType), ("Lease", market.LeaseType), ("Params", market.ParamsType),
            ("Task", market.TaskType), ("EventRecord", EventRecord), ("RuntimeCall", rt.call_enum),
            ("RuntimeEvent", rt.event_enum)]


TYPES = [("Fixed", struct_of(Fixed, "test::Fixed")), ("Mixed", struct_of(Mixed, "test::Mixed")),
         ("Shapes", SHAPES), ("Vec<Shapes>", Vec(SHAPES)), ("dict struct", DICT_STRUCT),
         ("AccountInfo", AccountInfoType), ("AccountData", AccountDataType), ("MultiAddress", MultiAddress),
         ("(u32, AccountId, Option<u128>)", tuple_of(U32, AccountId, Option(U128)))] + _runtime_types()


def _corrupt(raw: bytes, how: int, at: int, byte: int) -> bytes:
    at = at % (len(raw) + 1)
    if how == 0:
        return raw[:at]
    if how == 1:
        return raw + bytes([byte])
    return raw[:at] + bytes([byte]) + raw[at + 1:]


@pytest.mark.parametrize("codec", [c for _, c in TYPES], ids=[n for n, _ in TYPES])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fast_path_bytes_equal_the_reference(codec, data):
    value = data.draw(values(codec), label="value")
    raw = codec.encode(value)
    assert raw == ref_encode(codec, value)
    assert codec.decode(raw) == value
    assert ref_decode_all(codec, raw) == value
    # a corrupted encoding: both reject it, or both decode the same value
    bad = _corrupt(raw, data.draw(st.integers(0, 2)), data.draw(st.integers(0, 1 << 16)), data.draw(st.integers(0, 255)))
    try:
        expected = ref_decode_all(codec, bad)
    except RefError:
        with pytest.raises(ScaleError):
            codec.decode(bad)
    else:
        assert codec.decode(bad) == expected


def test_the_types_under_test_are_compiled():
    """The property above exercises the generated code, not only the reference methods."""
    for name, codec in TYPES:
        if isinstance(codec, Compiled) and codec._plain():
            codec.encode_into  # noqa: B018
            assert codec._compile() is not None, name
            assert codec.encode_into is not Compiled.encode_into.__get__(codec), name


class Small(enum.IntEnum):
    ONE = 1


FIXED = struct_of(Fixed, "test::Fixed")
GOOD = Fixed(1, -1, 2, -2, 3, -3, 4, -4, 5, -5, True, b"\x01" * 32, b"abc")


@pytest.mark.parametrize("field,bad", [
    ("a", 256), ("a", -1), ("b", 128), ("c", 1 << 16), ("e", True), ("g", 1.0), ("i", 1 << 128), ("i", -1),
    ("j", 1 << 127), ("j", -(1 << 127) - 1), ("k", 1), ("who", b"\x01" * 31), ("raw", "abc"), ("raw", b"abcd"),
])
def test_values_the_reference_rejects_are_rejected(field, bad):
    with pytest.raises(ScaleError):
        FIXED.encode(dataclasses.replace(GOOD, **{field: bad}))
    out = bytearray(b"kept")
    with pytest.raises(ScaleError):
        FIXED.encode_into(dataclasses.replace(GOOD, **{field: bad}), out)


def test_values_the_reference_accepts_encode_alike():
    """What the generated code does not take itself (an int subclass, a bytearray, a dict for a
    dataclass struct, a list for a tuple) goes to the reference and encodes the same bytes."""
    raw = FIXED.encode(GOOD)
    assert FIXED.encode(dataclasses.replace(GOOD, a=Small.ONE)) == FIXED.encode(dataclasses.replace(GOOD, a=1))
    assert FIXED.encode(dataclasses.replace(GOOD, raw=bytearray(b"abc"))) == raw
    assert FIXED.encode({f.name: getattr(GOOD, f.name) for f in dataclasses.fields(Fixed)}) == raw
    assert FIXED.encode([getattr(GOOD, f.name) for f in dataclasses.fields(Fixed)]) == raw
    assert tuple_of(U32, Bool).encode([7, False]) == tuple_of(U32, Bool).encode((7, False)) == b"\x07\0\0\0\0"
    assert Vec(U64).encode((1, 2)) == Vec(U64).encode([1, 2])
    assert SHAPES.encode(("Cls", Payload(1, b"\x02" * 32))) == SHAPES.encode(Payload(1, b"\x02" * 32))
    assert SHAPES.encode(("Named", (5, None))) == SHAPES.encode(("Named", {"x": 5, "y": None}))
    with pytest.raises(ScaleError):
        Vec(U16).encode([1, True])
    with pytest.raises(ScaleError):
        Vec(U16).encode([1, 1 << 16])
    with pytest.raises(ScaleError):
        SHAPES.encode("Nope")
    with pytest.raises(ScaleError):
        SHAPES.encode(("One", -1))
    with pytest.raises(ScaleError):
        SHAPES.encode(("Named", {"x": 5}))   # a missing field
    with pytest.raises(ScaleError):
        SHAPES.encode(("Two", (1,)))         # too few values
    assert SHAPES.encode(("Two", [1, b"a"])) == SHAPES.encode(("Two", (1, b"a"))) == b"\x03\x01\x04a"


def test_a_variant_added_after_first_use_is_seen():
    """Pallets add event variants to an enum that may already have encoded values."""
    late = Enum("test::Late", [Variant("A", 0)])
    assert late.encode("A") == b"\x00"
    outer = Vec(late)
    assert outer.encode(["A"]) == b"\x04\x00"
    late.add_variant(Variant("B", 1, ((None, U32),)))
    assert outer.encode(["A", ("B", 5)]) == b"\x08\x00\x01\x05\0\0\0"
    assert outer.decode(b"\x04\x01\x05\0\0\0") == [("B", 5)]


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_fixed_tail_is_the_end_of_every_encoding(data):
    """The market updates a provider's counters in its stored bytes through `fixed_tail`: the same
    bytes as decoding, changing the counters and encoding the whole provider again."""
    from runtime.pallets.market.types import ProviderType

    tail = ProviderType.fixed_tail(("open_bids", "active_leases"))
    provider = data.draw(values(ProviderType))
    raw = ProviderType.encode(provider)
    bids, leases = data.draw(st.integers(0, U32.max)), data.draw(st.integers(0, U32.max))
    assert tail.unpack_from(raw, len(raw) - tail.size) == (provider.open_bids, provider.active_leases)
    patched = raw[:len(raw) - tail.size] + tail.pack(bids, leases)
    assert patched == ProviderType.encode(dataclasses.replace(provider, open_bids=bids, active_leases=leases))


def test_fixed_tail_refuses_fields_that_are_not_the_fixed_end():
    mixed = struct_of(Mixed, "test::Mixed")
    assert mixed.fixed_tail(("last",)).size == 8
    for names in (("longs", "last"), ("first",), ("flags", "last")):
        with pytest.raises(ValueError):
            mixed.fixed_tail(names)
    with pytest.raises(ValueError):
        AccountInfoType.fixed_tail(("data",))
