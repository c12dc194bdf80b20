"""Extrinsic format v4: decoding, signed extensions, signing payloads, validity errors.

Layout: `Compact<len> ++ version byte (0x84 signed / 0x04 unsigned) ++ [address ++ signature
++ extra] ++ call`. The signed payload is `call ++ extra ++ additional_signed`, hashed with
blake2_256 first when longer than 256 bytes.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any

from runtime.frame.outer import RuntimeCallRef
from primitives.scale import (
    U32, U128, Bytes, Compact, Enum, Field, FixedBytes, Option, ScaleError, Struct, Variant, decode_compact,
    encode_compact, tuple_of,
)
from primitives.types import H256, Era, MultiAddress, MultiSignature, Named, scale_struct

EXTRINSIC_VERSION = 4
SIGNED_FLAG = 0x80


# --- Validity errors -------------------------------------------------------------------------
_INVALID_MESSAGES = {
    "Call": "Transaction call is not expected",
    "Payment": "Inability to pay some fees (e.g. account balance too low)",
    "Future": "Transaction will be valid in the future",
    "Stale": "Transaction is outdated",
    "BadProof": "Transaction has a bad signature",
    "AncientBirthBlock": "Transaction has an ancient birth block",
    "ExhaustsResources": "Transaction would exhaust the block limits",
    "BadMandatory": "A call was labelled as mandatory, but resulted in an Error.",
    "MandatoryValidation": "Transaction dispatch is mandatory; transactions must not be validated.",
    "BadSigner": "Invalid signing address",
}
_UNKNOWN_MESSAGES = {
    "CannotLookup": "Could not lookup information required to validate the transaction",
    "NoUnsignedValidator": "Could not find an unsigned validator for the unsigned transaction",
}


class TransactionValidityError(Exception):
    """`sp_runtime::TransactionValidityError`: Invalid(kind) or Unknown(kind)."""

    def __init__(self, kind: str, reason: str, code: int | None = None):
        self.kind = kind          # "Invalid" | "Unknown"
        self.reason = reason      # e.g. "BadProof", or "Custom" with a pallet-defined `code` (u8)
        self.code = code
        if reason == "Custom":
            message = f"Custom error: {code}"   # what Substrate's author RPC says for Custom(code)
        else:
            message = (_INVALID_MESSAGES if kind == "Invalid" else _UNKNOWN_MESSAGES).get(reason, reason)
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)

    def scale_value(self) -> tuple:
        """The `TransactionValidityError` value (runtime API results)."""
        return (self.kind, ("Custom", self.code) if self.reason == "Custom" else self.reason)

    @classmethod
    def from_scale_value(cls, value: tuple) -> "TransactionValidityError":
        """The error a decoded `TransactionValidityError` value names (the inverse of `scale_value`)."""
        kind, reason = value
        if isinstance(reason, tuple):       # ("Custom", code)
            return cls(kind, reason[0], reason[1])
        return cls(kind, reason)


def invalid(reason: str) -> TransactionValidityError:
    return TransactionValidityError("Invalid", reason)


def invalid_custom(code: int) -> TransactionValidityError:
    """`InvalidTransaction::Custom(code)`: a pallet's own validity rule (subtensor's codes, for one)."""
    return TransactionValidityError("Invalid", "Custom", code)


class MalformedExtrinsic(ValueError):
    """Bytes that do not decode as an extrinsic (RPC error 1001, "Extrinsic has invalid format")."""


# --- Signed extensions (order is part of the format) ---------------------------------------
@dataclasses.dataclass(frozen=True)
class SignedExtension:
    identifier: str
    extra: Any          # codec of what the extrinsic carries
    additional: Any     # codec of what is signed but not carried


def _ext_type(name: str, module: str, fields: list[Field]) -> Struct:
    return Struct(("frame_system", "extensions", module, name) if module.startswith("check_")
                  else (module, name), fields, params=(("T", None),))


_unit = tuple_of()
CheckMetadataHashMode = Enum("frame_metadata_hash_extension::Mode", [Variant("Disabled", 0), Variant("Enabled", 1)])


@scale_struct("frame_metadata_hash_extension::CheckMetadataHash", values="dict", params=(("T", None),))
class CheckMetadataHash:
    mode: Named(CheckMetadataHashMode, "Mode")


SIGNED_EXTENSIONS: tuple[SignedExtension, ...] = (
    SignedExtension("CheckNonZeroSender", _ext_type("CheckNonZeroSender", "check_non_zero_sender", []), _unit),
    SignedExtension("CheckSpecVersion", _ext_type("CheckSpecVersion", "check_spec_version", []), U32),
    SignedExtension("CheckTxVersion", _ext_type("CheckTxVersion", "check_tx_version", []), U32),
    SignedExtension("CheckGenesis", _ext_type("CheckGenesis", "check_genesis", []), H256),
    SignedExtension("CheckMortality", _ext_type("CheckMortality", "check_mortality", [Field(None, Era, "Era")]), H256),
    SignedExtension("CheckNonce", _ext_type("CheckNonce", "check_nonce", [Field(None, Compact(U32), "T::Nonce")]), _unit),
    SignedExtension("CheckWeight", _ext_type("CheckWeight", "check_weight", []), _unit),
    SignedExtension("ChargeTransactionPayment",
                    Struct(("pallet_transaction_payment", "ChargeTransactionPayment"),
                           [Field(None, Compact(U128), "BalanceOf<T>")], params=(("T", None),)), _unit),
    SignedExtension("CheckMetadataHash", CheckMetadataHash, Option(FixedBytes(32))),
)

ExtraType = tuple_of(*(ext.extra for ext in SIGNED_EXTENSIONS))

UncheckedExtrinsicType = Struct(
    ("sp_runtime", "generic", "unchecked_extrinsic", "UncheckedExtrinsic"),
    [Field(None, Bytes, "Vec<u8>")],
    params=(("Address", MultiAddress), ("Call", RuntimeCallRef), ("Signature", MultiSignature), ("Extra", ExtraType)),
)


# --- Era -------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class MortalEra:
    period: int
    phase: int

    def birth(self, current: int) -> int:
        return (max(current, self.phase) - self.phase) // self.period * self.period + self.phase

    def death(self, current: int) -> int:
        return self.birth(current) + self.period


def decode_era(data: bytes, pos: int) -> tuple[MortalEra | None, int]:
    first = data[pos]
    if first == 0:
        return None, pos + 1
    if pos + 2 > len(data):
        raise ScaleError("era: input too short")
    encoded = first | (data[pos + 1] << 8)
    period = 2 << (encoded % (1 << 4))
    quantize_factor = max(period >> 12, 1)
    phase = (encoded >> 4) * quantize_factor
    if period < 4 or phase >= period:
        raise ScaleError("era: invalid period or phase")
    return MortalEra(period, phase), pos + 2


def encode_era(era: MortalEra | None) -> bytes:
    if era is None:
        return b"\x00"
    period = era.period
    quantize_factor = max(period >> 12, 1)
    trailing_zeros = (period & -period).bit_length() - 1
    encoded = min(max(trailing_zeros - 1, 1), 15) | ((era.phase // quantize_factor) << 4)
    return encoded.to_bytes(2, "little")


def mortal_era(current: int, period: int) -> MortalEra:
    """`Era::mortal(period, current)` as polkadot-sdk computes it."""
    period = min(max(1 << (period - 1).bit_length(), 4), 1 << 16)
    phase = current % period
    quantize_factor = max(period >> 12, 1)
    return MortalEra(period, phase // quantize_factor * quantize_factor)


# --- Decoded extrinsic -----------------------------------------------------------------------
@dataclasses.dataclass
class Extrinsic:
    """A decoded extrinsic. `signer` is None for unsigned (inherent) extrinsics. Never changed once
    made: `decode_extrinsic` hands the same one to whoever decodes the same bytes."""

    raw: bytes                 # the full encoding, length prefix included (hashed for the tx hash)
    call: Any                  # decoded RuntimeCall value
    call_bytes: bytes
    signer: bytes | None = None
    signature: tuple[int, bytes] | None = None   # (MultiSignature variant index, bytes)
    era: MortalEra | None = None
    nonce: int = 0
    tip: int = 0
    metadata_hash_mode: int = 0
    extra_bytes: bytes = b""

    @property
    def is_signed(self) -> bool:
        return self.signer is not None

    def signing_payload(self, spec_version: int, tx_version: int, genesis_hash: bytes, era_block_hash: bytes) -> bytes:
        payload = (self.call_bytes + self.extra_bytes + spec_version.to_bytes(4, "little")
                   + tx_version.to_bytes(4, "little") + genesis_hash + era_block_hash + b"\x00")
        return payload


_SIG_LENGTHS = {0: 64, 1: 64, 2: 65}


_MEMO_MAX_LEN = 1024   # bytes: a transfer, a stake or a set_weights fits; a larger extrinsic is decoded afresh


def decode_extrinsic(raw: bytes) -> Extrinsic:
    """Decode `raw` (with its compact length prefix); raises MalformedExtrinsic.

    A small extrinsic decoded lately comes from a bounded memo: the node decodes a submission on a
    worker thread, then the runtime's TaggedTransactionQueue API and the block that includes it
    decode the same bytes again. Decoding is pure and an `Extrinsic` is never changed once made."""
    if type(raw) is bytes and len(raw) <= _MEMO_MAX_LEN:
        return _decode_memo(raw)
    return _decode(raw)


def _decode(raw: bytes) -> Extrinsic:
    try:
        length, pos = decode_compact(raw, 0)
        if pos + length != len(raw):
            raise MalformedExtrinsic("length prefix does not match the extrinsic's size")
        version = raw[pos]
        pos += 1
        if version & 0x7F != EXTRINSIC_VERSION:
            raise MalformedExtrinsic(f"unsupported extrinsic version {version & 0x7F}")
        if not version & SIGNED_FLAG:
            call, end = RuntimeCallRef.decode_prefix(raw, pos)
            if end != len(raw):
                raise MalformedExtrinsic("trailing bytes after the call")
            return Extrinsic(raw, call, raw[pos:end])
        address, pos = MultiAddress.decode_prefix(raw, pos)
        if address[0] not in ("Id", "Address32"):
            raise MalformedExtrinsic(f"unsupported address kind {address[0]}")
        sig_kind = raw[pos]
        if sig_kind not in _SIG_LENGTHS:
            raise MalformedExtrinsic(f"unknown signature kind {sig_kind}")
        sig_len = _SIG_LENGTHS[sig_kind]
        signature = raw[pos + 1:pos + 1 + sig_len]
        if len(signature) != sig_len:
            raise MalformedExtrinsic("truncated signature")
        pos = extra_start = pos + 1 + sig_len
        era, pos = decode_era(raw, pos)
        nonce, pos = decode_compact(raw, pos)
        tip, pos = decode_compact(raw, pos)
        if nonce > 0xFFFFFFFF or tip >> 128:
            raise MalformedExtrinsic("nonce or tip out of range")
        mode = raw[pos]
        if mode > 1:
            raise MalformedExtrinsic(f"invalid CheckMetadataHash mode {mode}")
        pos += 1
        extra_bytes = raw[extra_start:pos]
        call, end = RuntimeCallRef.decode_prefix(raw, pos)
        if end != len(raw):
            raise MalformedExtrinsic("trailing bytes after the call")
        return Extrinsic(raw, call, raw[pos:end], signer=address[1], signature=(sig_kind, signature), era=era,
                         nonce=nonce, tip=tip, metadata_hash_mode=mode, extra_bytes=extra_bytes)
    except MalformedExtrinsic:
        raise
    except (ScaleError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise MalformedExtrinsic(f"cannot decode extrinsic: {exc}") from exc


_decode_memo = functools.lru_cache(maxsize=4096)(_decode)   # thread-safe; failures are not kept


def encode_unsigned(call_bytes: bytes) -> bytes:
    body = bytes([EXTRINSIC_VERSION]) + call_bytes
    return encode_compact(len(body)) + body


def encode_signed(call_bytes: bytes, signer: bytes, sig_kind: int, signature: bytes, era: MortalEra | None,
                  nonce: int, tip: int) -> bytes:
    body = (bytes([EXTRINSIC_VERSION | SIGNED_FLAG]) + b"\x00" + signer + bytes([sig_kind]) + signature
            + encode_era(era) + encode_compact(nonce) + encode_compact(tip) + b"\x00" + call_bytes)
    return encode_compact(len(body)) + body


def extra_bytes(era: MortalEra | None, nonce: int, tip: int) -> bytes:
    return encode_era(era) + encode_compact(nonce) + encode_compact(tip) + b"\x00"


__all__ = ["Extrinsic", "decode_extrinsic", "encode_signed", "encode_unsigned", "SIGNED_EXTENSIONS", "ExtraType",
           "UncheckedExtrinsicType", "TransactionValidityError", "invalid", "invalid_custom", "MalformedExtrinsic", "MortalEra",
           "mortal_era", "extra_bytes"]
