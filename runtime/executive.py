"""The state transition, as plain functions (after execution-specs' `fork.py`).

    initialize_block -> apply_extrinsic* -> finalize_block

The node owns roots and storage: it supplies the parent state, computes the state and
extrinsics roots from what these functions leave in the overlay, and commits.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
from typing import NamedTuple

from runtime.construct import Runtime, split_call
from runtime.extrinsic import Extrinsic, TransactionValidityError, invalid
from runtime.frame.context import BlockContext
from runtime.frame.dispatch import (
    DETERMINISTIC_ERRORS, PAYS_NO, DispatchError, InvalidBlock, Origin, is_environment_fault,
)
from runtime.frame.pallet import CallSpec, CallWeight
from runtime.frame.state import Overlay, StateReader
from runtime.pallets import balances, system, transaction_payment
from primitives import crypto
from primitives.hashing import blake2_256
from primitives.scale import Encoded
from primitives.types import AccountInfo, DispatchInfo
from primitives.verified_signatures import VerifiedSignatures
from runtime.version import VERSION

log = logging.getLogger("runtime")

# Block limits: declared by System (its BlockWeights/BlockLength constants describe them).
MAX_BLOCK_REF_TIME = system.MAX_BLOCK_REF_TIME
NORMAL_RATIO_PERCENT = system.NORMAL_RATIO_PERCENT
MAX_BLOCK_LENGTH = system.MAX_BLOCK_LENGTH
_NORMAL_MAX_REF_TIME = MAX_BLOCK_REF_TIME * NORMAL_RATIO_PERCENT // 100


@dataclasses.dataclass(frozen=True)
class ValidTransaction:
    """What the pool learns from validation (sp_runtime::ValidTransaction)."""

    priority: int
    requires: tuple[bytes, ...]
    provides: tuple[bytes, ...]
    longevity: int
    fee: int


@dataclasses.dataclass
class ApplyOutcome:
    success: bool
    error: DispatchError | None
    weight: CallWeight
    fee: int


class BlockBuilder:
    """Per-block execution state kept between `initialize_block` and `finalize_block`."""

    def __init__(self, ctx: BlockContext, genesis_hash: bytes):
        self.ctx = ctx
        self.genesis_hash = genesis_hash
        self.extrinsic_count = 0
        self.total_length = 0
        self.normal_weight = 0
        self.mandatory_weight = 0


def initialize_block(runtime: Runtime, parent_state: StateReader, number: int, parent_hash: bytes,
                     digest: dict, genesis_hash: bytes) -> BlockBuilder:
    ctx = BlockContext(runtime, Overlay(parent_state), number, parent_hash)
    ctx.phase = "Initialization"
    system.initialize(ctx, number, parent_hash, digest)
    for hook in runtime.hooks("on_initialize"):
        hook(ctx)
    return BlockBuilder(ctx, genesis_hash)


# --- validation (shared by the pool and block execution) -------------------------------------
def extrinsic_weight(spec: CallSpec, args: dict | None) -> CallWeight:
    """An extrinsic's weight: its call's plus the per-extrinsic base (what blocks and fees count)."""
    return _total_weight(spec.weight_of(args or {}))


def _total_weight(call_weight: CallWeight) -> CallWeight:
    """The call's weight plus the per-extrinsic base weight."""
    base = transaction_payment.EXTRINSIC_BASE_WEIGHT
    return CallWeight(call_weight.ref_time + base.ref_time, call_weight.proof_size + base.proof_size)


def check_signed(ctx: BlockContext, ext: Extrinsic, genesis_hash: bytes, *, for_pool: bool,
                 verify_signature: bool = True, verified: VerifiedSignatures | None = None) -> ValidTransaction:
    """All signed-extension checks, in their standard order; raises TransactionValidityError.
    A signature found in `verified` is not checked again; one that passes is recorded there."""
    spec, args = _call_spec(ctx.runtime, ext)
    checked = _check_signed(ctx, ext, genesis_hash, spec, args, spec.weight_of(args),
                            for_pool=for_pool, verify_signature=verify_signature, verified=verified)
    signer, nonce = ext.signer, ext.nonce
    requires = (signer + (nonce - 1).to_bytes(4, "little"),) if nonce > checked.account.nonce else ()
    return ValidTransaction(priority=ext.tip, requires=requires, provides=(signer + nonce.to_bytes(4, "little"),),
                            longevity=checked.longevity, fee=checked.fee)


