"""Runtime APIs served through `state_call` and described in metadata V15.

Each method decodes its SCALE input, runs against the state of the requested block, and
returns SCALE bytes, as a Wasm runtime's exported `<Api>_<method>` would. Subtensor's APIs
(`runtime/pallets/subtensor/rpc_info/`) carry their implementation (`API_HANDLERS`).
"""
from __future__ import annotations

import dataclasses
import struct
from typing import Any

from runtime.frame.api import ApiMethod, RuntimeApi, handlers
from runtime.pallets.subtensor.rpc_info import SUBTENSOR_APIS
from primitives.scale import (
    U8, U32, U64, U128, Bool, Bytes, Enum, Field, FixedBytes, Option, Result, ScaleError, Struct, Unit, Variant,
    Vec,
    tuple_of,
)
from primitives.types import (
    AccountId, DispatchClass, DispatchErrorType, Header, Named, RuntimeVersionType, Weight, annotated_fields,
    scale_struct,
)


OpaqueMetadata = Struct("sp_core::OpaqueMetadata", [Field(None, Bytes, "Vec<u8>")])

Balance = Named(U128, "Balance")
PAYMENT = "pallet_transaction_payment::types::"


@scale_struct(PAYMENT + "RuntimeDispatchInfo", values="dict", params=(("Balance", U128), ("Weight", Weight)))
class RuntimeDispatchInfo:
    weight: Weight
    # `class` is a Python keyword: the attribute is `class_`, the field (and the dict key) `class`
    class_: DispatchClass
    partial_fee: Balance


@scale_struct(PAYMENT + "InclusionFee", values="dict", params=(("Balance", U128),))
class InclusionFee:
    base_fee: Balance
    len_fee: Balance
    adjusted_weight_fee: Balance


@scale_struct(PAYMENT + "FeeDetails", values="dict", params=(("Balance", U128),))
class FeeDetails:
    inclusion_fee: Named(Option(InclusionFee), "Option<InclusionFee<Balance>>")
    tip: Balance

TransactionSource = Enum("sp_runtime::transaction_validity::TransactionSource",
                         [Variant("InBlock", 0), Variant("Local", 1), Variant("External", 2)])
InvalidTransactionType = Enum("sp_runtime::transaction_validity::InvalidTransaction", [
    Variant("Call", 0), Variant("Payment", 1), Variant("Future", 2), Variant("Stale", 3), Variant("BadProof", 4),
    Variant("AncientBirthBlock", 5), Variant("ExhaustsResources", 6), Variant("Custom", 7, (Field(None, U8, "u8"),)),
    Variant("BadMandatory", 8), Variant("MandatoryValidation", 9), Variant("BadSigner", 10)])
UnknownTransactionType = Enum("sp_runtime::transaction_validity::UnknownTransaction", [
    Variant("CannotLookup", 0), Variant("NoUnsignedValidator", 1), Variant("Custom", 2, (Field(None, U8, "u8"),))])
TransactionValidityErrorType = Enum("sp_runtime::transaction_validity::TransactionValidityError", [
    Variant("Invalid", 0, (Field(None, InvalidTransactionType, "InvalidTransaction"),)),
    Variant("Unknown", 1, (Field(None, UnknownTransactionType, "UnknownTransaction"),))])


@dataclasses.dataclass
class ValidTransaction:
    """What the pool learns of a valid transaction: its priority (higher first), the tags it
    requires (other transactions must provide them first) and provides, and for how many blocks
    the verdict holds."""
    priority: Named(U64, "TransactionPriority")
    requires: Named(Vec(Bytes), "Vec<TransactionTag>")
    provides: Named(Vec(Bytes), "Vec<TransactionTag>")
    longevity: Named(U64, "TransactionLongevity")
    propagate: Bool


_TAGS = Vec(Bytes)
_U64 = struct.Struct("<Q")


class _ValidTransactionCodec(Struct):
    """`ValidTransaction` with a fixed-layout fast path: every pool submission's verdict is encoded
    by the runtime and decoded by the node. Metadata comes from the declared fields as usual."""

    def encode_into(self, value: Any, out: bytearray) -> None:
        if type(value) is not ValidTransaction or type(value.propagate) is not bool:
            super().encode_into(value, out)
            return
        try:
            out += _U64.pack(value.priority)
            _TAGS.encode_into(value.requires, out)
            _TAGS.encode_into(value.provides, out)
            out += _U64.pack(value.longevity)
        except struct.error as exc:
            raise ScaleError(f"ValidTransaction: {exc}") from None
        out.append(value.propagate)

    def decode_from(self, data: bytes, pos: int) -> tuple[ValidTransaction, int]:
        (priority,) = _U64.unpack_from(data, pos)
        requires, pos = _TAGS.decode_from(data, pos + 8)
        provides, pos = _TAGS.decode_from(data, pos)
        (longevity,) = _U64.unpack_from(data, pos)
        propagate = data[pos + 8]
        if propagate > 1:
            raise ScaleError(f"bool: invalid byte {propagate}")
        return ValidTransaction(priority, requires, provides, longevity, propagate == 1), pos + 9


ValidTransactionType = _ValidTransactionCodec("sp_runtime::transaction_validity::ValidTransaction",
                                              annotated_fields(ValidTransaction), cls=ValidTransaction)
# sp_runtime::transaction_validity::TransactionValidity, what TaggedTransactionQueue_validate_transaction returns
TransactionValidity = Result(ValidTransactionType, TransactionValidityErrorType)

