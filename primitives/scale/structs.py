"""SCALE structs and enums (scale-info composites and variants): Field, Struct, Variant, Enum, Result,
Lazy forward references, and struct codecs over dataclasses."""
from __future__ import annotations

import dataclasses
import struct
import sys
from typing import Any, Callable, Iterable, Sequence

from primitives.scale import fast
from primitives.scale.codec import Codec, Compiled, Field, ScaleError, _memo


def _fields(fields: Iterable[Field | tuple]) -> tuple[Field, ...]:
    return tuple(f if isinstance(f, Field) else Field(*f) for f in fields)


class Encoded(bytes):
    """A value already SCALE-encoded for a particular Struct codec (hot-path shortcut)."""


class Struct(Compiled):
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

    def _encode_ref(self, value: Any, out: bytearray) -> None:
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

    def _decode_ref(self, data: bytes, pos: int) -> tuple[Any, int]:
        if self.newtype:
            return self._codecs[0].decode_from(data, pos)
        values = []
        for codec in self._codecs:
            item, pos = codec.decode_from(data, pos)
            values.append(item)
        if self.cls is not None:
            return self.cls(*values), pos
        return dict(zip(self._names, values)), pos

    def _build(self) -> tuple[Callable, Callable]:
        if self.newtype:  # transparent: its encoding is the field's
            return self._codecs[0].encoder(), self._codecs[0].decoder()
        name = self.type_name
        if self.cls is not None:
            return (fast.fields_encoder(self._codecs, "attr", self._encode_ref, name, cls=self.cls,
                                        attrs=self._attrs),
                    fast.fields_decoder(self._codecs, "cls", name, cls=self.cls))
        return (fast.fields_encoder(self._codecs, "dict", self._encode_ref, name, keys=self._names),
                fast.fields_decoder(self._codecs, "dict", name, keys=self._names))

    def fixed_atom(self) -> tuple | None:
        return self._codecs[0].fixed_atom() if self.newtype and self._plain() else None

    def fixed_tail(self, names: Sequence[str]) -> struct.Struct:
        """A `struct.Struct` for the struct's last fields, which must be `names` and plain integers
        (u8..u64, i8..i64): they are the last `size` bytes of every encoding, so a counter among
        them can be updated in stored bytes without decoding the rest."""
        tail = self.fields[len(self.fields) - len(names):]
        atoms = [f.codec.fixed_atom() for f in tail]
        if [f.name for f in tail] != list(names) or not self._plain() or any(a is None or a[0] != "int" for a in atoms):
            raise ValueError(f"{self.type_name}: {list(names)} are not its last fields, all fixed-width integers")
        return struct.Struct("<" + "".join(a[1] for a in atoms))

    def type_def(self) -> tuple[str, Any]:
        return ("composite", self.fields)


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    index: int
    fields: tuple[Field, ...] = ()
    cls: type | None = None
    docs: tuple[str, ...] = ()


class Enum(Compiled):
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
        # compiled per-variant functions (filled by `_build`, kept current by `add_variant`)
        self._enc_by_type: dict[type, Callable] = {}
        self._unit_index: dict[str, int] = {}
        self._enc_one: dict[str, Callable] = {}
        self._dec_by_index: dict[int, Callable] = {}
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
        if self._fast is not None:  # compiled already (events are declared after their enum is used)
            self._compile_variant(variant)

    def variant(self, name: str) -> Variant:
        return self._by_name[name]

    def _encode_ref(self, value: Any, out: bytearray) -> None:
        variant = self._by_cls.get(type(value))
        if variant is not None:
            out.append(variant.index)
            for f in variant.fields:
                f.codec.encode_into(getattr(value, f.attribute), out)
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

    def _decode_ref(self, data: bytes, pos: int) -> tuple[Any, int]:
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

    def _compile_variant(self, v: Variant) -> None:
        codecs = [f.codec for f in v.fields]
        name = f"{self.type_name}::{v.name}"
        if v.cls is not None:
            self._enc_by_type[v.cls] = fast.fields_encoder(codecs, "attr", self._encode_ref, name, cls=v.cls,
                                                           attrs=[f.attribute for f in v.fields], prefix=v.index)
        if not codecs:
            self._unit_index[v.name] = v.index
        elif len(codecs) == 1 and v.fields[0].name is None:
            self._enc_one[v.name] = fast.prefixed(v.index, codecs[0].encoder())
        else:  # `(name, {field: value})` (a call's arguments) or `(name, (value, ...))`
            def ref(payload: Any, out: bytearray, name: str = v.name) -> None:
                self._encode_ref((name, payload), out)
            named = v.fields[0].name is not None
            self._enc_one[v.name] = fast.fields_encoder(codecs, "dict" if named else "seq", ref, name,
                                                        keys=[f.name for f in v.fields], prefix=v.index)
        if v.cls is not None:
            build = "cls"
        elif not codecs:
            build = "name"
        elif len(codecs) == 1 and v.fields[0].name is None:
            build = "name_one"
        else:
            build = "name_tuple" if v.fields[0].name is None else "name_dict"
        self._dec_by_index[v.index] = fast.fields_decoder(codecs, build, name, cls=v.cls, variant=v.name,
                                                          keys=[f.name for f in v.fields])

    def _build(self) -> tuple[Callable, Callable]:
        for v in self.variants:
            self._compile_variant(v)
        return fast.enum_functions(self.type_name, self._enc_by_type, self._unit_index, self._enc_one,
                                   self._dec_by_index, self._encode_ref)

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


def struct_of(cls: type, path: str, field_codecs: dict[str, Codec] | None = None, *,
              type_names: dict[str, str] | None = None, docs: Sequence[str] = ()) -> Struct:
    """A Struct over a dataclass, fields in the dataclass's declaration order."""
    return Struct(path, dataclass_fields(cls, field_codecs, type_names), cls=cls, docs=docs)


def annotated_codecs(cls: type) -> dict[str, Codec]:
    """A dataclass's field annotations as codecs. Under `from __future__ import annotations` they are
    source strings, evaluated in the class's module (as `typing.get_type_hints` does)."""
    namespace = vars(sys.modules[cls.__module__])
    codecs = {}
    for field in dataclasses.fields(cls):
        codec = eval(field.type, namespace) if isinstance(field.type, str) else field.type  # noqa: S307
        if not isinstance(codec, Codec):
            raise TypeError(f"{cls.__name__}.{field.name}: annotation {field.type!r} is not a codec")
        codecs[field.name] = codec
    return codecs


def dataclass_fields(cls: type, field_codecs: dict[str, Codec] | None = None,
                     type_names: dict[str, str] | None = None) -> list[Field]:
    """Fields for a dataclass in declaration order; an attribute `from_` is named `from`. Without
    `field_codecs`, each field's annotation is its codec (`hotkey: AccountId`), so a field is declared once."""
    attrs = [f.name for f in dataclasses.fields(cls)]
    if not field_codecs:
        field_codecs = annotated_codecs(cls)
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
