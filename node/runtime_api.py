"""`state_call`: the runtime's API table (`runtime.api_table`), run at the state of a given block.

The node lends the runtime its host functions (the block's header, the genesis hash, the trie
roots) and nothing else: which APIs exist and what they answer is the runtime's."""
from __future__ import annotations

from runtime.api_table import CallAt, RuntimeApiError, call as call_at
from runtime.apis import TransactionSource, TransactionValidity, ValidTransaction, ValidTransactionType
from runtime.extrinsic import TransactionValidityError
from storage.trie import ordered_trie_root

__all__ = ["RuntimeApiError", "ValidTransaction", "call", "validate_transaction"]


class _ChainHost:
    """The host functions a runtime API call may use, read from the chain only when asked for."""

    def __init__(self, chain):
        self._chain = chain

    @property
    def genesis_hash(self) -> bytes:
        return self._chain.genesis_hash

    @property
    def verified_signatures(self):
        return self._chain.verified_signatures

    def header(self, block_hash: bytes) -> dict | None:
        return self._chain.header(block_hash)

    def state_root(self, parent_state_root: bytes, changes: dict) -> bytes:
        return self._chain.store.trie_at(parent_state_root).apply(changes)[0]   # its own node cache: the importer's is not shared

    def extrinsics_root(self, extrinsics: list[bytes]) -> bytes:
        return ordered_trie_root(extrinsics)


def call(chain, block_hash: bytes, name: str, data: bytes) -> bytes:
    state = chain.state_at(block_hash)
    if state is None:
        raise RuntimeApiError(f"UnknownBlock: 0x{block_hash.hex()}")
    return call_at(CallAt(state, block_hash, _ChainHost(chain)), name, data)


_EXTERNAL = TransactionSource.encode("External")   # from RPC or a peer: not produced by this node


def validate_transaction(chain, raw: bytes) -> ValidTransaction:
    """TaggedTransactionQueue_validate_transaction of `raw` (an encoded extrinsic, length prefix
    included) on the best block, as Substrate's pool asks its runtime. Raises
    TransactionValidityError with the runtime's verdict, RuntimeApiError if it could not run."""
    best = chain.best_hash
    result = call(chain, best, "TaggedTransactionQueue_validate_transaction", _EXTERNAL + raw + best)
    if result[:1] == b"\x00":   # Ok(ValidTransaction): the struct's own fast decoder (every submission)
        return ValidTransactionType.decode(result[1:])
    verdict, value = TransactionValidity.decode(result)
    raise TransactionValidityError.from_scale_value(value)
