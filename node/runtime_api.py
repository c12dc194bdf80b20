"""`state_call`: the runtime APIs, executed against the state of a given block."""
from __future__ import annotations

from runtime.apis import (
    API_HANDLERS, ApplyExtrinsicResult, AuraAuthorityId, CheckInherentsResult, FeeDetails, InherentData, OpaqueBlock,
    RuntimeDispatchInfo, SlotDuration, TransactionSource, TransactionValidityErrorType, ValidTransactionType,
)
from runtime.construct import split_call
from runtime.executive import (
    apply_extrinsic, extrinsic_weight, finalize_block, initialize_block, validate_transaction,
)
from runtime.extrinsic import MalformedExtrinsic, TransactionValidityError, decode_extrinsic, encode_unsigned
from runtime.frame.dispatch import InvalidBlock
from runtime.metadata import SUPPORTED_VERSIONS, metadata_at
from runtime import api as runtime_api
from primitives.types import Header
from primitives.scale import U32, U64, U128, Bytes, FixedBytes, Option, Result, ScaleError, Vec, encode_compact
from storage.trie import ordered_trie_root
from primitives.types import AccountId, RuntimeVersionType, Weight
from runtime.version import VERSION
from runtime.apis import OpaqueMetadata


class RuntimeApiError(Exception):
    """Execution of a runtime API failed (RPC error 4003 "Client error: Execution failed: ...")."""


def _split_uxt_and_len(data: bytes) -> tuple[bytes, int]:
    body, pos = Bytes.decode_prefix(data, 0)
    length = U32.decode(data[pos:])
    return data[:pos], length


def _query_info(chain, state, data: bytes):
    raw, length = _split_uxt_and_len(data)
    try:
        ext = decode_extrinsic(raw)
    except MalformedExtrinsic as exc:
        raise RuntimeApiError(f"Other: Could not decode `uxt`: {exc}") from None
    _pallet, _name, args = split_call(ext.call)
    return ext, chain.runtime.call_spec(ext.call), args, length


def call(chain, block_hash: bytes, name: str, data: bytes) -> bytes:
    state = chain.state_at(block_hash)
    if state is None:
        raise RuntimeApiError(f"UnknownBlock: 0x{block_hash.hex()}")
    try:
        handler = API_HANDLERS.get(name)
        if handler is not None:
            return handler(state, data)
        if name == "Core_version":
            return RuntimeVersionType.encode(VERSION.scale_value())
        if name == "Metadata_metadata":
            return OpaqueMetadata.encode(metadata_at(state, 14))
        if name == "Metadata_metadata_versions":
            return Vec(U32).encode(list(SUPPORTED_VERSIONS))
        if name == "Metadata_metadata_at_version":
            version = U32.decode(data)
            blob = metadata_at(state, version) if version in SUPPORTED_VERSIONS else None
            return Option(OpaqueMetadata).encode(blob)
        if name == "AccountNonceApi_account_nonce":
            return U32.encode(runtime_api.account_nonce(state, AccountId.decode(data)))
        if name == "TransactionPaymentApi_query_info":
            ext, spec, args, length = _query_info(chain, state, data)
            weight = extrinsic_weight(spec, args)
            fee = runtime_api.compute_fee_details(length, spec.weight_of(args), 0, spec.pays_fee)
            return RuntimeDispatchInfo.encode({
                "weight": {"ref_time": weight.ref_time, "proof_size": weight.proof_size},
                "class": spec.dispatch_class, "partial_fee": fee.partial_fee if ext.is_signed else 0})
        if name == "TransactionPaymentApi_query_fee_details":
            ext, spec, args, length = _query_info(chain, state, data)
            fee = runtime_api.compute_fee_details(length, spec.weight_of(args), ext.tip, spec.pays_fee)
            inclusion = None if not ext.is_signed else {
                "base_fee": fee.base_fee, "len_fee": fee.len_fee, "adjusted_weight_fee": fee.adjusted_weight_fee}
            return FeeDetails.encode({"inclusion_fee": inclusion, "tip": fee.tip})
        if name == "TransactionPaymentApi_query_weight_to_fee":
            weight = Weight.decode(data)
            return U128.encode(runtime_api.weight_to_fee(weight["ref_time"]))
        if name == "TransactionPaymentApi_query_length_to_fee":
            return U128.encode(runtime_api.length_to_fee(U32.decode(data)))
        if name == "AuraApi_slot_duration":
            return SlotDuration.encode(runtime_api.aura_slot_duration(state))
        if name == "AuraApi_authorities":
            return Vec(AuraAuthorityId).encode(runtime_api.aura_authorities(state))
        if name.startswith("BlockBuilder_"):
            return _block_builder(chain, block_hash, state, name, data)
        if name == "TaggedTransactionQueue_validate_transaction":
            _source, pos = TransactionSource.decode_prefix(data, 0)
            _body, end = Bytes.decode_prefix(data, pos)
            raw = data[pos:end]
            FixedBytes(32).decode(data[end:])
            header = chain.header(block_hash)
            result_type = Result(ValidTransactionType, TransactionValidityErrorType)
            try:
                ext = decode_extrinsic(raw)
                valid = validate_transaction(chain.runtime, state, header["number"], block_hash, ext,
                                             chain.genesis_hash)
            except MalformedExtrinsic as exc:
                raise RuntimeApiError(f"Other: Could not decode `tx`: {exc}") from None
            except TransactionValidityError as err:
                return result_type.encode(("Err", err.scale_value()))
            return result_type.encode(("Ok", {"priority": valid.priority, "requires": list(valid.requires),
                                              "provides": list(valid.provides),
                                              "longevity": min(valid.longevity, 2**64 - 1), "propagate": True}))
    except ScaleError as exc:
        raise RuntimeApiError(f"Other: Could not decode input of {name}: {exc}") from None
    raise RuntimeApiError(f"Other: Exported method {name} is not found")


