"""frame_system: accounts and nonces, block number and hashes, events with phases.

Index 0. Other pallets read and write accounts through `get_account`/`put_account` and
learn about the block through the `BlockContext`.
"""
from __future__ import annotations

import dataclasses

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, PalletError, ensure_root, ensure_signed
from runtime.frame.outer import RuntimeEventRef
from runtime.frame.pallet import CallWeight, Pallet
from runtime.frame.state import Overlay
from runtime.frame.storage import Typed
from primitives.hashing import Hasher, blake2_256
from primitives.scale import (
    U16, U32, U64, Bytes, Field, FixedBytes, Option, Struct, Vec, encode_compact, tuple_of,
)
from primitives.types import (
    AccountId, AccountInfo, AccountInfoType, Digest, DispatchErrorType, DispatchInfo, Phase, H256,
    RuntimeVersionType, Weight, copy_account_info, owned_account_info,
)
from runtime.version import VERSION

pallet = Pallet("System", "frame_system", docs=("Accounts, nonces, block metadata and events.",))

BLOCK_HASH_COUNT = 4096
SS58_PREFIX = 42

# Block limits (frame_system::limits), enforced by the executive: 2 s of ref_time per block, 75% of it
# for Normal extrinsics (FRAME's defaults); proof size is not limited (u64::MAX, as a solo chain's).
MAX_BLOCK_REF_TIME = 2_000_000_000_000
MAX_PROOF_SIZE = 2**64 - 1
NORMAL_RATIO_PERCENT = 75
MAX_BLOCK_LENGTH = 5 * 1024 * 1024
# Weight of the fixed per-extrinsic work (decode, signature, nonce, fee): part of every fee.
EXTRINSIC_BASE_WEIGHT = CallWeight(125_000_000)
BLOCK_BASE_WEIGHT = CallWeight(5_000_000_000)
# RocksDbWeight's figures: call weights here are measured whole, so they are what clients estimate with.
DB_READ_WEIGHT, DB_WRITE_WEIGHT = 25_000_000, 100_000_000

EventRecord = Struct("frame_system::EventRecord", [
    Field("phase", Phase, "Phase"), Field("event", RuntimeEventRef, "E"), Field("topics", Vec(H256), "Vec<T>"),
], params=(("E", RuntimeEventRef), ("T", H256)))

# --- Storage ------------------------------------------------------------------------------
# kept as objects within a block (decoded once, encoded once at its end): every transfer reads and
# writes its sender's and recipient's accounts several times
Account = pallet.map("Account", [(Hasher.BLAKE2_128_CONCAT, AccountId)], AccountInfoType,
                     default=AccountInfo(), docs="The full account information for a particular account ID.",
                     typed=Typed(copy_account_info, owned_account_info))
ExtrinsicCount = pallet.value("ExtrinsicCount", U32, docs="Total extrinsics count for the current block.")
AllExtrinsicsLen = pallet.value("AllExtrinsicsLen", U32, docs="Total length (in bytes) for all extrinsics put together, for the current block.")
BlockHash = pallet.map("BlockHash", [(Hasher.TWOX_64_CONCAT, U32)], FixedBytes(32), default=b"\0" * 32,
                       docs="Map of block numbers to block hashes.")
Number = pallet.value("Number", U32, default=0, docs="The current block number being processed.")
ParentHash = pallet.value("ParentHash", FixedBytes(32), default=b"\0" * 32, docs="Hash of the previous block.")
DigestItems = pallet.value("Digest", Digest, default={"logs": []}, docs="Digest of the current block, also part of the block header.")
Events = pallet.value("Events", Vec(EventRecord), default=[], docs="Events deposited for the current block.")
EventCount = pallet.value("EventCount", U32, default=0, docs="The number of events in the `Events<T>` list.")

# --- Constants ----------------------------------------------------------------------------
pallet.constant("BlockHashCount", U32, BLOCK_HASH_COUNT, "Maximum number of block number to block hash mappings to keep (oldest pruned first).")
pallet.constant("SS58Prefix", U16, SS58_PREFIX, "The designated SS58 prefix of this chain.")


def _per_class(inner, type_name: str) -> Struct:
    return Struct("frame_support::dispatch::PerDispatchClass", [
        Field("normal", inner, type_name), Field("operational", inner, type_name),
        Field("mandatory", inner, type_name)], params=(("T", inner),))


WeightsPerClass = Struct("frame_system::limits::WeightsPerClass", [
    Field("base_extrinsic", Weight, "Weight"), Field("max_extrinsic", Option(Weight), "Option<Weight>"),
    Field("max_total", Option(Weight), "Option<Weight>"), Field("reserved", Option(Weight), "Option<Weight>")])
BlockWeightsType = Struct("frame_system::limits::BlockWeights", [
    Field("base_block", Weight, "Weight"), Field("max_block", Weight, "Weight"),
    Field("per_class", _per_class(WeightsPerClass, "WeightsPerClass"), "PerDispatchClass<WeightsPerClass>")])
