"""The runtime's API to its client: plain functions over a block's state.

These are Substrate's runtime APIs in Python form (AuraApi, AccountNonceApi, TransactionPaymentApi,
the Timestamp inherent's data): the node reads the runtime's state only through them, through the
block-execution functions of `runtime.block_execution`, and through `state_call` (their SCALE form,
`runtime/api_table.py`). The node imports no pallet; a test (tests/test_import_graph.py) holds it so.
"""
from __future__ import annotations

from runtime.pallets import aura, system, timestamp, transaction_payment

AURA_ENGINE_ID = aura.ENGINE_ID            # the consensus engine id of Aura's pre-runtime and seal digests


def aura_authorities(state) -> list[bytes]:
    """AuraApi_authorities: the sr25519 public keys that author slots in turn."""
    return list(aura.Authorities.get(state))


def aura_slot_duration(state) -> int:
    """AuraApi_slot_duration, in milliseconds."""
    return aura.slot_duration(state)


def aura_current_slot(state) -> int:
    """The slot of the block whose post-state this is."""
    return aura.CurrentSlot.get(state)


def aura_slot_from_digest(digest: dict) -> int | None:
    """The slot an Aura pre-runtime digest names, or None if the digest has none."""
    return aura.slot_from_digest(digest)


def block_number(state) -> int:
    """System.Number: the number of the block whose post-state this is."""
    return system.Number.get(state)


def account_nonce(state, who: bytes) -> int:
    """AccountNonceApi_account_nonce."""
    return system.Account.get(state, who).nonce


def timestamp_now(state) -> int:
    """The block's Timestamp.now (ms), as set by its inherent."""
    return timestamp.Now.get(state)


compute_fee_details = transaction_payment.compute_fee_details   # TransactionPaymentApi_query_*
weight_to_fee = transaction_payment.weight_to_fee                # TransactionPaymentApi_query_weight_to_fee
length_to_fee = transaction_payment.length_to_fee                # TransactionPaymentApi_query_length_to_fee
