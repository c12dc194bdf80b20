"""Metadata V14 and V15, generated from the pallet declarations (never written by hand).

The portable type registry is built by walking the codecs that pallets declared; each
codec object gets one id. The encoding follows `frame-metadata` (v14.rs / v15.rs) and
`scale-info`'s portable form.
"""
from __future__ import annotations

import functools
from typing import Any

from runtime.apis import RUNTIME_APIS
from runtime.construct import Runtime, get_runtime
from runtime.extrinsic import SIGNED_EXTENSIONS, UncheckedExtrinsicType
from runtime.frame.storage import StorageMap
from runtime.pallets import aura
from primitives.scale import Codec, Field, Lazy, encode_compact
from primitives.types import AccountId, MultiAddress, MultiSignature

MAGIC = b"meta"

_PRIMITIVES = {"bool": 0, "char": 1, "str": 2, "u8": 3, "u16": 4, "u32": 5, "u64": 6, "u128": 7, "u256": 8,
               "i8": 9, "i16": 10, "i32": 11, "i64": 12, "i128": 13, "i256": 14}


def _str(s: str) -> bytes:
    raw = s.encode()
    return encode_compact(len(raw)) + raw


def _vec(items: list[bytes]) -> bytes:
    return encode_compact(len(items)) + b"".join(items)


def _strs(items) -> bytes:
    return _vec([_str(s) for s in items])


def _opt(payload: bytes | None) -> bytes:
    return b"\x00" if payload is None else b"\x01" + payload


class TypeRegistry:
    """Assigns portable ids to codecs (by identity) and encodes the registry."""

    def __init__(self) -> None:
        self.ids: dict[int, int] = {}
        self.entries: list[Codec] = []

    def id(self, codec: Codec) -> int:
        while isinstance(codec, Lazy):
            codec = codec.target
        key = id(codec)
        found = self.ids.get(key)
        if found is not None:
            return found
        type_id = self.ids[key] = len(self.entries)
        self.entries.append(codec)
        # register dependencies so ids exist before encoding
        for _, param in codec.params:
            if param is not None:
                self.id(param)
        kind, payload = codec.type_def()
        for dep in self._deps(kind, payload):
            self.id(dep)
        return type_id

    @staticmethod
    def _deps(kind: str, payload: Any) -> list[Codec]:
        if kind == "composite":
            return [f.codec for f in payload]
        if kind == "variant":
            return [f.codec for (_, _, fields, _) in payload for f in fields]
        if kind in ("sequence", "compact"):
            return [payload]
        if kind == "array":
            return [payload[1]]
        if kind == "tuple":
            return list(payload)
        return []

    def _fields(self, fields: tuple[Field, ...]) -> bytes:
        return _vec([
            _opt(None if f.name is None else _str(f.name)) + encode_compact(self.id(f.codec))
            + _opt(None if not f.type_name else _str(f.type_name)) + _strs(f.docs)
            for f in fields])

    def _type_def(self, codec: Codec) -> bytes:
        kind, payload = codec.type_def()
        if kind == "composite":
            return b"\x00" + self._fields(payload)
        if kind == "variant":
            return b"\x01" + _vec([_str(name) + self._fields(fields) + bytes([index]) + _strs(docs)
                                   for name, index, fields, docs in payload])
        if kind == "sequence":
            return b"\x02" + encode_compact(self.id(payload))
        if kind == "array":
            length, inner = payload
            return b"\x03" + length.to_bytes(4, "little") + encode_compact(self.id(inner))
        if kind == "tuple":
            return b"\x04" + _vec([encode_compact(self.id(c)) for c in payload])
        if kind == "primitive":
            return b"\x05" + bytes([_PRIMITIVES[payload]])
        if kind == "compact":
            return b"\x06" + encode_compact(self.id(payload))
        raise ValueError(f"unknown type def {kind}")

    def encode(self) -> bytes:
        out = []
        i = 0
        while i < len(self.entries):  # entries may grow while encoding (late registrations)
            codec = self.entries[i]
            params = _vec([_str(name) + _opt(None if p is None else encode_compact(self.id(p)))
                           for name, p in codec.params])
            out.append(encode_compact(i) + _strs(codec.path) + params + self._type_def(codec) + _strs(codec.docs))
            i += 1
        return _vec(out)


