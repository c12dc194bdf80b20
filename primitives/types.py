"""Substrate's shared on-chain types, declared once with the paths clients look for.

Type paths matter: scalecodec and polkadot.js pick their decoders by path
(`sp_core::crypto::AccountId32`, `sp_runtime::multiaddress::MultiAddress`, ...).
"""
from __future__ import annotations

import dataclasses
import struct
import sys
from typing import Annotated, Any, Callable, Sequence, get_origin

from primitives.scale import (
    Codec, ScaleError, U8, U32, U64, U128, Bytes, Compact, Enum, Field, FixedBytes, Struct, Variant, Vec,
    dataclass_fields, tuple_of,
)


# --- structs declared by annotated classes ------------------------------------------------------
def Named(codec: Codec, type_name: str) -> Any:
    """A field annotation: its codec, and the Rust type name metadata gives the field where that is
    not the codec's own (`netuid: Named(C16, "Compact<NetUid>")`, `fee: Named(U128, "Balance")`)."""
    return Annotated[codec, type_name]


def annotated_fields(cls: type) -> list[Field]:
    """A dataclass's fields as SCALE fields, declaration order: each annotation is a codec or a
    `Named` codec. Under `from __future__ import annotations` annotations are source strings,
    evaluated in the class's module (as `primitives.scale.annotated_codecs` does)."""
    namespace = vars(sys.modules[cls.__module__])
    codecs: dict[str, Codec] = {}
    type_names: dict[str, str] = {}
    for field in dataclasses.fields(cls):
        annotation = eval(field.type, namespace) if isinstance(field.type, str) else field.type  # noqa: S307
        if get_origin(annotation) is Annotated:
            type_names[field.name] = annotation.__metadata__[0]
            annotation = annotation.__origin__
        if not isinstance(annotation, Codec):
            raise TypeError(f"{cls.__name__}.{field.name}: annotation {field.type!r} is not a codec")
        codecs[field.name] = annotation
    return dataclass_fields(cls, codecs, type_names)


def scale_struct(path: str, *, values: str = "dataclass", params: Sequence[tuple[str, Codec | None]] = (),
                 docs: Sequence[str] = ()) -> Callable[[type], Any]:
    """Class decorator: the class's annotated fields declare the SCALE struct `path`, each field once.
    values="dataclass": the class becomes a dataclass whose `.codec` is the struct (values are its
    instances). values="dict": the decorator returns the codec itself; values are dicts by field name
    (the shape runtime APIs hand to clients), the class is only the declaration."""
    if values not in ("dataclass", "dict"):
        raise ValueError(f"values must be 'dataclass' or 'dict', not {values!r}")

    def declare(cls: type) -> Any:
        cls = dataclasses.dataclass(cls)
        fields = annotated_fields(cls)
        if values == "dict":
            return Struct(path, fields, params=params, docs=docs)
        cls.codec = Struct(path, fields, cls=cls, params=params, docs=docs)  # type: ignore[attr-defined]
        return cls

    return declare


TAO = 10**9
"""Rao (the smallest balance unit) per TAO: balances are integers in rao."""

H256 = Struct("primitive_types::H256", [Field(None, FixedBytes(32), "[u8; 32]")])
AccountId = Struct("sp_core::crypto::AccountId32", [Field(None, FixedBytes(32), "[u8; 32]")])
Balance = U128
BlockNumber = U32
Nonce = U32
Moment = U64

AccountIndex = U32  # MultiAddress::Index is accepted by the codec but never resolves to an account here

MultiAddress = Enum(
    "sp_runtime::multiaddress::MultiAddress",
    [
        Variant("Id", 0, (Field(None, AccountId, "AccountId"),)),
        Variant("Index", 1, (Field(None, Compact(U32), "AccountIndex"),)),
        Variant("Raw", 2, (Field(None, Bytes, "Vec<u8>"),)),
        Variant("Address32", 3, (Field(None, FixedBytes(32), "[u8; 32]"),)),
        Variant("Address20", 4, (Field(None, FixedBytes(20), "[u8; 20]"),)),
    ],
    params=(("AccountId", AccountId), ("AccountIndex", AccountIndex)),
)

Ed25519Signature = Struct("sp_core::ed25519::Signature", [Field(None, FixedBytes(64), "[u8; 64]")])
Sr25519Signature = Struct("sp_core::sr25519::Signature", [Field(None, FixedBytes(64), "[u8; 64]")])
EcdsaSignature = Struct("sp_core::ecdsa::Signature", [Field(None, FixedBytes(65), "[u8; 65]")])