BlockLengthType = Struct("frame_system::limits::BlockLength", [
    Field("max", _per_class(U32, "u32"), "PerDispatchClass<u32>")])
RuntimeDbWeight = Struct("sp_weights::RuntimeDbWeight", [Field("read", U64, "u64"), Field("write", U64, "u64")])


def _weight(ref_time: int, proof_size: int = 0) -> dict:
    return {"ref_time": ref_time, "proof_size": proof_size}


def _block_weights() -> dict:
    """What the executive enforces, as FRAME's `BlockWeights::with_sensible_defaults` describes it."""
    base = _weight(EXTRINSIC_BASE_WEIGHT.ref_time, EXTRINSIC_BASE_WEIGHT.proof_size)
    normal_total = MAX_BLOCK_REF_TIME * NORMAL_RATIO_PERCENT // 100
    return {
        "base_block": _weight(BLOCK_BASE_WEIGHT.ref_time),
        "max_block": _weight(MAX_BLOCK_REF_TIME, MAX_PROOF_SIZE),
        "per_class": {
            "normal": {"base_extrinsic": base, "max_extrinsic": _weight(normal_total, MAX_PROOF_SIZE),
                       "max_total": _weight(normal_total, MAX_PROOF_SIZE), "reserved": _weight(0)},
            "operational": {"base_extrinsic": base, "max_extrinsic": _weight(MAX_BLOCK_REF_TIME, MAX_PROOF_SIZE),
                            "max_total": _weight(MAX_BLOCK_REF_TIME, MAX_PROOF_SIZE),
                            "reserved": _weight(MAX_BLOCK_REF_TIME - normal_total, MAX_PROOF_SIZE)},
            "mandatory": {"base_extrinsic": base, "max_extrinsic": None, "max_total": None, "reserved": None},
        },
    }


pallet.constant("BlockWeights", BlockWeightsType, _block_weights(), "Block & extrinsics weights: base values and limits.")
pallet.constant("BlockLength", BlockLengthType,
                {"max": {"normal": MAX_BLOCK_LENGTH, "operational": MAX_BLOCK_LENGTH, "mandatory": MAX_BLOCK_LENGTH}},
                "The maximum length of a block (in bytes).")
pallet.constant("DbWeight", RuntimeDbWeight, {"read": DB_READ_WEIGHT, "write": DB_WRITE_WEIGHT},
                "The weight of runtime database operations the runtime can invoke.")
pallet.constant("Version", RuntimeVersionType, VERSION.scale_value(), "Get the chain's in-code version.")


# --- Events -------------------------------------------------------------------------------
@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class ExtrinsicSuccess:
    """An extrinsic completed successfully."""
    dispatch_info: DispatchInfo


@pallet.event(1)
@dataclasses.dataclass(frozen=True)
class ExtrinsicFailed:
    """An extrinsic failed."""
    dispatch_error: DispatchErrorType
    dispatch_info: DispatchInfo


@pallet.event(3)
@dataclasses.dataclass(frozen=True)
class NewAccount:
    """A new account was created."""
    account: AccountId


@pallet.event(4)
@dataclasses.dataclass(frozen=True)
class KilledAccount:
    """An account was reaped."""
    account: AccountId


@pallet.event(5)
@dataclasses.dataclass(frozen=True)
class Remarked:
    """On on-chain remark happened."""
    sender: AccountId
    hash: H256


# --- Errors -------------------------------------------------------------------------------
@pallet.errors
class Error(PalletError):
    InvalidSpecName = 0
    SpecVersionNeedsToIncrease = 1
    FailedToExtractRuntimeVersion = 2
    NonDefaultComposite = 3
    NonZeroRefCount = 4
    CallFiltered = 5


# --- Calls --------------------------------------------------------------------------------
@pallet.call(0, [("remark", Bytes, "Vec<u8>")], weight=CallWeight(2_000_000))
def remark(ctx: BlockContext, origin: Origin, remark: bytes) -> None:
    """Make some on-chain remark."""
    ensure_signed(origin)


@pallet.call(4, [("items", Vec(tuple_of(Bytes, Bytes)), "Vec<KeyValue>")], weight=CallWeight(10_000_000),
             dispatch_class="Operational")
def set_storage(ctx: BlockContext, origin: Origin, items: list) -> None:
    """Set some items of storage (Root only)."""
    ensure_root(origin)
    for key, value in items:
        ctx.state.set(key, value)


@pallet.call(5, [("keys", Vec(Bytes), "Vec<Key>")], weight=CallWeight(10_000_000), dispatch_class="Operational")
def kill_storage(ctx: BlockContext, origin: Origin, keys: list) -> None:
    """Kill some items from storage (Root only)."""
    ensure_root(origin)
    for key in keys:
        ctx.state.delete(key)


@pallet.call(6, [("prefix", Bytes, "Key"), ("subkeys", U32, "u32")], weight=CallWeight(10_000_000),
             dispatch_class="Operational")
