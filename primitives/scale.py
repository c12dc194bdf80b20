"""SCALE codec with type descriptors that also describe themselves to metadata.

Every on-chain type is a `Codec` instance declared once. A codec encodes and decodes
Python values and carries what `scale-info` needs (path, generic params, definition),
so metadata V14/V15 is generated from the same objects that encode state: the two
cannot drift apart.

Value conventions:
- integers are `int`, range-checked on encode; `Bool` is `bool`;
- `Bytes`/`FixedBytes` are `bytes`; `Str` is `str`;
- `Vec`/`Array` are lists (tuples accepted); `Tuple` is a tuple; `Option` is `None` or the value;
- `Struct` is its dataclass when declared with `cls`, else a dict;
- `Enum` is the variant's dataclass (when declared with `cls`), the variant name for a unit
  variant, or `(name, payload)` where payload is a single value (one unnamed field),
  a tuple (several unnamed fields) or a dict (named fields).
"""
from __future__ import annotations

import dataclasses
import struct
from typing import Any, Callable, Iterable, Sequence


class ScaleError(ValueError):
    """Raised for any value that cannot be encoded or any bytes that cannot be decoded."""


class Codec:
    """Base of all type descriptors."""

    path: tuple[str, ...] = ()
    params: tuple[tuple[str, "Codec | None"], ...] = ()
    docs: tuple[str, ...] = ()
    type_name: str = ""

    def encode_into(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        raise NotImplementedError

    def encode(self, value: Any) -> bytes:
        out = bytearray()
        self.encode_into(value, out)
        return bytes(out)

    def decode(self, data: bytes) -> Any:
        """Decode the whole of `data`; trailing bytes are an error (as substrate clients decode)."""
        try:
            value, pos = self.decode_from(data, 0)
        except (IndexError, struct.error) as exc:
            raise ScaleError(f"{self!r}: input too short") from exc
        if pos != len(data):
            raise ScaleError(f"{self!r}: {len(data) - pos} trailing bytes")
        return value

    def decode_prefix(self, data: bytes, pos: int = 0) -> tuple[Any, int]:
        try:
            return self.decode_from(data, pos)
        except (IndexError, struct.error) as exc:
            raise ScaleError(f"{self!r}: input too short") from exc

    # -- metadata -------------------------------------------------------------------------
    def type_def(self) -> tuple[str, Any]:
        """The scale-info `TypeDef`: (kind, payload) with codecs in place of type ids."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.type_name or type(self).__name__


# ---------------------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------------------

class _Int(Codec):
    def __init__(self, bits: int, signed: bool):
        self.bits = bits
        self.size = bits // 8
        self.signed = signed
        self.type_name = f"{'i' if signed else 'u'}{bits}"
        self.min = -(1 << (bits - 1)) if signed else 0
        self.max = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
        fmt = {8: "b", 16: "h", 32: "i", 64: "q"}.get(bits)
        self._struct = struct.Struct("<" + (fmt if signed else fmt.upper())) if fmt else None

    def encode_into(self, value: Any, out: bytearray) -> None:
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScaleError(f"{self.type_name}: expected int, got {type(value).__name__}")
        if not self.min <= value <= self.max:
            raise ScaleError(f"{self.type_name}: {value} out of range")
        if self._struct is not None:
            out += self._struct.pack(value)
        else:
            out += value.to_bytes(self.size, "little", signed=self.signed)

    def decode_from(self, data: bytes, pos: int) -> tuple[int, int]:
        end = pos + self.size
        if end > len(data):
            raise ScaleError(f"{self.type_name}: input too short")
        if self._struct is not None:
            return self._struct.unpack_from(data, pos)[0], end
        return int.from_bytes(data[pos:end], "little", signed=self.signed), end

    def type_def(self) -> tuple[str, Any]:
        return ("primitive", self.type_name)


U8, U16, U32, U64, U128, U256 = (_Int(b, False) for b in (8, 16, 32, 64, 128, 256))
I8, I16, I32, I64, I128 = (_Int(b, True) for b in (8, 16, 32, 64, 128))


class _Bool(Codec):
    type_name = "bool"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, bool):
            raise ScaleError(f"bool: expected bool, got {type(value).__name__}")
        out.append(1 if value else 0)

    def decode_from(self, data: bytes, pos: int) -> tuple[bool, int]:
        b = data[pos]
        if b > 1:
            raise ScaleError(f"bool: invalid byte {b}")
        return b == 1, pos + 1

    def type_def(self) -> tuple[str, Any]:
        return ("primitive", "bool")


Bool = _Bool()


def encode_compact(value: int) -> bytes:
    """SCALE compact (variable-length) integer encoding."""
    if value < 0:
        raise ScaleError(f"compact: negative value {value}")
    if value < 1 << 6:
        return bytes((value << 2,))
    if value < 1 << 14:
        return ((value << 2) | 1).to_bytes(2, "little")
    if value < 1 << 30:
        return ((value << 2) | 2).to_bytes(4, "little")
    length = (value.bit_length() + 7) // 8
    if length > 67:
        raise ScaleError("compact: value too large")
    return bytes((((length - 4) << 2) | 3,)) + value.to_bytes(length, "little")


def decode_compact(data: bytes, pos: int) -> tuple[int, int]:
    """Decode a compact integer; rejects non-canonical encodings as Substrate does."""
    first = data[pos]
    mode = first & 3
    if mode == 0:
        return first >> 2, pos + 1
    if mode == 1:
        if pos + 2 > len(data):
            raise ScaleError("compact: input too short")
        value = int.from_bytes(data[pos:pos + 2], "little") >> 2
        if value < 1 << 6:
            raise ScaleError("compact: non-canonical encoding")
        return value, pos + 2
    if mode == 2:
        if pos + 4 > len(data):
            raise ScaleError("compact: input too short")
        value = int.from_bytes(data[pos:pos + 4], "little") >> 2
        if value < 1 << 14:
            raise ScaleError("compact: non-canonical encoding")
        return value, pos + 4
    length = (first >> 2) + 4
    end = pos + 1 + length
    if end > len(data):
        raise ScaleError("compact: input too short")
    value = int.from_bytes(data[pos + 1:end], "little")
    if value < 1 << 30 or (length > 4 and value >> ((length - 1) * 8) == 0):
        raise ScaleError("compact: non-canonical encoding")
    return value, end


class Compact(Codec):
    """`Compact<T>` for an unsigned integer type T; the value is an int bounded by T."""

    def __init__(self, inner: _Int):
        self.inner = inner
        self.type_name = f"Compact<{inner.type_name}>"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ScaleError(f"{self.type_name}: expected int, got {type(value).__name__}")
        if not 0 <= value <= self.inner.max:
            raise ScaleError(f"{self.type_name}: {value} out of range")
        out += encode_compact(value)

    def decode_from(self, data: bytes, pos: int) -> tuple[int, int]:
        value, pos = decode_compact(data, pos)
        if value > self.inner.max:
            raise ScaleError(f"{self.type_name}: {value} out of range")
        return value, pos

    def type_def(self) -> tuple[str, Any]:
        return ("compact", self.inner)


class _Str(Codec):
    type_name = "String"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, str):
            raise ScaleError(f"String: expected str, got {type(value).__name__}")
        raw = value.encode()
        out += encode_compact(len(raw))
        out += raw

    def decode_from(self, data: bytes, pos: int) -> tuple[str, int]:
        n, pos = decode_compact(data, pos)
        end = pos + n
        if end > len(data):
            raise ScaleError("String: input too short")
        try:
            return bytes(data[pos:end]).decode(), end
        except UnicodeDecodeError as exc:
            raise ScaleError("String: invalid utf-8") from exc

    def type_def(self) -> tuple[str, Any]:
        return ("primitive", "str")


Str = _Str()


class _Bytes(Codec):
    """`Vec<u8>` as Python bytes."""

    type_name = "Vec<u8>"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ScaleError(f"Vec<u8>: expected bytes, got {type(value).__name__}")
        out += encode_compact(len(value))
        out += value

    def decode_from(self, data: bytes, pos: int) -> tuple[bytes, int]:
        n, pos = decode_compact(data, pos)
        end = pos + n
        if end > len(data):
            raise ScaleError("Vec<u8>: input too short")
        return bytes(data[pos:end]), end

    def type_def(self) -> tuple[str, Any]:
        return ("sequence", U8)


Bytes = _Bytes()


class FixedBytes(Codec):
    """`[u8; N]` as Python bytes of length N."""

    def __init__(self, length: int):
        self.length = length
        self.type_name = f"[u8; {length}]"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (bytes, bytearray)) or len(value) != self.length:
            raise ScaleError(f"{self.type_name}: expected {self.length} bytes")
        out += value

    def decode_from(self, data: bytes, pos: int) -> tuple[bytes, int]:
        end = pos + self.length
        if end > len(data):
            raise ScaleError(f"{self.type_name}: input too short")
        return bytes(data[pos:end]), end

    def type_def(self) -> tuple[str, Any]:
        return ("array", (self.length, U8))


# ---------------------------------------------------------------------------------------
# Composites
# ---------------------------------------------------------------------------------------

_MEMO: dict[tuple, Codec] = {}


def _memo(key: tuple, make: Callable[[], Codec]) -> Codec:
    codec = _MEMO.get(key)
    if codec is None:
        codec = _MEMO[key] = make()
    return codec


class _Vec(Codec):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.type_name = f"Vec<{inner!r}>"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)):
            raise ScaleError(f"{self.type_name}: expected a list, got {type(value).__name__}")
        out += encode_compact(len(value))
        enc = self.inner.encode_into
        for item in value:
            enc(item, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[list, int]:
        n, pos = decode_compact(data, pos)
        if n > len(data) - pos and self.inner is not Unit:
            # every element but a zero-sized one takes at least a byte: reject absurd lengths early
            raise ScaleError(f"{self.type_name}: length {n} exceeds input")
        items = []
        dec = self.inner.decode_from
        for _ in range(n):
            item, pos = dec(data, pos)
            items.append(item)
        return items, pos

    def type_def(self) -> tuple[str, Any]:
        return ("sequence", self.inner)


def Vec(inner: Codec) -> Codec:
    """`Vec<T>`; `Vec(U8)` is `Bytes`."""
    if inner is U8:
        return Bytes
    return _memo(("vec", id(inner)), lambda: _Vec(inner))


class _Array(Codec):
    def __init__(self, inner: Codec, length: int):
        self.inner, self.length = inner, length
        self.type_name = f"[{inner!r}; {length}]"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)) or len(value) != self.length:
            raise ScaleError(f"{self.type_name}: expected {self.length} items")
        for item in value:
            self.inner.encode_into(item, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[list, int]:
        items = []
        for _ in range(self.length):
            item, pos = self.inner.decode_from(data, pos)
            items.append(item)
        return items, pos

    def type_def(self) -> tuple[str, Any]:
        return ("array", (self.length, self.inner))


def Array(inner: Codec, length: int) -> Codec:
    if inner is U8:
        return _memo(("bytes", length), lambda: FixedBytes(length))
    return _memo(("array", id(inner), length), lambda: _Array(inner, length))


class Tuple(Codec):
    def __init__(self, *items: Codec):
        self.items = items
        self.type_name = "(" + ", ".join(map(repr, items)) + ")"

    def encode_into(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)) or len(value) != len(self.items):
            raise ScaleError(f"{self.type_name}: expected a {len(self.items)}-tuple")
        for codec, item in zip(self.items, value):
            codec.encode_into(item, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[tuple, int]:
        out = []
        for codec in self.items:
            item, pos = codec.decode_from(data, pos)
            out.append(item)
        return tuple(out), pos

    def type_def(self) -> tuple[str, Any]:
        return ("tuple", self.items)


def tuple_of(*items: Codec) -> Codec:
    return _memo(("tuple",) + tuple(id(i) for i in items), lambda: Tuple(*items))


Unit = tuple_of()


class _Option(Codec):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.type_name = f"Option<{inner!r}>"
        self.path = ("Option",)
        self.params = (("T", inner),)

    def encode_into(self, value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.encode_into(value, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        tag = data[pos]
        if tag == 0:
            return None, pos + 1
        if tag == 1:
            return self.inner.decode_from(data, pos + 1)
        raise ScaleError(f"{self.type_name}: invalid tag {tag}")

    def type_def(self) -> tuple[str, Any]:
        return ("variant", [("None", 0, [], ()), ("Some", 1, [Field(None, self.inner)], ())])


def Option(inner: Codec) -> Codec:
    return _memo(("option", id(inner)), lambda: _Option(inner))


@dataclasses.dataclass(frozen=True)
class Field:
    """A field of a struct or enum variant (scale-info `Field`)."""

    name: str | None
    codec: Codec
    type_name: str | None = None
    docs: tuple[str, ...] = ()
    attr: str | None = None
    """Python attribute holding the field when it differs from `name` (`from_` for `from`)."""

    @property
    def attribute(self) -> str | None:
        return self.attr or self.name


def _fields(fields: Iterable[Field | tuple]) -> tuple[Field, ...]:
    return tuple(f if isinstance(f, Field) else Field(*f) for f in fields)


class Encoded(bytes):
    """A value already SCALE-encoded for a particular Struct codec (hot-path shortcut)."""


class Struct(Codec):
    """A composite. With `cls` (a dataclass) values are instances of it; otherwise dicts.

    A struct with one unnamed field is a transparent newtype: its value is the field's value.
    """

    def __init__(self, path: str | Sequence[str], fields: Iterable[Field | tuple], *,
                 cls: type | None = None, params: Sequence[tuple[str, Codec | None]] = (),
                 docs: Sequence[str] = ()):
        self.path = tuple(path.split("::")) if isinstance(path, str) else tuple(path)
        self.fields = _fields(fields)
        self.cls = cls
        self.params = tuple(params)
        self.docs = tuple(docs)
        self.type_name = self.path[-1] if self.path else "struct"
        self.newtype = len(self.fields) == 1 and self.fields[0].name is None
        self._names = [f.name for f in self.fields]
        self._attrs = [f.attribute for f in self.fields]
        self._codecs = [f.codec for f in self.fields]

    def encode_into(self, value: Any, out: bytearray) -> None:
        if self.newtype:
            self._codecs[0].encode_into(value, out)
            return
        if type(value) is Encoded:
            out += value
            return
        if self.cls is not None and isinstance(value, self.cls):
            for attr, codec in zip(self._attrs, self._codecs):
                codec.encode_into(getattr(value, attr), out)
            return
        if isinstance(value, dict):
            try:
                for name, codec in zip(self._names, self._codecs):
                    codec.encode_into(value[name], out)
            except KeyError as exc:
                raise ScaleError(f"{self.type_name}: missing field {exc}") from None
            return
        if isinstance(value, (tuple, list)) and len(value) == len(self.fields):
            for codec, item in zip(self._codecs, value):
                codec.encode_into(item, out)
            return
        raise ScaleError(f"{self.type_name}: cannot encode {type(value).__name__}")

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        if self.newtype:
            return self._codecs[0].decode_from(data, pos)
        values = []
        for codec in self._codecs:
            item, pos = codec.decode_from(data, pos)
            values.append(item)
        if self.cls is not None:
            return self.cls(*values), pos
        return dict(zip(self._names, values)), pos

    def type_def(self) -> tuple[str, Any]:
        return ("composite", self.fields)


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    index: int
    fields: tuple[Field, ...] = ()
    cls: type | None = None
    docs: tuple[str, ...] = ()


class Enum(Codec):
    """A tagged union (scale-info `TypeDefVariant`), see module docstring for value shapes."""

    def __init__(self, path: str | Sequence[str], variants: Iterable[Variant | tuple], *,
                 params: Sequence[tuple[str, Codec | None]] = (), docs: Sequence[str] = ()):
        self.path = tuple(path.split("::")) if isinstance(path, str) else tuple(path)
        self.params = tuple(params)
        self.docs = tuple(docs)
        self.type_name = self.path[-1] if self.path else "enum"
        self.variants: list[Variant] = []
        self._by_name: dict[str, Variant] = {}
        self._by_index: dict[int, Variant] = {}
        self._by_cls: dict[type, Variant] = {}
        self._cls_encoders: dict[type, tuple[int, list]] = {}
        for v in variants:
            self.add_variant(v if isinstance(v, Variant) else Variant(*v))

    def add_variant(self, variant: Variant) -> None:
        variant = dataclasses.replace(variant, fields=_fields(variant.fields))
        if variant.name in self._by_name or variant.index in self._by_index:
            raise ValueError(f"{self.type_name}: duplicate variant {variant.name}/{variant.index}")
        self.variants.append(variant)
        self.variants.sort(key=lambda v: v.index)
        self._by_name[variant.name] = variant
        self._by_index[variant.index] = variant
        if variant.cls is not None:
            self._by_cls[variant.cls] = variant
            self._cls_encoders[variant.cls] = (variant.index, [(f.attribute, f.codec.encode_into)
                                                               for f in variant.fields])

    def variant(self, name: str) -> Variant:
        return self._by_name[name]

    def encode_into(self, value: Any, out: bytearray) -> None:
        encoders = self._cls_encoders.get(type(value))
        if encoders is not None:
            out.append(encoders[0])
            for attr, enc in encoders[1]:
                enc(getattr(value, attr), out)
            return
        if isinstance(value, str):
            name, payload = value, None
        elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
            name, payload = value
        else:
            raise ScaleError(f"{self.type_name}: cannot encode {value!r}")
        variant = self._by_name.get(name)
        if variant is None:
            raise ScaleError(f"{self.type_name}: unknown variant {name!r}")
        out.append(variant.index)
        fields = variant.fields
        if not fields:
            if payload not in (None, (), {}):
                raise ScaleError(f"{self.type_name}::{name} takes no payload")
            return
        if len(fields) == 1 and fields[0].name is None:
            fields[0].codec.encode_into(payload, out)
        elif isinstance(payload, dict):
            try:
                for f in fields:
                    f.codec.encode_into(payload[f.name], out)
            except KeyError as exc:
                raise ScaleError(f"{self.type_name}::{name}: missing field {exc}") from None
        elif isinstance(payload, (tuple, list)) and len(payload) == len(fields):
            for f, item in zip(fields, payload):
                f.codec.encode_into(item, out)
        elif variant.cls is not None and isinstance(payload, variant.cls):
            for f in fields:
                f.codec.encode_into(getattr(payload, f.attribute), out)
        else:
            raise ScaleError(f"{self.type_name}::{name}: bad payload {payload!r}")

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        variant = self._by_index.get(data[pos])
        if variant is None:
            raise ScaleError(f"{self.type_name}: unknown variant index {data[pos]}")
        pos += 1
        fields = variant.fields
        if not fields:
            return (variant.cls() if variant.cls else variant.name), pos
        values = []
        for f in fields:
            item, pos = f.codec.decode_from(data, pos)
            values.append(item)
        if variant.cls is not None:
            return variant.cls(*values), pos
        if len(fields) == 1 and fields[0].name is None:
            return (variant.name, values[0]), pos
        if fields[0].name is None:
            return (variant.name, tuple(values)), pos
        return (variant.name, {f.name: v for f, v in zip(fields, values)}), pos

    def type_def(self) -> tuple[str, Any]:
        return ("variant", [(v.name, v.index, v.fields, v.docs) for v in self.variants])


def Result(ok: Codec, err: Codec) -> Codec:
    return _memo(("result", id(ok), id(err)), lambda: Enum(
        "Result", [Variant("Ok", 0, (Field(None, ok),)), Variant("Err", 1, (Field(None, err),))],
        params=(("T", ok), ("E", err))))


class Lazy(Codec):
    """Forward reference, for recursive or late-bound types (e.g. RuntimeCall inside Sudo)."""

    def __init__(self, resolve: Callable[[], Codec], type_name: str = "lazy"):
        self._resolve = resolve
        self._target: Codec | None = None
        self.type_name = type_name

    @property
    def target(self) -> Codec:
        if self._target is None:
            self._target = self._resolve()
        return self._target

    def encode_into(self, value: Any, out: bytearray) -> None:
        self.target.encode_into(value, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        return self.target.decode_from(data, pos)

    def type_def(self) -> tuple[str, Any]:
        return self.target.type_def()


def struct_of(cls: type, path: str, field_codecs: dict[str, Codec], *,
              type_names: dict[str, str] | None = None, docs: Sequence[str] = ()) -> Struct:
    """A Struct over a dataclass, fields in the dataclass's declaration order."""
    return Struct(path, dataclass_fields(cls, field_codecs, type_names), cls=cls, docs=docs)


def dataclass_fields(cls: type, field_codecs: dict[str, Codec],
                     type_names: dict[str, str] | None = None) -> list[Field]:
    """Fields for a dataclass in declaration order; an attribute `from_` is named `from`."""
    attrs = [f.name for f in dataclasses.fields(cls)]
    if set(attrs) != set(field_codecs):
        raise ValueError(f"{cls.__name__}: codecs {sorted(field_codecs)} != fields {sorted(attrs)}")
    type_names = type_names or {}
    fields = []
    for attr in attrs:
        name = attr[:-1] if attr.endswith("_") else attr
        codec = field_codecs[attr]
        fields.append(Field(name, codec, type_names.get(attr, repr(codec)),
                            attr=attr if attr != name else None))
    return fields