MultiSignature = Enum(
    "sp_runtime::MultiSignature",
    [
        Variant("Ed25519", 0, (Field(None, Ed25519Signature, "ed25519::Signature"),)),
        Variant("Sr25519", 1, (Field(None, Sr25519Signature, "sr25519::Signature"),)),
        Variant("Ecdsa", 2, (Field(None, EcdsaSignature, "ecdsa::Signature"),)),
    ],
)



@scale_struct("sp_weights::weight_v2::Weight", values="dict")
class Weight:
    ref_time: Named(Compact(U64), "u64")
    proof_size: Named(Compact(U64), "u64")


DispatchClass = Enum("frame_support::dispatch::DispatchClass",
                     [Variant("Normal", 0), Variant("Operational", 1), Variant("Mandatory", 2)])
Pays = Enum("frame_support::dispatch::Pays", [Variant("Yes", 0), Variant("No", 1)])



@scale_struct("frame_support::dispatch::DispatchInfo", values="dict")
class DispatchInfo:
    weight: Weight
    class_: DispatchClass      # the field `class` (a Python keyword)
    pays_fee: Pays


@scale_struct("sp_runtime::ModuleError", values="dict")
class ModuleError:
    index: U8
    error: Named(FixedBytes(4), "[u8; MAX_MODULE_ERROR_ENCODED_SIZE]")


TokenError = Enum("sp_runtime::TokenError", [
    Variant(name, i) for i, name in enumerate([
        "FundsUnavailable", "OnlyProvider", "BelowMinimum", "CannotCreate", "UnknownAsset", "Frozen",
        "Unsupported", "CannotCreateHold", "NotExpendable", "Blocked"])])
ArithmeticError = Enum("sp_arithmetic::ArithmeticError",
                       [Variant("Underflow", 0), Variant("Overflow", 1), Variant("DivisionByZero", 2)])
TransactionalError = Enum("sp_runtime::TransactionalError",
                          [Variant("LimitReached", 0), Variant("NoLayer", 1)])

DispatchErrorType = Enum(
    "sp_runtime::DispatchError",
    [
        Variant("Other", 0), Variant("CannotLookup", 1), Variant("BadOrigin", 2),
        Variant("Module", 3, (Field(None, ModuleError, "ModuleError"),)),
        Variant("ConsumerRemaining", 4), Variant("NoProviders", 5), Variant("TooManyConsumers", 6),
        Variant("Token", 7, (Field(None, TokenError, "TokenError"),)),
        Variant("Arithmetic", 8, (Field(None, ArithmeticError, "ArithmeticError"),)),
        Variant("Transactional", 9, (Field(None, TransactionalError, "TransactionalError"),)),
        Variant("Exhausted", 10), Variant("Corruption", 11), Variant("Unavailable", 12),
        Variant("RootNotAllowed", 13),
    ],
)

Phase = Enum("frame_system::Phase", [
    Variant("ApplyExtrinsic", 0, (Field(None, U32, "u32"),)),
    Variant("Finalization", 1),
    Variant("Initialization", 2),
])

DigestItem = Enum("sp_runtime::generic::digest::DigestItem", [
    Variant("Other", 0, (Field(None, Bytes, "Vec<u8>"),)),
    Variant("Consensus", 4, (Field(None, FixedBytes(4), "ConsensusEngineId"), Field(None, Bytes, "Vec<u8>"))),
    Variant("Seal", 5, (Field(None, FixedBytes(4), "ConsensusEngineId"), Field(None, Bytes, "Vec<u8>"))),
    Variant("PreRuntime", 6, (Field(None, FixedBytes(4), "ConsensusEngineId"), Field(None, Bytes, "Vec<u8>"))),
    Variant("RuntimeEnvironmentUpdated", 8),
])


@scale_struct("sp_runtime::generic::digest::Digest", values="dict")
class Digest:
    logs: Vec(DigestItem)


@scale_struct("sp_runtime::generic::header::Header", values="dict", params=(("Number", U32), ("Hash", None)))
class Header:
    parent_hash: Named(FixedBytes(32), "Hash::Output")
    number: Named(Compact(U32), "Number")
    state_root: Named(FixedBytes(32), "Hash::Output")
    extrinsics_root: Named(FixedBytes(32), "Hash::Output")
    digest: Digest


Era = Enum("sp_runtime::generic::era::Era", [Variant("Immortal", 0)] + [
    Variant(f"Mortal{i}", i, (Field(None, U8),)) for i in range(1, 256)])

