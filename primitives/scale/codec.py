"""The SCALE codec base, integers, compact, strings, bytes and the composites (Vec, Array, Tuple,
Option). Structs and enums are in `primitives.scale.structs`; `primitives.scale` exports both."""
from __future__ import annotations

import dataclasses
import struct
from typing import Any, Callable

from primitives.scale.base import _COMPACT_SMALL, ScaleError, decode_compact, encode_compact  # noqa: F401


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

    # -- compiled fast paths (see primitives.scale.fast) ----------------------------------
    def encoder(self) -> Callable[[Any, bytearray], None]:
        """The fastest `encode_into` for this codec, for a containing codec to call directly."""
        return self.encode_into

    def decoder(self) -> Callable[[bytes, int], tuple[Any, int]]:
        return self.decode_from

    def fixed_atom(self) -> tuple | None:
        """(kind, struct format, size) when the encoding is a fixed-width `struct` field the
        containing struct may pack together with its neighbours: kind "int" (u8..u64, i8..i64),
        "wide" (u128/i128 as two 64-bit halves), "bool" or "bytes" ([u8; N]). None otherwise."""
        return None

    # -- metadata -------------------------------------------------------------------------
    def type_def(self) -> tuple[str, Any]:
        """The scale-info `TypeDef`: (kind, payload) with codecs in place of type ids."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.type_name or type(self).__name__


class Compiled(Codec):
    """A composite whose `encode_into`/`decode_from` are generated once, on first use, from its
    layout (`_build`, see primitives.scale.fast) and then set on the instance. `_encode_ref` and
    `_decode_ref` are the reference implementations: the generated code hands them every value it
    does not take, so what is accepted, rejected and produced is theirs. A subclass that overrides
    `encode_into` or `decode_from` keeps its override."""

    _fast: tuple | None = None
    _compiling = False

    def _build(self) -> tuple[Callable, Callable]:
        raise NotImplementedError

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        raise NotImplementedError

    def _decode_ref(self, data: bytes, pos: int) -> tuple[Any, int]:
        raise NotImplementedError

    def _compile(self) -> tuple | None:
        if self._fast is None and not self._compiling:
            self._compiling = True   # a recursive type (through Lazy) meets itself: it gets the reference
            try:
                fast = self._build()
            finally:
                self._compiling = False
            self._fast = fast
            kind = type(self)
            if kind.encode_into is Compiled.encode_into:
                self.encode_into = fast[0]  # type: ignore[method-assign]
            if kind.decode_from is Compiled.decode_from:
                self.decode_from = fast[1]  # type: ignore[method-assign]
        return self._fast

    def _plain(self) -> bool:
        kind = type(self)
        return kind.encode_into is Compiled.encode_into and kind.decode_from is Compiled.decode_from

    def encoder(self) -> Callable[[Any, bytearray], None]:
        if type(self).encode_into is not Compiled.encode_into:
            return self.encode_into
        fast = self._compile()
        return fast[0] if fast else self._encode_ref

    def decoder(self) -> Callable[[bytes, int], tuple[Any, int]]:
        if type(self).decode_from is not Compiled.decode_from:
            return self.decode_from
        fast = self._compile()
        return fast[1] if fast else self._decode_ref

    def encode_into(self, value: Any, out: bytearray) -> None:
        fast = self._compile()
        (fast[0] if fast else self._encode_ref)(value, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[Any, int]:
        fast = self._compile()
        return (fast[1] if fast else self._decode_ref)(data, pos)


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
        if fmt:
            self._atom = ("int", self._struct.format[1:], self.size)
        elif bits == 128:
            self._atom = ("wide", "Qq" if signed else "QQ", 16)
        else:
            self._atom = None
        if self._struct is not None:
            self.encode_into, self.decode_from = self._fast_functions()  # type: ignore[method-assign]

    def _fast_functions(self) -> tuple[Callable, Callable]:
        pack, unpack_from, size = self._struct.pack, self._struct.unpack_from, self.size
        lo, hi, ref_enc, ref_dec = self.min, self.max, self._encode_ref, self._decode_ref

        def encode_into(value: Any, out: bytearray) -> None:
            if type(value) is int and lo <= value <= hi:
                out += pack(value)
            else:
                ref_enc(value, out)

        def decode_from(data: bytes, pos: int) -> tuple[int, int]:
            try:
                return unpack_from(data, pos)[0], pos + size
            except struct.error:
                return ref_dec(data, pos)  # raises the reference error
        return encode_into, decode_from

    def fixed_atom(self) -> tuple | None:
        return self._atom

    def encode_into(self, value: Any, out: bytearray) -> None:
        self._encode_ref(value, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[int, int]:
        return self._decode_ref(data, pos)

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if type(value) is not int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScaleError(f"{self.type_name}: expected int, got {type(value).__name__}")
        if not self.min <= value <= self.max:
            raise ScaleError(f"{self.type_name}: {value} out of range")
        if self._struct is not None:
            out += self._struct.pack(value)
        else:
            out += value.to_bytes(self.size, "little", signed=self.signed)

    def _decode_ref(self, data: bytes, pos: int) -> tuple[int, int]:
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

    def fixed_atom(self) -> tuple | None:
        return ("bool", "B", 1)

    def decode_from(self, data: bytes, pos: int) -> tuple[bool, int]:
        b = data[pos]
        if b > 1:
            raise ScaleError(f"bool: invalid byte {b}")
        return b == 1, pos + 1

    def type_def(self) -> tuple[str, Any]:
        return ("primitive", "bool")


Bool = _Bool()


class Compact(Codec):
    """`Compact<T>` for an unsigned integer type T; the value is an int bounded by T."""

    def __init__(self, inner: _Int):
        self.inner = inner
        self.type_name = f"Compact<{inner.type_name}>"
        hi, ref_enc = inner.max, self._encode_ref

        def encode_into(value: Any, out: bytearray) -> None:
            if type(value) is int and 0 <= value <= hi:
                out += encode_compact(value)
            else:
                ref_enc(value, out)
        self.encode_into = encode_into  # type: ignore[method-assign]

    def encode_into(self, value: Any, out: bytearray) -> None:
        self._encode_ref(value, out)

    def _encode_ref(self, value: Any, out: bytearray) -> None:
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

    def __init__(self) -> None:
        ref_enc, ref_dec, small = self._encode_ref, self._decode_ref, _COMPACT_SMALL

        def encode_into(value: Any, out: bytearray) -> None:
            if type(value) is bytes and len(value) < 64:
                out += small[len(value)]
                out += value
            else:
                ref_enc(value, out)

        def decode_from(data: bytes, pos: int) -> tuple[bytes, int]:
            first = data[pos]
            if first & 3:
                return ref_dec(data, pos)
            end = pos + 1 + (first >> 2)
            if end > len(data):
                raise ScaleError("Vec<u8>: input too short")
            return bytes(data[pos + 1:end]), end
        self.encode_into, self.decode_from = encode_into, decode_from  # type: ignore[method-assign]

    def encode_into(self, value: Any, out: bytearray) -> None:
        self._encode_ref(value, out)

    def decode_from(self, data: bytes, pos: int) -> tuple[bytes, int]:
        return self._decode_ref(data, pos)

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise ScaleError(f"Vec<u8>: expected bytes, got {type(value).__name__}")
        out += encode_compact(len(value))
        out += value

    def _decode_ref(self, data: bytes, pos: int) -> tuple[bytes, int]:
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

    def fixed_atom(self) -> tuple | None:
        return ("bytes", f"{self.length}s", self.length)

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


class _Vec(Compiled):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.type_name = f"Vec<{inner!r}>"

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)):
            raise ScaleError(f"{self.type_name}: expected a list, got {type(value).__name__}")
        out += encode_compact(len(value))
        enc = self.inner.encode_into
        for item in value:
            enc(item, out)

    def _decode_ref(self, data: bytes, pos: int) -> tuple[list, int]:
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

    def _build(self) -> tuple[Callable, Callable]:
        from primitives.scale.fast import vec_functions
        self.zero_sized_inner = self.inner is Unit
        return vec_functions(self, self._encode_ref)

    def type_def(self) -> tuple[str, Any]:
        return ("sequence", self.inner)


def Vec(inner: Codec) -> Codec:
    """`Vec<T>`; `Vec(U8)` is `Bytes`."""
    if inner is U8:
        return Bytes
    return _memo(("vec", id(inner)), lambda: _Vec(inner))


class _Array(Compiled):
    def __init__(self, inner: Codec, length: int):
        self.inner, self.length = inner, length
        self.type_name = f"[{inner!r}; {length}]"

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)) or len(value) != self.length:
            raise ScaleError(f"{self.type_name}: expected {self.length} items")
        for item in value:
            self.inner.encode_into(item, out)

    def _decode_ref(self, data: bytes, pos: int) -> tuple[list, int]:
        items = []
        for _ in range(self.length):
            item, pos = self.inner.decode_from(data, pos)
            items.append(item)
        return items, pos

    def _build(self) -> tuple[Callable, Callable]:
        from primitives.scale.fast import array_functions
        return array_functions(self, self._encode_ref)

    def type_def(self) -> tuple[str, Any]:
        return ("array", (self.length, self.inner))


def Array(inner: Codec, length: int) -> Codec:
    if inner is U8:
        return _memo(("bytes", length), lambda: FixedBytes(length))
    return _memo(("array", id(inner), length), lambda: _Array(inner, length))


class Tuple(Compiled):
    def __init__(self, *items: Codec):
        self.items = items
        self.type_name = "(" + ", ".join(map(repr, items)) + ")"

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if not isinstance(value, (list, tuple)) or len(value) != len(self.items):
            raise ScaleError(f"{self.type_name}: expected a {len(self.items)}-tuple")
        for codec, item in zip(self.items, value):
            codec.encode_into(item, out)

    def _decode_ref(self, data: bytes, pos: int) -> tuple[tuple, int]:
        out = []
        for codec in self.items:
            item, pos = codec.decode_from(data, pos)
            out.append(item)
        return tuple(out), pos

    def _build(self) -> tuple[Callable, Callable]:
        from primitives.scale.fast import fields_decoder, fields_encoder
        return (fields_encoder(self.items, "seq", self._encode_ref, self.type_name),
                fields_decoder(self.items, "tuple", self.type_name))

    def type_def(self) -> tuple[str, Any]:
        return ("tuple", self.items)


def tuple_of(*items: Codec) -> Codec:
    return _memo(("tuple",) + tuple(id(i) for i in items), lambda: Tuple(*items))


Unit = tuple_of()


class _Option(Compiled):
    def __init__(self, inner: Codec):
        self.inner = inner
        self.type_name = f"Option<{inner!r}>"
        self.path = ("Option",)
        self.params = (("T", inner),)

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0)
        else:
            out.append(1)
            self.inner.encode_into(value, out)

    def _decode_ref(self, data: bytes, pos: int) -> tuple[Any, int]:
        tag = data[pos]
        if tag == 0:
            return None, pos + 1
        if tag == 1:
            return self.inner.decode_from(data, pos + 1)
        raise ScaleError(f"{self.type_name}: invalid tag {tag}")

    def _build(self) -> tuple[Callable, Callable]:
        from primitives.scale.fast import option_functions
        return option_functions(self)

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