def kill_prefix(ctx: BlockContext, origin: Origin, prefix: bytes, subkeys: int) -> None:
    """Kill all storage items with a key that starts with the given prefix (Root only)."""
    ensure_root(origin)
    ctx.state.clear_prefix(prefix, subkeys)


@pallet.call(7, [("remark", Bytes, "Vec<u8>")], weight=CallWeight(3_000_000))
def remark_with_event(ctx: BlockContext, origin: Origin, remark: bytes) -> None:
    """Make some on-chain remark and emit an event."""
    who = ensure_signed(origin)
    ctx.deposit_event(Remarked(who, blake2_256(remark)))


# --- Account helpers used by other pallets --------------------------------------------------
_account_key = Account.key
_decode_account = AccountInfoType.decode
_encode_account = AccountInfoType.encode


def get_account(ctx: BlockContext, who: bytes) -> AccountInfo:
    """`Account.get` (a copy the caller may change), without its generic steps: every transfer
    reads two or three accounts."""
    state = ctx.state
    if type(state) is Overlay and Account.typed is not None:
        info = state.get_typed(_account_key(who), _decode_account, copy_account_info)
        return AccountInfo() if info is None else info
    return Account.get(state, who)


def put_account(ctx: BlockContext, who: bytes, info: AccountInfo) -> None:
    """Write an account; an account with no providers and no balance is removed (reaped)."""
    if info.providers == 0 and info.sufficients == 0 and info.data.free == 0 and info.data.reserved == 0:
        if Account.contains(ctx.state, who):
            Account.remove(ctx.state, who)
            ctx.deposit_event(KilledAccount(who))
        return
    state = ctx.state
    if type(state) is Overlay and Account.typed is not None:
        owned = owned_account_info(info)
        if owned is not None:
            state.set_typed(_account_key(who), owned, _encode_account)
            return
    Account.insert(state, who, info)


def account_nonce(state, who: bytes) -> int:
    return Account.get(state, who).nonce


# --- Block lifecycle (called by the executive) ---------------------------------------------
def initialize(ctx: BlockContext, number: int, parent_hash: bytes, digest: dict) -> None:
    state = ctx.state
    Number.put(state, number)
    ParentHash.put(state, parent_hash)
    DigestItems.put(state, digest)
    if number > 0:
        BlockHash.insert(state, number - 1, parent_hash)
    # Keep BlockHashCount hashes (mortal transactions look their birth block up here).
    if number > BLOCK_HASH_COUNT:
        BlockHash.remove(state, number - 1 - BLOCK_HASH_COUNT)
    Events.kill(state)
    EventCount.kill(state)


def note_finished_extrinsics(ctx: BlockContext, count: int, total_len: int) -> None:
    ExtrinsicCount.put(ctx.state, count)
    AllExtrinsicsLen.put(ctx.state, total_len)


def _encode_phase(phase) -> bytes:
    if phase == "Finalization":
        return b"\x01"
    if phase == "Initialization":
        return b"\x02"
    return b"\x00" + phase[1].to_bytes(4, "little")


def finalize(ctx: BlockContext) -> None:
    """Write the block's events and drop per-block scratch items, as frame_system::finalize does.

    The records are encoded straight to `Vec<EventRecord>` bytes (phase, event, topics):
    a full block holds thousands of them, so the outer `RuntimeEvent` index is looked up once
    per pallet and a phase is encoded once for all the events of its extrinsic.
    """
    outer = ctx.runtime.event_enum
    pallet_index: dict[str, int] = {}
    encode_topics = Vec(H256).encode_into
    out = bytearray(encode_compact(len(ctx.events)))
    last_phase: object = None
    phase_bytes = b""
    for phase, (pallet_name, event), topics in ctx.events:
        if phase is not last_phase:
            last_phase, phase_bytes = phase, _encode_phase(phase)
        out += phase_bytes
        index = pallet_index.get(pallet_name)
        if index is None:
            index = pallet_index[pallet_name] = outer.variant(pallet_name).index
        out.append(index)
        event.pallet.event_enum.encode_into(event, out)
        if topics:
            encode_topics(topics, out)
        else:
            out.append(0)
    ctx.state.set(Events.key, bytes(out))
    EventCount.put(ctx.state, len(ctx.events))
    ExtrinsicCount.kill(ctx.state)
    AllExtrinsicsLen.kill(ctx.state)


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    BlockHash.insert(ctx.state, 0, b"\x45" * 32)  # genesis hash placeholder: the real one is set in block 1
    Number.put(ctx.state, 0)
    ctx.state.set(CODE_KEY, runtime_code_id())


# Substrate keeps the runtime's Wasm under the well-known key `:code`, and clients key runtimes by
# its hash (polkadot-api asks chainHead_v1_storage for it). This runtime is Python, so `:code`
# names it instead: spec name and version, which change exactly when the runtime does.
CODE_KEY = b":code"


def runtime_code_id() -> bytes:
    return b"agora-python-runtime:" + VERSION.spec_name.encode() + b":" + U32.encode(VERSION.spec_version)