def _call_spec(runtime: Runtime, ext: Extrinsic) -> tuple[CallSpec, dict]:
    try:
        return runtime.call_spec(ext.call), split_call(ext.call)[2]
    except KeyError:
        raise invalid("Call") from None


@functools.lru_cache(maxsize=4096)
def _final_fee(length: int, ref_time: int, tip: int, pays_fee: bool) -> int:
    """The fee of an extrinsic (a pure function of these: the fee multiplier is constant here)."""
    return transaction_payment.compute_fee_details(length, CallWeight(ref_time), tip, pays_fee).final_fee


_SIGNED_ORIGINS: dict[bytes, Origin] = {}


def _signed_origin(who: bytes) -> Origin:
    """`Origin.signed(who)`, one (immutable) instance per account."""
    origin = _SIGNED_ORIGINS.get(who)
    if origin is None:
        if len(_SIGNED_ORIGINS) >= 1 << 16:
            _SIGNED_ORIGINS.clear()
        origin = _SIGNED_ORIGINS[who] = Origin.signed(who)
    return origin


class _Checked(NamedTuple):
    account: AccountInfo   # the signer's account as read for CheckNonce: apply reuses it
    fee: int
    longevity: int


def _check_signed(ctx: BlockContext, ext: Extrinsic, genesis_hash: bytes, spec: CallSpec, args: dict,
                  call_weight: CallWeight, *, for_pool: bool, verify_signature: bool,
                  verified: VerifiedSignatures | None = None) -> _Checked:
    state = ctx.state
    signer = ext.signer
    assert signer is not None
    # CheckNonZeroSender
    if signer == b"\0" * 32:
        raise invalid("BadSigner")
    # CheckSpecVersion / CheckTxVersion / CheckGenesis / CheckMortality: part of the signed payload
    current = ctx.block_number
    if ext.era is None:
        era_hash = genesis_hash
        longevity = 2**64 - 1
    else:
        birth = ext.era.birth(current)
        if birth > current:
            raise invalid("AncientBirthBlock")
        era_hash = genesis_hash if birth == 0 else system.BlockHash.get(state, birth)
        if birth > 0 and era_hash == b"\0" * 32:
            raise invalid("AncientBirthBlock")
        death = ext.era.death(current)
        if current >= death:
            raise invalid("AncientBirthBlock")
        longevity = death - current
    if verify_signature:
        message = crypto.signing_payload(
            ext.signing_payload(VERSION.spec_version, VERSION.transaction_version, genesis_hash, era_hash))
        ext_hash = blake2_256(ext.raw) if verified is not None else b""
        if verified is None or not verified.contains(ext_hash, message):
            if not crypto.verify_multisignature(ext.signature[0], ext.signature[1], message, signer):
                raise invalid("BadProof")
            if verified is not None:
                verified.add(ext_hash, message)
    # CheckNonce (subtensor's: a call that pays needs an existing account, whose nonce storage is
    # paid for; a fee-free call is checked by its pallet's rules below instead)
    account = system.get_account(ctx, signer)
    if spec.pays_fee and account.providers == 0 and account.sufficients == 0:
        raise invalid("Payment")
    if ext.nonce < account.nonce:
        raise invalid("Stale")
    if ext.nonce > account.nonce and not for_pool:
        raise invalid("Future")
    # CheckWeight
    if spec.dispatch_class == "Mandatory":
        raise invalid("BadMandatory")
    if call_weight.ref_time + transaction_payment.EXTRINSIC_BASE_WEIGHT.ref_time > _NORMAL_MAX_REF_TIME \
            or len(ext.raw) > MAX_BLOCK_LENGTH:
        raise invalid("ExhaustsResources")
    # ChargeTransactionPayment: the fee must leave the account alive
    fee = _final_fee(len(ext.raw), call_weight.ref_time, ext.tip, spec.pays_fee)
    if fee and (account.data.free < fee + balances.EXISTENTIAL_DEPOSIT):
        raise invalid("Payment")
    # the pallet's own rules (subtensor's SubtensorTransactionExtension: set_weights only from a
    # registered hotkey with enough stake): what keeps fee-free calls from being free state writes
    if spec.pallet.validate_signed is not None:
        spec.pallet.validate_signed(ctx, signer, spec.name, args)
    return _Checked(account, fee, longevity)