def _storage(reg: TypeRegistry, pallet) -> bytes | None:
    if not pallet.storage:
        return None
    entries = []
    for item in pallet.storage:
        modifier = b"\x01" if item.has_default else b"\x00"
        if isinstance(item, StorageMap):
            ty = (b"\x01" + _vec([bytes([h]) for h in item.hashers]) + encode_compact(reg.id(item.key_codec))
                  + encode_compact(reg.id(item.codec)))
        else:
            ty = b"\x00" + encode_compact(reg.id(item.codec))
        entries.append(_str(item.name) + modifier + ty + _vec([item.default_bytes[i:i + 1]
                                                               for i in range(len(item.default_bytes))])
                       + _strs(item.docs))
    return _str(pallet.name) + _vec(entries)


def _pallet(reg: TypeRegistry, pallet, v15: bool, overrides: dict) -> bytes:
    storage = _storage(reg, pallet)
    calls = encode_compact(reg.id(pallet.call_enum)) if pallet.calls else None
    event = encode_compact(reg.id(pallet.event_enum)) if pallet.event_enum.variants else None
    constants = _vec([_str(c.name) + encode_compact(reg.id(c.codec))
                      + _bytes(c.codec.encode(overrides.get((pallet.name, c.name), c.value)))
                      + _strs(c.docs) for c in pallet.constants])
    error_codec = pallet.error_codec()
    error = encode_compact(reg.id(error_codec)) if error_codec is not None else None
    out = (_str(pallet.name) + _opt(storage) + _opt(calls) + _opt(event) + constants + _opt(error)
           + bytes([pallet.index]))
    if v15:
        out += _strs(pallet.docs)
    return out


def _bytes(raw: bytes) -> bytes:
    return encode_compact(len(raw)) + raw


def _signed_extensions(reg: TypeRegistry) -> bytes:
    return _vec([_str(ext.identifier) + encode_compact(reg.id(ext.extra)) + encode_compact(reg.id(ext.additional))
                 for ext in SIGNED_EXTENSIONS])


def build_metadata(runtime: Runtime, version: int, overrides: dict | None = None) -> bytes:
    """`overrides`: {(pallet, constant): value} for the constants a chain's genesis sets."""
    overrides = overrides or {}
    if version not in (14, 15):
        raise ValueError(f"metadata version {version} not supported")
    reg = TypeRegistry()
    # Outer enums first so clients see RuntimeCall/RuntimeEvent early (not required, but tidy).
    reg.id(runtime.call_enum)
    reg.id(runtime.event_enum)
    pallets = _vec([_pallet(reg, p, version == 15, overrides) for p in runtime.pallets])
    uxt_id = reg.id(UncheckedExtrinsicType)
    runtime_type = reg.id(_RUNTIME_TYPE)
    if version == 14:
        extrinsic = encode_compact(uxt_id) + b"\x04" + _signed_extensions(reg)
        body = pallets + extrinsic + encode_compact(runtime_type)
    else:
        from runtime.extrinsic import ExtraType
        extrinsic = (b"\x04" + encode_compact(reg.id(MultiAddress)) + encode_compact(reg.id(runtime.call_enum))
                     + encode_compact(reg.id(MultiSignature)) + encode_compact(reg.id(ExtraType))
                     + _signed_extensions(reg))
        apis = _vec([_runtime_api(reg, api) for api in RUNTIME_APIS])
        outer_enums = (encode_compact(reg.id(runtime.call_enum)) + encode_compact(reg.id(runtime.event_enum))
                       + encode_compact(reg.id(runtime.error_enum)))
        custom = encode_compact(0)
        body = pallets + extrinsic + encode_compact(runtime_type) + apis + outer_enums + custom
    return MAGIC + bytes([version]) + reg.encode() + body


def _runtime_api(reg: TypeRegistry, api) -> bytes:
    methods = _vec([_str(m.name) + _vec([_str(n) + encode_compact(reg.id(c)) for n, c in m.inputs])
                    + encode_compact(reg.id(m.output)) + _strs(m.docs) for m in api.methods])
    return _str(api.name) + methods + _strs(api.docs)


from primitives.scale import Struct  # noqa: E402

_RUNTIME_TYPE = Struct(("agora_runtime", "Runtime"), [])


@functools.cache
def metadata_bytes(version: int, slot_ms: int = aura.DEFAULT_SLOT_DURATION_MS) -> bytes:
    return build_metadata(get_runtime(), version, {("Aura", "SlotDuration"): slot_ms})


def metadata_at(state, version: int) -> bytes:
    """The metadata of the runtime as the chain at `state` runs it (its slot duration included)."""
    return metadata_bytes(version, aura.slot_duration(state))


SUPPORTED_VERSIONS = (14, 15)

__all__ = ["build_metadata", "metadata_bytes", "metadata_at", "SUPPORTED_VERSIONS", "AccountId"]