UncheckedExtrinsicRef = Bytes  # an opaque extrinsic: clients pass the encoded bytes

SlotDuration = Struct("sp_consensus_slots::SlotDuration", [Field(None, U64, "u64")])
AuraAuthorityId = Struct("sp_consensus_aura::sr25519::app_sr25519::Public",
                         [Field(None, FixedBytes(32), "sr25519::Public")])

DispatchOutcome = Result(Unit, DispatchErrorType)
ApplyExtrinsicResult = Result(DispatchOutcome, TransactionValidityErrorType)

InherentIdentifier = FixedBytes(8)
_InherentMap = Struct("BTreeMap", [Field(None, Vec(tuple_of(InherentIdentifier, Bytes)))],  # a newtype
                      params=(("K", InherentIdentifier), ("V", Bytes)))


@scale_struct("sp_inherents::InherentData", values="dict")
class InherentData:
    data: Named(_InherentMap, "BTreeMap<InherentIdentifier, Vec<u8>>")


@scale_struct("sp_inherents::CheckInherentsResult", values="dict")
class CheckInherentsResult:
    okay: Bool
    fatal_error: Bool
    errors: Named(InherentData, "InherentData")


OpaqueExtrinsic = Struct("sp_runtime::OpaqueExtrinsic", [Field(None, Bytes, "Vec<u8>")])


@scale_struct("sp_runtime::generic::block::Block", values="dict",
              params=(("Header", Header), ("Extrinsic", OpaqueExtrinsic)))
class OpaqueBlock:
    header: Header
    extrinsics: Named(Vec(OpaqueExtrinsic), "Vec<Extrinsic>")

RUNTIME_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("Core", (
        ApiMethod("version", (), RuntimeVersionType, ("Returns the version of the runtime.",)),
    ), ("The `Core` runtime api that every Substrate runtime needs to implement.",)),
    RuntimeApi("Metadata", (
        ApiMethod("metadata", (), OpaqueMetadata, ("Returns the metadata of a runtime.",)),
        ApiMethod("metadata_at_version", (("version", U32),), Option(OpaqueMetadata),
                  ("Returns the metadata at a given version.",)),
        ApiMethod("metadata_versions", (), Vec(U32), ("Returns the supported metadata versions.",)),
    ), ("The `Metadata` api trait that returns metadata for the runtime.",)),
    RuntimeApi("BlockBuilder", (
        ApiMethod("apply_extrinsic", (("extrinsic", UncheckedExtrinsicRef),), ApplyExtrinsicResult,
                  ("Apply the given extrinsic.",)),
        ApiMethod("finalize_block", (), Header, ("Finish the current block.",)),
        ApiMethod("inherent_extrinsics", (("inherent", InherentData),), Vec(UncheckedExtrinsicRef),
                  ("Generate inherent extrinsics. The inherent data will vary from chain to chain.",)),
        ApiMethod("check_inherents", (("block", OpaqueBlock), ("data", InherentData)), CheckInherentsResult,
                  ("Check that the inherents are valid. The inherent data will vary from chain to chain.",)),
    ), ("The `BlockBuilder` api trait that provides the required functionality for building a block.",)),
    RuntimeApi("TaggedTransactionQueue", (
        ApiMethod("validate_transaction", (("source", TransactionSource), ("tx", UncheckedExtrinsicRef),
                                           ("block_hash", FixedBytes(32))),
                  TransactionValidity, ("Validate the transaction.",)),
    ), ("The `TaggedTransactionQueue` api trait for interfering with the transaction queue.",)),
    RuntimeApi("AuraApi", (
        ApiMethod("slot_duration", (), SlotDuration, ("Returns the slot duration for Aura.",)),
        ApiMethod("authorities", (), Vec(AuraAuthorityId), ("Return the current set of authorities.",)),
    ), ("API necessary for block authorship with aura.",)),
    RuntimeApi("AccountNonceApi", (
        ApiMethod("account_nonce", (("account", AccountId),), U32, ("Get current account nonce of given `AccountId`.",)),
    ), ("The API to query account nonce.",)),
    RuntimeApi("TransactionPaymentApi", (
        ApiMethod("query_info", (("uxt", UncheckedExtrinsicRef), ("len", U32)), RuntimeDispatchInfo),
        ApiMethod("query_fee_details", (("uxt", UncheckedExtrinsicRef), ("len", U32)), FeeDetails),
        ApiMethod("query_weight_to_fee", (("weight", Weight),), U128),
        ApiMethod("query_length_to_fee", (("length", U32),), U128),
    )),
) + SUBTENSOR_APIS

# The APIs that run on state alone, decoded and encoded generically from their declaration; the
# others (block building, validation, metadata, payment) are implemented in `runtime/api_table.py`,
# whose API_TABLE serves every method declared here.
API_HANDLERS = handlers(RUNTIME_APIS)

__all__ = ["RUNTIME_APIS", "API_HANDLERS", "RuntimeApi", "ApiMethod", "RuntimeDispatchInfo", "FeeDetails",
           "ApplyExtrinsicResult", "InherentData", "CheckInherentsResult", "OpaqueBlock", "SlotDuration",
           "AuraAuthorityId",
           "TransactionValidityErrorType", "TransactionValidity", "ValidTransaction", "ValidTransactionType", "TransactionSource", "OpaqueMetadata"]
