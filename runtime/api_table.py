"""The implementations of the runtime APIs that `runtime/apis.py` declares: one table,
`{"<Api>_<method>": fn(at, input) -> output}`, SCALE bytes in and out, as a Wasm runtime's exports.

`at` is the block the call runs at (`CallAt`): its state, its hash, and the host functions a
Wasm runtime would get from its client (the block's header, the genesis hash, the trie roots).
The node's `state_call` looks a name up here and nowhere else (tests/runtime/test_api_table.py
holds declarations and table in step).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Protocol

from runtime import api as runtime_api
from runtime.apis import (
    API_HANDLERS, RUNTIME_APIS, ApplyExtrinsicResult, AuraAuthorityId, CheckInherentsResult, FeeDetails, InherentData,
    OpaqueBlock, OpaqueMetadata, RuntimeDispatchInfo, SlotDuration, TransactionSource, TransactionValidity,
    ValidTransaction, ValidTransactionType,
)
from runtime.block_execution import (
    MAX_TIMESTAMP_DRIFT_MS, TIMESTAMP_INHERENT, apply_extrinsic, block_timestamp, finalize_block, initialize_block,
    timestamp_inherent, validate_transaction,
)
from runtime.construct import get_runtime, split_call
from runtime.executive import extrinsic_weight
from runtime.extrinsic import MalformedExtrinsic, TransactionValidityError, decode_extrinsic
from runtime.frame.dispatch import InvalidBlock
from runtime.frame.state import StateReader
from runtime.metadata import SUPPORTED_VERSIONS, metadata_at
from runtime.version import VERSION
from primitives.scale import U32, U64, U128, Bytes, Option, ScaleError, Vec, decode_compact, encode_compact
from primitives.types import AccountId, Header, RuntimeVersionType, Weight
from primitives.verified_signatures import VerifiedSignatures


class RuntimeApiError(Exception):
    """Execution of a runtime API failed (RPC error 4003 "Client error: Execution failed: ...")."""


class Host(Protocol):
    """What the client lends the runtime for a call (Substrate's host functions)."""

    genesis_hash: bytes
    verified_signatures: VerifiedSignatures | None   # the client's cache of signatures it already checked

    def header(self, block_hash: bytes) -> dict | None: ...

    def state_root(self, parent_state_root: bytes, changes: dict) -> bytes: ...

    def extrinsics_root(self, extrinsics: list[bytes]) -> bytes: ...


@dataclasses.dataclass
class CallAt:
    state: StateReader
    block_hash: bytes
    host: Host

    @property
    def header(self) -> dict:
        header = self.host.header(self.block_hash)
        if header is None:
            raise RuntimeApiError(f"UnknownBlock: 0x{self.block_hash.hex()}")
        return header


ApiFn = Callable[[CallAt, bytes], bytes]


# --- Core, Metadata ------------------------------------------------------------------------------
def core_version(at: CallAt, data: bytes) -> bytes:
    return RuntimeVersionType.encode(VERSION.scale_value())


def metadata_metadata(at: CallAt, data: bytes) -> bytes:
    return OpaqueMetadata.encode(metadata_at(at.state, 14))


def metadata_versions(at: CallAt, data: bytes) -> bytes:
    return Vec(U32).encode(list(SUPPORTED_VERSIONS))


def metadata_at_version(at: CallAt, data: bytes) -> bytes:
    version = U32.decode(data)
    return Option(OpaqueMetadata).encode(metadata_at(at.state, version) if version in SUPPORTED_VERSIONS else None)


# --- AuraApi, AccountNonceApi --------------------------------------------------------------------
def aura_slot_duration(at: CallAt, data: bytes) -> bytes:
    return SlotDuration.encode(runtime_api.aura_slot_duration(at.state))


def aura_authorities(at: CallAt, data: bytes) -> bytes:
    return Vec(AuraAuthorityId).encode(runtime_api.aura_authorities(at.state))


def account_nonce(at: CallAt, data: bytes) -> bytes:
    return U32.encode(runtime_api.account_nonce(at.state, AccountId.decode(data)))


# --- TransactionPaymentApi -----------------------------------------------------------------------
def _uxt_and_len(data: bytes):
    _body, pos = Bytes.decode_prefix(data, 0)
    length = U32.decode(data[pos:])
    try:
        ext = decode_extrinsic(data[:pos])
    except MalformedExtrinsic as exc:
        raise RuntimeApiError(f"Other: Could not decode `uxt`: {exc}") from None
    _pallet, _name, args = split_call(ext.call)
    return ext, get_runtime().call_spec(ext.call), args, length


def payment_query_info(at: CallAt, data: bytes) -> bytes:
    ext, spec, args, length = _uxt_and_len(data)
    weight = extrinsic_weight(spec, args)
    fee = runtime_api.compute_fee_details(length, spec.weight_of(args), 0, spec.pays_fee)
    return RuntimeDispatchInfo.encode({
        "weight": {"ref_time": weight.ref_time, "proof_size": weight.proof_size},
        "class": spec.dispatch_class, "partial_fee": fee.partial_fee if ext.is_signed else 0})


def payment_query_fee_details(at: CallAt, data: bytes) -> bytes:
    ext, spec, args, length = _uxt_and_len(data)
    fee = runtime_api.compute_fee_details(length, spec.weight_of(args), ext.tip, spec.pays_fee)
    inclusion = None if not ext.is_signed else {
        "base_fee": fee.base_fee, "len_fee": fee.len_fee, "adjusted_weight_fee": fee.adjusted_weight_fee}
    return FeeDetails.encode({"inclusion_fee": inclusion, "tip": fee.tip})


def payment_query_weight_to_fee(at: CallAt, data: bytes) -> bytes:
    return U128.encode(runtime_api.weight_to_fee(Weight.decode(data)["ref_time"]))


def payment_query_length_to_fee(at: CallAt, data: bytes) -> bytes:
    return U128.encode(runtime_api.length_to_fee(U32.decode(data)))


# --- TaggedTransactionQueue ----------------------------------------------------------------------
def tagged_validate_transaction(at: CallAt, data: bytes) -> bytes:
    """As FRAME's `Executive::validate_transaction(source, tx, block_hash)`: valid as if in the block
    after the one whose state this is (System.Number + 1), built on `block_hash`. Signatures the
    client's cache already holds are not verified again; one that verifies is added to it."""
    _source, pos = TransactionSource.decode_prefix(data, 0)
    if pos == len(data):
        raise ScaleError("expected (source, tx, block_hash), got the source alone")
    length, start = decode_compact(data, pos)
    end = start + length
    if end + 32 != len(data):
        raise ScaleError(f"expected (source, tx, block_hash), got {len(data)} bytes")
    raw, block_hash = data[pos:end], data[end:]
    try:
        ext = decode_extrinsic(raw)
        valid = validate_transaction(get_runtime(), at.state, runtime_api.block_number(at.state), block_hash, ext,
                                     at.host.genesis_hash, verified=at.host.verified_signatures)
    except MalformedExtrinsic as exc:
        raise RuntimeApiError(f"Other: Could not decode `tx`: {exc}") from None
    except TransactionValidityError as err:
        return TransactionValidity.encode(("Err", err.scale_value()))
    # Ok(ValidTransaction): the struct's own fast encoder after the Result's tag (every pool submission)
    return b"\x00" + ValidTransactionType.encode(ValidTransaction(
        valid.priority, valid.requires, valid.provides, min(valid.longevity, 2**64 - 1), True))


# --- BlockBuilder --------------------------------------------------------------------------------
def _next_block(at: CallAt):
    """A block being built on `at` (as the author would start it), in a throw-away overlay."""
    return initialize_block(get_runtime(), at.state, at.header["number"] + 1, at.block_hash, {"logs": []},
                            at.host.genesis_hash)


def builder_apply_extrinsic(at: CallAt, data: bytes) -> bytes:
    try:
        ext = decode_extrinsic(data)
    except MalformedExtrinsic as exc:
        raise RuntimeApiError(f"Other: Could not decode `extrinsic`: {exc}") from None
    builder = _next_block(at)
    try:
        outcome = apply_extrinsic(builder, ext)
    except TransactionValidityError as err:
        return ApplyExtrinsicResult.encode(("Err", (err.kind, err.reason)))
    except InvalidBlock as exc:
        raise RuntimeApiError(f"Other: {exc}") from None
    return ApplyExtrinsicResult.encode(("Ok", ("Ok", ()) if outcome.success else ("Err", outcome.error.value)))


def builder_inherent_extrinsics(at: CallAt, data: bytes) -> bytes:
    inherents = dict(InherentData.decode(data)["data"])
    out = []
    if TIMESTAMP_INHERENT in inherents:
        out.append(timestamp_inherent(U64.decode(inherents[TIMESTAMP_INHERENT])))
    return encode_compact(len(out)) + b"".join(out)


def _first_timestamp(extrinsics: list[bytes]) -> int | None:
    for raw in extrinsics[:1]:
        try:
            return block_timestamp(decode_extrinsic(encode_compact(len(raw)) + raw))
        except MalformedExtrinsic:
            return None
    return None


def builder_check_inherents(at: CallAt, data: bytes) -> bytes:
    block, pos = OpaqueBlock.decode_prefix(data, 0)
    inherents = dict(InherentData.decode(data[pos:])["data"])
    errors = []
    if TIMESTAMP_INHERENT in inherents:
        ours = U64.decode(inherents[TIMESTAMP_INHERENT])
        stamped = _first_timestamp(block["extrinsics"])
        if stamped is not None and stamped > ours + MAX_TIMESTAMP_DRIFT_MS:
            errors.append((TIMESTAMP_INHERENT, b"\x01"))    # pallet_timestamp InherentError::TooFarInFuture
    return CheckInherentsResult.encode({"okay": not errors, "fatal_error": bool(errors), "errors": {"data": errors}})


def builder_finalize_block(at: CallAt, data: bytes) -> bytes:
    """The next block as an author would close it with no transactions: stamped one slot on."""
    builder = _next_block(at)
    now = runtime_api.timestamp_now(at.state) + runtime_api.aura_slot_duration(at.state)
    inherent = timestamp_inherent(now)
    try:
        apply_extrinsic(builder, decode_extrinsic(inherent))
        ctx = finalize_block(builder)
    except (InvalidBlock, TransactionValidityError) as exc:
        raise RuntimeApiError(f"Other: {exc}") from None
    parent = at.header
    return Header.encode({"parent_hash": at.block_hash, "number": parent["number"] + 1,
                          "state_root": at.host.state_root(parent["state_root"], ctx.state.changes),
                          "extrinsics_root": at.host.extrinsics_root([inherent]), "digest": {"logs": []}})


def _state_only(handler) -> ApiFn:
    return lambda at, data: handler(at.state, data)


# Every declared method, by its exported name.
API_TABLE: dict[str, ApiFn] = {
    **{name: _state_only(handler) for name, handler in API_HANDLERS.items()},
    "Core_version": core_version,
    "Metadata_metadata": metadata_metadata,
    "Metadata_metadata_at_version": metadata_at_version,
    "Metadata_metadata_versions": metadata_versions,
    "BlockBuilder_apply_extrinsic": builder_apply_extrinsic,
    "BlockBuilder_finalize_block": builder_finalize_block,
    "BlockBuilder_inherent_extrinsics": builder_inherent_extrinsics,
    "BlockBuilder_check_inherents": builder_check_inherents,
    "TaggedTransactionQueue_validate_transaction": tagged_validate_transaction,
    "AuraApi_slot_duration": aura_slot_duration,
    "AuraApi_authorities": aura_authorities,
    "AccountNonceApi_account_nonce": account_nonce,
    "TransactionPaymentApi_query_info": payment_query_info,
    "TransactionPaymentApi_query_fee_details": payment_query_fee_details,
    "TransactionPaymentApi_query_weight_to_fee": payment_query_weight_to_fee,
    "TransactionPaymentApi_query_length_to_fee": payment_query_length_to_fee,
}

DECLARED = frozenset(f"{api.name}_{method.name}" for api in RUNTIME_APIS for method in api.methods)


def call(at: CallAt, name: str, data: bytes) -> bytes:
    """Run the runtime API `name` at `at` (what `state_call` does)."""
    fn = API_TABLE.get(name)
    if fn is None:
        raise RuntimeApiError(f"Other: Exported method {name} is not found")
    try:
        return fn(at, data)
    except ScaleError as exc:
        raise RuntimeApiError(f"Other: Could not decode input of {name}: {exc}") from None