def validate_transaction(runtime: Runtime, best_state: StateReader, best_number: int, best_hash: bytes,
                         ext: Extrinsic, genesis_hash: bytes, *,
                         verified: VerifiedSignatures | None = None) -> ValidTransaction:
    """For the pool: validate as if in the block after `best` (as FRAME's executive does).
    A signature that verifies is remembered in `verified`, so the block that includes the
    transaction need not verify it again (see `verify_block_signatures`)."""
    if not ext.is_signed:
        raise TransactionValidityError("Unknown", "NoUnsignedValidator")
    ctx = BlockContext(runtime, Overlay(best_state), best_number + 1, best_hash)
    system.BlockHash.insert(ctx.state, best_number, best_hash)
    return check_signed(ctx, ext, genesis_hash, for_pool=True, verified=verified)


def _signed_message(ext: Extrinsic, parent_state: StateReader, number: int, parent_hash: bytes,
                    genesis_hash: bytes) -> bytes:
    """The message `ext`'s signature covers in block `number` (its era's block hash as that block sees it)."""
    if ext.era is None:
        era_hash = genesis_hash
    else:
        birth = ext.era.birth(number)
        if birth == number - 1:
            era_hash = parent_hash       # System records the parent's hash only when the block starts
        elif birth == 0:
            era_hash = genesis_hash
        else:
            era_hash = system.BlockHash.get(parent_state, birth)
    return crypto.signing_payload(
        ext.signing_payload(VERSION.spec_version, VERSION.transaction_version, genesis_hash, era_hash))


def remember_signature(ext: Extrinsic, genesis_hash: bytes, era_block_hash: bytes,
                       verified: VerifiedSignatures) -> bool:
    """Verify `ext`'s signature over its payload with `era_block_hash` and remember a success.

    For the node to run ahead of validation on a worker thread (a large submission): the entry
    names the exact message, so a wrong guess of the era block hash only means a miss and a full
    check when the transaction is validated; nothing else is decided here."""
    if not ext.is_signed:
        return False
    message = crypto.signing_payload(
        ext.signing_payload(VERSION.spec_version, VERSION.transaction_version, genesis_hash, era_block_hash))
    if not crypto.verify_multisignature(ext.signature[0], ext.signature[1], message, ext.signer):
        return False
    verified.add(blake2_256(ext.raw), message)
    return True


def verify_block_signatures(parent_state: StateReader, number: int, parent_hash: bytes,
                            extrinsics: list[Extrinsic], genesis_hash: bytes, *,
                            verified: VerifiedSignatures | None = None, workers: int | None = None) -> int:
    """Check every signed extrinsic's signature for block `number` before it executes (the batch
    FRAME's executive leaves to `apply_extrinsic`, done up front so it can use worker threads).
    Signatures found in `verified` (already checked over the same extrinsic and message) are
    skipped; the rest are verified. Raises InvalidBlock; returns how many were verified."""
    pending = []
    for ext in extrinsics:
        if not ext.is_signed:
            continue
        message = _signed_message(ext, parent_state, number, parent_hash, genesis_hash)
        if verified is not None and verified.contains(blake2_256(ext.raw), message):
            continue
        pending.append((ext.signature[0], ext.signature[1], message, ext.signer))
    if pending and not all(crypto.verify_batch(pending, workers)):
        raise InvalidBlock("an extrinsic has a bad signature")
    return len(pending)


# --- application -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _dispatch_info(ref_time: int, proof_size: int, dispatch_class: str, pays_fee: bool) -> Encoded:
    """The encoded DispatchInfo (the same few values recur in every block)."""
    return Encoded(DispatchInfo.encode({"weight": {"ref_time": ref_time, "proof_size": proof_size},
                                        "class": dispatch_class, "pays_fee": "Yes" if pays_fee else "No"}))