ExtraFlags = Struct("pallet_balances::types::ExtraFlags", [Field(None, U128, "u128")])   # a newtype: the value is the u128


@dataclasses.dataclass
class AccountData:
    free: Named(U128, "Balance") = 0
    reserved: Named(U128, "Balance") = 0
    frozen: Named(U128, "Balance") = 0
    flags: ExtraFlags = 0


@dataclasses.dataclass
class AccountInfo:
    nonce: Named(U32, "Nonce") = 0
    consumers: Named(U32, "RefCount") = 0
    providers: Named(U32, "RefCount") = 0
    sufficients: Named(U32, "RefCount") = 0
    data: AccountDataType = dataclasses.field(default_factory=AccountData)


def copy_account_info(info: AccountInfo) -> AccountInfo:
    """A copy a caller may mutate (of an `AccountInfo` built by `owned_account_info` or the codec)."""
    d = info.data
    return AccountInfo(info.nonce, info.consumers, info.providers, info.sufficients,
                       AccountData(d.free, d.reserved, d.frozen, d.flags))


def owned_account_info(value) -> AccountInfo | None:
    """A copy of `value` if `AccountInfoType` encodes it without error, else None: what System.Account
    keeps as an object until the block's end (storage `Typed`). The codec packs the four counters as
    u32 and the balances as u128 halves, taking anything int-like; the checks below pass exactly the
    int-likes in those ranges (a negative makes an OR negative, which shifts to -1; a float or None
    raises TypeError)."""
    if type(value) is not AccountInfo or type(value.data) is not AccountData:
        return None
    d = value.data
    n, c, p, s = value.nonce, value.consumers, value.providers, value.sufficients
    free, reserved, frozen, flags = d.free, d.reserved, d.frozen, d.flags
    try:
        if (n | c | p | s) >> 32 or (free | reserved | frozen | flags) >> 128:
            return None
    except TypeError:
        return None
    return AccountInfo(n, c, p, s, AccountData(free, reserved, frozen, flags))


AccountDataType = Struct("pallet_balances::types::AccountData", annotated_fields(AccountData),
                         params=(("Balance", U128),), cls=AccountData)

# nonce, consumers, providers, sufficients (u32), then free, reserved, frozen, flags (u128)
# as (low, high) u64 halves: one struct call instead of four int conversions.
_ACCOUNT_LAYOUT = struct.Struct("<4I8Q")
_U64_MASK = (1 << 64) - 1


class _AccountInfoCodec(Struct):
    """`frame_system::AccountInfo` with a fixed-layout fast path: it is read and written
    several times per transaction. Metadata comes from the declared fields as usual."""

    def encode_into(self, value, out: bytearray) -> None:
        if not isinstance(value, AccountInfo):
            super().encode_into(value, out)
            return
        try:
            d = value.data
            free, reserved, frozen, flags = d.free, d.reserved, d.frozen, d.flags
            m = _U64_MASK
            # struct rejects a negative half or a high half >= 2^64: exactly the u128 range
            out += _ACCOUNT_LAYOUT.pack(value.nonce, value.consumers, value.providers, value.sufficients,
                                        free & m, free >> 64, reserved & m, reserved >> 64,
                                        frozen & m, frozen >> 64, flags & m, flags >> 64)
        except (struct.error, AttributeError, TypeError) as exc:
            raise ScaleError(f"AccountInfo: {exc}") from None

    def decode_from(self, data: bytes, pos: int):
        if pos + 80 > len(data):
            raise ScaleError("AccountInfo: input too short")
        (nonce, consumers, providers, sufficients,
         f0, f1, r0, r1, z0, z1, g0, g1) = _ACCOUNT_LAYOUT.unpack_from(data, pos)
        account = AccountData(f0 | f1 << 64, r0 | r1 << 64, z0 | z1 << 64, g0 | g1 << 64)
        return AccountInfo(nonce, consumers, providers, sufficients, account), pos + 80


AccountInfoType = _AccountInfoCodec("frame_system::AccountInfo", annotated_fields(AccountInfo),
                                    params=(("Nonce", U32), ("AccountData", AccountDataType)), cls=AccountInfo)



@scale_struct("sp_version::RuntimeVersion", values="dict")
class RuntimeVersionType:
    spec_name: Named(Bytes, "RuntimeString")
    impl_name: Named(Bytes, "RuntimeString")
    authoring_version: U32
    spec_version: U32
    impl_version: U32
    apis: Named(Vec(tuple_of(FixedBytes(8), U32)), "ApisVec")
    transaction_version: U32
    state_version: U8