# --- BlockBuilder ------------------------------------------------------------------------------
TIMESTAMP_INHERENT = b"timstap0"
MAX_TIMESTAMP_DRIFT_MS = 30_000   # pallet_timestamp's check_inherent: how far ahead of our clock a block may be


def _next_block(chain, block_hash: bytes, state):
    """A block being built on `block_hash` (as the author would start it), in a throw-away overlay."""
    header = chain.header(block_hash)
    return initialize_block(chain.runtime, state, header["number"] + 1, block_hash, {"logs": []}, chain.genesis_hash)


def _timestamp_inherent(now_ms: int) -> bytes:
    call = chain_call_enum().encode(("Timestamp", ("set", {"now": now_ms})))
    return encode_unsigned(call)


def chain_call_enum():
    from runtime.construct import get_runtime

    return get_runtime().call_enum


def _block_builder(chain, block_hash: bytes, state, name: str, data: bytes) -> bytes:
    if name == "BlockBuilder_apply_extrinsic":
        try:
            ext = decode_extrinsic(data)
        except MalformedExtrinsic as exc:
            raise RuntimeApiError(f"Other: Could not decode `extrinsic`: {exc}") from None
        builder = _next_block(chain, block_hash, state)
        try:
            outcome = apply_extrinsic(builder, ext)
        except TransactionValidityError as err:
            return ApplyExtrinsicResult.encode(("Err", (err.kind, err.reason)))
        except InvalidBlock as exc:
            raise RuntimeApiError(f"Other: {exc}") from None
        return ApplyExtrinsicResult.encode(("Ok", ("Ok", ()) if outcome.success else ("Err", outcome.error.value)))
    if name == "BlockBuilder_inherent_extrinsics":
        inherents = dict(InherentData.decode(data)["data"])
        out = []
        if TIMESTAMP_INHERENT in inherents:
            out.append(_timestamp_inherent(U64.decode(inherents[TIMESTAMP_INHERENT])))
        return encode_compact(len(out)) + b"".join(out)
    if name == "BlockBuilder_check_inherents":
        block, pos = OpaqueBlock.decode_prefix(data, 0)
        inherents = dict(InherentData.decode(data[pos:])["data"])
        errors = []
        if TIMESTAMP_INHERENT in inherents:
            ours = U64.decode(inherents[TIMESTAMP_INHERENT])
            stamped = _block_timestamp(block["extrinsics"])
            if stamped is not None and stamped > ours + MAX_TIMESTAMP_DRIFT_MS:
                errors.append((TIMESTAMP_INHERENT, b"\x01"))    # pallet_timestamp InherentError::TooFarInFuture
        return CheckInherentsResult.encode({"okay": not errors, "fatal_error": bool(errors),
                                            "errors": {"data": errors}})
    if name == "BlockBuilder_finalize_block":
        # the next block as an author would close it with no transactions: stamped one slot on
        builder = _next_block(chain, block_hash, state)
        now = runtime_api.timestamp_now(state) + runtime_api.aura_slot_duration(state)
        try:
            apply_extrinsic(builder, decode_extrinsic(_timestamp_inherent(now)))
            ctx = finalize_block(builder)
        except (InvalidBlock, TransactionValidityError) as exc:
            raise RuntimeApiError(f"Other: {exc}") from None
        parent = chain.header(block_hash)
        state_root, _nodes = chain.trie.at(parent["state_root"]).apply(ctx.state.changes)
        extrinsics_root = ordered_trie_root([_timestamp_inherent(now)])
        return Header.encode({"parent_hash": block_hash, "number": parent["number"] + 1, "state_root": state_root,
                              "extrinsics_root": extrinsics_root, "digest": {"logs": []}})
    raise RuntimeApiError(f"Other: Exported method {name} is not found")


def _block_timestamp(extrinsics: list[bytes]) -> int | None:
    for raw in extrinsics[:1]:
        try:
            ext = decode_extrinsic(encode_compact(len(raw)) + raw)
        except MalformedExtrinsic:
            return None
        pallet, call_name, args = split_call(ext.call)
        if not ext.is_signed and (pallet, call_name) == ("Timestamp", "set"):
            return args["now"]
    return None
