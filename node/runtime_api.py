"""`state_call`: the runtime APIs, executed against the state of a given block."""
from __future__ import annotations

from runtime.apis import (
    API_HANDLERS, FeeDetails, RuntimeDispatchInfo, TransactionSource, TransactionValidityErrorType,
    ValidTransactionType,
)
from runtime.construct import split_call
from runtime.executive import extrinsic_weight, validate_transaction
from runtime.extrinsic import MalformedExtrinsic, TransactionValidityError, decode_extrinsic
from runtime.metadata import SUPPORTED_VERSIONS, metadata_bytes
from runtime.pallets import system, transaction_payment
from runtime.primitives.scale import U32, U128, Bytes, FixedBytes, Option, Result, ScaleError, Vec
from runtime.primitives.types import AccountId, RuntimeVersionType, Weight
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
            return OpaqueMetadata.encode(metadata_bytes(14))
        if name == "Metadata_metadata_versions":
            return Vec(U32).encode(list(SUPPORTED_VERSIONS))
        if name == "Metadata_metadata_at_version":
            version = U32.decode(data)
            blob = metadata_bytes(version) if version in SUPPORTED_VERSIONS else None
            return Option(OpaqueMetadata).encode(blob)
        if name == "AccountNonceApi_account_nonce":
            return U32.encode(system.Account.get(state, AccountId.decode(data)).nonce)
        if name == "TransactionPaymentApi_query_info":
            ext, spec, args, length = _query_info(chain, state, data)
            weight = extrinsic_weight(spec, args)
            fee = transaction_payment.compute_fee_details(length, spec.weight_of(args), 0, spec.pays_fee)
            return RuntimeDispatchInfo.encode({
                "weight": {"ref_time": weight.ref_time, "proof_size": weight.proof_size},
                "class": spec.dispatch_class, "partial_fee": fee.partial_fee if ext.is_signed else 0})
        if name == "TransactionPaymentApi_query_fee_details":
            ext, spec, args, length = _query_info(chain, state, data)
            fee = transaction_payment.compute_fee_details(length, spec.weight_of(args), ext.tip, spec.pays_fee)
            inclusion = None if not ext.is_signed else {
                "base_fee": fee.base_fee, "len_fee": fee.len_fee, "adjusted_weight_fee": fee.adjusted_weight_fee}
            return FeeDetails.encode({"inclusion_fee": inclusion, "tip": fee.tip})
        if name == "TransactionPaymentApi_query_weight_to_fee":
            weight = Weight.decode(data)
            return U128.encode(transaction_payment.weight_to_fee(weight["ref_time"]))
        if name == "TransactionPaymentApi_query_length_to_fee":
            return U128.encode(transaction_payment.length_to_fee(U32.decode(data)))
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
