"""The runtime's block-level entry points: what the node calls to import or author a block.

    execute_block        = process_decode -> process_signatures -> initialize_block
                           -> process_inherents + process_extrinsics -> finalize_block -> process_roots
    author:              initialize_block -> inherent_extrinsics(now) -> apply_extrinsic* -> finalize_block
    pool:                validate_transaction

As Substrate's Core_execute_block / BlockBuilder_* / TaggedTransactionQueue_validate_transaction:
the runtime alone decides whether a block or a transaction is valid. The node supplies the parent
state and the one host function the runtime cannot compute without the node's trie backend,
`roots(changes, extrinsics) -> (state_root, extrinsics_root, trie_nodes)` (Substrate's
`storage_root` / `ordered_trie_root` host functions), and commits what `execute_block` returns.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

from runtime.construct import Runtime, get_runtime, split_call
from runtime.executive import (
    ApplyOutcome, BlockBuilder, ValidTransaction, apply_extrinsic, finalize_block, initialize_block,
    remember_signature, validate_transaction, verify_block_signatures,
)
from runtime.extrinsic import (
    Extrinsic, MalformedExtrinsic, TransactionValidityError, decode_extrinsic, encode_unsigned,
)
from runtime.frame.dispatch import InvalidBlock, is_environment_fault
from runtime.frame.state import StateReader
from runtime.metadata import metadata_bytes
from runtime.pallets.subtensor.epoch import warm_up_kernel
from primitives.verified_signatures import VerifiedSignatures

TIMESTAMP_INHERENT = b"timstap0"   # the Timestamp inherent's identifier in InherentData
MAX_TIMESTAMP_DRIFT_MS = 30_000   # pallet_timestamp's check_inherent: how far ahead of our clock a block may be

# host function: (storage changes, encoded extrinsics) -> (state root, extrinsics root, new trie nodes)
Roots = Callable[[dict, list[bytes]], tuple[bytes, bytes, Any]]


@dataclasses.dataclass
class ExecutedBlock:
    """What a successful `execute_block` leaves for the node to commit."""

    changes: dict[bytes, bytes | None]
    nodes: Any                        # the trie nodes the host's `roots` produced
    signatures_verified: int
    decode_s: float = 0.0
    verify_s: float = 0.0
    execute_s: float = 0.0
    roots_s: float = 0.0


# --- inherents ---------------------------------------------------------------------------------
def timestamp_inherent(now_ms: int) -> bytes:
    """The encoded `Timestamp::set(now)` inherent."""
    return encode_unsigned(get_runtime().call_enum.encode(("Timestamp", ("set", {"now": now_ms}))))


def inherent_extrinsics(now_ms: int) -> list[Extrinsic]:
    """BlockBuilder_inherent_extrinsics: the inherents an author puts first in its block."""
    return [decode_extrinsic(timestamp_inherent(now_ms))]


def is_timestamp_inherent(ext: Extrinsic) -> bool:
    return not ext.is_signed and ext.call[0] == "Timestamp"


def block_timestamp(ext: Extrinsic) -> int | None:
    """The `now` a Timestamp inherent sets, or None if `ext` is not one."""
    if not is_timestamp_inherent(ext):
        return None
    _pallet, call_name, args = split_call(ext.call)
    return args["now"] if call_name == "set" else None


# --- Core_execute_block, step by step ------------------------------------------------------------
def process_decode(raw_extrinsics: list[bytes]) -> list[Extrinsic]:
    try:
        return [decode_extrinsic(raw) for raw in raw_extrinsics]
    except MalformedExtrinsic as exc:
        raise InvalidBlock(f"malformed extrinsic: {exc}") from exc


def process_inherents(extrinsics: list[Extrinsic]) -> None:
    """The block starts with its Timestamp inherent (pallet_timestamp's mandatory inherent)."""
    if not extrinsics or not is_timestamp_inherent(extrinsics[0]):
        raise InvalidBlock("the first extrinsic must be the timestamp inherent")


def process_extrinsics(builder: BlockBuilder, extrinsics: list[Extrinsic]) -> None:
    """Apply every extrinsic; signatures were checked in the batch (`process_signatures`)."""
    for index, ext in enumerate(extrinsics):
        try:
            apply_extrinsic(builder, ext, verify_signature=False)
        except TransactionValidityError as err:
            raise InvalidBlock(f"extrinsic {index} is invalid: {err}") from err


def process_roots(header: dict, state_root: bytes, extrinsics_root: bytes) -> None:
    if extrinsics_root != header["extrinsics_root"]:
        raise InvalidBlock("extrinsics root mismatch")
    if state_root != header["state_root"]:
        raise InvalidBlock(f"state root mismatch: computed 0x{state_root.hex()}")


def execute_block(parent_state, header: dict, raw_extrinsics: list[bytes], *, genesis_hash: bytes, roots: Roots,
                  verified: VerifiedSignatures | None = None, runtime: Runtime | None = None) -> ExecutedBlock:
    """Core_execute_block: check and execute `header` + `raw_extrinsics` on `parent_state`.

    `header` is the block's header without its seal (the seal is consensus, checked by the node's
    Aura verifier before this). Raises InvalidBlock; environment faults (MemoryError, OSError, a
    storage error) propagate unchanged for the node to report."""
    runtime = runtime or get_runtime()
    number, parent_hash = header["number"], header["parent_hash"]
    t0 = time.perf_counter()
    extrinsics = process_decode(raw_extrinsics)
    t1 = time.perf_counter()
    signatures = verify_block_signatures(parent_state, number, parent_hash, extrinsics, genesis_hash,
                                         verified=verified)
    t2 = time.perf_counter()
    process_inherents(extrinsics)
    builder = initialize_block(runtime, parent_state, number, parent_hash, header["digest"], genesis_hash)
    process_extrinsics(builder, extrinsics)
    ctx = finalize_block(builder)
    t3 = time.perf_counter()
    state_root, extrinsics_root, nodes = roots(ctx.state.changes, raw_extrinsics)
    process_roots(header, state_root, extrinsics_root)
    t4 = time.perf_counter()
    return ExecutedBlock(ctx.state.changes, nodes, signatures, t1 - t0, t2 - t1, t3 - t2, t4 - t3)


__all__ = [
    "ApplyOutcome", "BlockBuilder", "Runtime", "StateReader", "get_runtime", "is_environment_fault", "warm_up", "ExecutedBlock", "Extrinsic", "InvalidBlock", "MalformedExtrinsic",
    "MAX_TIMESTAMP_DRIFT_MS", "Roots", "TIMESTAMP_INHERENT", "TransactionValidityError", "ValidTransaction",
    "apply_extrinsic", "block_timestamp", "decode_extrinsic", "execute_block", "finalize_block",
    "inherent_extrinsics", "initialize_block", "remember_signature", "timestamp_inherent", "validate_transaction",
]


def warm_up() -> None:
    """Do the runtime's one-off slow work (the numba Yuma kernel's load or ~30 s compile, the
    metadata) before the first block needs it. Touches no chain state: a node runs it in a
    worker thread at start-up, so that the first epoch does not stall its event loop."""
    metadata_bytes(14)
    warm_up_kernel()