def apply_extrinsic(builder: BlockBuilder, ext: Extrinsic, *, verify_signature: bool = True) -> ApplyOutcome:
    """Apply one extrinsic. Raises TransactionValidityError if it may not be in the block
    (the author drops it; an importer rejects the block)."""
    ctx = builder.ctx
    runtime = ctx.runtime
    index = builder.extrinsic_count
    spec, args = _call_spec(runtime, ext)
    call_weight = spec.weight_of(args)
    weight = _total_weight(call_weight)
    fee = 0
    checked = None
    if ext.is_signed:
        checked = _check_signed(ctx, ext, builder.genesis_hash, spec, args, call_weight, for_pool=False,
                                verify_signature=verify_signature)
        fee = checked.fee
        if builder.normal_weight + weight.ref_time > _NORMAL_MAX_REF_TIME \
                or builder.total_length + len(ext.raw) > MAX_BLOCK_LENGTH:
            raise invalid("ExhaustsResources")
    elif spec.dispatch_class != "Mandatory":
        raise TransactionValidityError("Unknown", "NoUnsignedValidator")

    ctx.phase = ("ApplyExtrinsic", index)
    if checked is not None:
        # CheckNonce and ChargeTransactionPayment pre-dispatch, on the account CheckNonce read:
        # one write where FRAME does two, with the same resulting state and events.
        who = ext.signer
        account = checked.account
        account.nonce += 1
        if fee:
            try:
                balances.withdraw_fee(ctx, who, account, fee)
            except DispatchError:
                raise invalid("Payment") from None
        system.Account.insert(ctx.state, who, account)
        origin = _signed_origin(who)
    else:
        origin = Origin.none()

    mark = ctx.start_transaction()
    error: DispatchError | None = None
    pays_fee = spec.pays_fee
    try:
        if runtime.dispatch(ctx, ext.call, origin) == PAYS_NO:
            pays_fee = False
    except DispatchError as err:
        error = err
    except DETERMINISTIC_ERRORS as exc:
        # a pallet bug fails the call the same way on every node; an environment fault (MemoryError,
        # OSError, a LevelDB error...) propagates: the block being built or imported is abandoned
        if is_environment_fault(exc):
            raise
        log.exception("dispatch of %s raised", ext.call[0])
        error = DispatchError("Other", f"{type(exc).__name__}: {exc}")
    if error is None:
        ctx.commit_transaction()
    else:
        ctx.rollback_transaction(mark)
        if spec.dispatch_class == "Mandatory":
            raise InvalidBlock(f"mandatory extrinsic failed: {error}")

    if ext.is_signed:
        if fee > ext.tip and not pays_fee:
            # post-dispatch Pays::No (FRAME's correct_and_deposit_fee): the inclusion fee goes back
            if balances.refund_fee(ctx, ext.signer, fee - ext.tip):
                fee = ext.tip
        ctx.deposit_event(transaction_payment.TransactionFeePaid(ext.signer, fee, ext.tip))
    info = _dispatch_info(weight.ref_time, weight.proof_size, spec.dispatch_class, pays_fee)
    if error is None:
        ctx.deposit_event(system.ExtrinsicSuccess(info))
    else:
        ctx.deposit_event(system.ExtrinsicFailed(error.value, info))

    builder.extrinsic_count += 1
    builder.total_length += len(ext.raw)
    if spec.dispatch_class == "Mandatory":
        builder.mandatory_weight += weight.ref_time
    else:
        builder.normal_weight += weight.ref_time
    return ApplyOutcome(error is None, error, weight, fee)


def finalize_block(builder: BlockBuilder) -> BlockContext:
    ctx = builder.ctx
    ctx.phase = "Finalization"
    system.note_finished_extrinsics(ctx, builder.extrinsic_count, builder.total_length)
    for hook in ctx.runtime.hooks("on_finalize"):
        hook(ctx)
    system.finalize(ctx)
    return ctx


def build_genesis_state(runtime: Runtime, genesis_config: dict) -> dict[bytes, bytes]:
    """Run every pallet's genesis builder over an empty state; returns the full key->value map."""
    from runtime.frame.state import EmptyState

    ctx = BlockContext(runtime, Overlay(EmptyState()), 0)
    for pallet in runtime.pallets:
        if pallet.genesis is not None:
            # by runtime name, or by the chain-spec JSON key (lowerCamelCase, as Substrate's)
            json_key = pallet.name[:1].lower() + pallet.name[1:]
            pallet.genesis(ctx, genesis_config.get(pallet.name, genesis_config.get(json_key, {})))
    ctx.events.clear()  # genesis deposits no events
    return {k: v for k, v in ctx.state.changes.items() if v is not None}
