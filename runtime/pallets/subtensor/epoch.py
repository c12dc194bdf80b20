"""The epoch: gather inputs from storage (read-only), run the Yuma kernel, persist its outputs.

Three separate steps so the kernel call stays isolated:

    inputs, hotkeys = gather_epoch_inputs(state, netuid, block, rao)    # reads only
    outputs = run_kernel(inputs)                                        # consensus.yuma.run_epoch
    persist_epoch_outputs(ctx, netuid, outputs)                         # writes subtensor's items

Scheduling follows `coinbase/run_coinbase.rs should_run_epoch / drain_pending`: a subnet's epoch is
due when `now - LastEpochBlock >= Tempo` (or a deferred slot `PendingEpochAt` has come, or more than
MAX_TEMPO blocks passed); tempo 0 never runs; at most MaxEpochsPerBlock run per block, the others
move to the next block (EpochDeferred). The slot is consumed either way (LastEpochBlock = now).
It runs in `on_initialize`, as subtensor's `block_step`.
"""
from __future__ import annotations

import logging

import numpy as np

from consensus.yuma import run_epoch
from consensus.yuma.types import EpochInputs

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import DETERMINISTIC_ERRORS, is_environment_fault
from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.commit_reveal import earliest_commit_block
from runtime.pallets.subtensor.distribute import distribute_emission
from runtime.pallets.subtensor.schedule import should_run_epoch
from runtime.pallets.subtensor.events import EpochDeferred, EpochSkipped, IncentiveAlphaEmittedToMiners
from runtime.pallets.subtensor.stake.core import sync_total_issuance
from runtime.pallets.subtensor.weights import owner_uid

log = logging.getLogger("runtime.subtensor")


def gather_epoch_inputs(state: StateReader, netuid: int, current_block: int, rao_emission: int):
    """Everything `epoch_mechanism` reads for mechanism 0 of `netuid`; returns (EpochInputs, hotkeys)."""
    n = S.SubnetworkN.get(state, netuid)
    hotkeys = [S.Keys.get(state, netuid, uid) for uid in range(n)]
    netuid_index = netuid  # mecid 0
    low, high = S.AlphaValues.get(state, netuid)
    inputs = EpochInputs(
        alpha_stake=np.array([S.TotalHotkeyAlpha.get(state, hk, netuid) for hk in hotkeys], dtype=np.uint64),
        tao_stake=np.array([S.TotalHotkeyAlpha.get(state, hk, 0) for hk in hotkeys], dtype=np.uint64),
        tao_weight=S.TaoWeight.get(state),
        weights=[S.Weights.get(state, netuid_index, uid) for uid in range(n)],
        bonds=[S.Bonds.get(state, netuid_index, uid) for uid in range(n)],
        validator_permit=np.array(S.ValidatorPermit.get(state, netuid), dtype=np.bool_),
        last_update=np.array(S.LastUpdate.get(state, netuid_index), dtype=np.uint64),
        block_at_registration=np.array([S.BlockAtRegistration.get(state, netuid, uid) for uid in range(n)],
                                       dtype=np.uint64),
        current_block=current_block,
        rao_emission=rao_emission,
        tempo=S.Tempo.get(state, netuid),
        stake_threshold=S.StakeThreshold.get(state),
        owner_uid=owner_uid(state, netuid),
        activity_cutoff_factor_milli=S.ActivityCutoffFactorMilli.get(state, netuid),
        last_mechanism_step_block=S.LastMechansimStepBlock.get(state, netuid),
        kappa=S.Kappa.get(state, netuid),
        bonds_penalty=S.BondsPenalty.get(state, netuid),
        bonds_moving_average=S.BondsMovingAverage.get(state, netuid),
        max_allowed_validators=S.MaxAllowedValidators.get(state, netuid),
        yuma3_enabled=S.Yuma3On.get(state, netuid),
        liquid_alpha_enabled=S.LiquidAlphaOn.get(state, netuid),
        alpha_low=low,
        alpha_high=high,
        alpha_sigmoid_steepness=S.AlphaSigmoidSteepness.get(state, netuid),
        commit_reveal_enabled=S.CommitRevealWeightsEnabled.get(state, netuid),
        commit_block=_commit_blocks(state, netuid, hotkeys, current_block),
    )
    return inputs, hotkeys


def _commit_blocks(state: StateReader, netuid: int, hotkeys: list[bytes], block: int):
    """Per UID, the block of its earliest live weights commit (u64::MAX: none); None when CR is off."""
    if not S.CommitRevealWeightsEnabled.get(state, netuid):
        return None
    blocks = [earliest_commit_block(state, netuid, hk, block) for hk in hotkeys]
    return np.array([(1 << 64) - 1 if b is None else b for b in blocks], dtype=np.uint64)


def run_kernel(inputs):
    """The one call into the consensus kernel (numba; compiled code is cached on disk)."""
    return run_epoch(inputs)


def warm_up_kernel() -> None:
    """Load (or, on a cold numba cache, compile: ~25 s) the kernel outside block production.
    A node may call this in a thread at startup; it touches no chain state."""
    run_kernel(EpochInputs(alpha_stake=np.array([1, 0], dtype=np.uint64), weights=[[(1, 65535)], []],
                           bonds=[[], []], validator_permit=np.array([True, False]),
                           last_update=np.array([1, 1], dtype=np.uint64),
                           block_at_registration=np.array([0, 0], dtype=np.uint64),
                           current_block=2, rao_emission=1000, tempo=1))


def _ints(values) -> list[int]:
    return [int(v) for v in np.asarray(values).tolist()]


def _bools(values) -> list[bool]:
    return [bool(v) for v in np.asarray(values).tolist()]


def persist_epoch_outputs(ctx: BlockContext, netuid: int, out) -> None:
    """Write the epoch's vectors under subtensor's names (`persist_netuid_epoch_terms`,
    `persist_mechanism_epoch_terms`), plus the pre-dTAO Rank/Trust/PruningScores."""
    state = ctx.state
    netuid_index = netuid
    S.Active.insert(state, netuid, _bools(out.active))
    S.Emission.insert(state, netuid, _ints(out.emission))
    S.Consensus.insert(state, netuid, _ints(out.consensus))
    S.Dividends.insert(state, netuid, _ints(out.dividends))
    S.ValidatorTrust.insert(state, netuid, _ints(out.validator_trust))
    S.ValidatorPermit.insert(state, netuid, _bools(out.validator_permit))
    S.StakeWeight.insert(state, netuid, _ints(out.stake_weight))
    S.Rank.insert(state, netuid, _ints(out.rank))
    S.Trust.insert(state, netuid, _ints(out.trust))
    S.PruningScores.insert(state, netuid, _ints(out.pruning_scores))
    S.Incentive.insert(state, netuid_index, _ints(out.incentive))
    for uid, row in enumerate(out.bonds.to_rows()):
        if row:
            S.Bonds.insert(state, netuid_index, uid, row)
        else:
            S.Bonds.remove(state, netuid_index, uid)
    ctx.deposit_event(IncentiveAlphaEmittedToMiners(netuid_index, _ints(out.server_emission)))


def epoch_for_subnet(ctx: BlockContext, netuid: int) -> None:
    """`drain_pending` + `distribute_emission`: take the pending alpha, run the epoch on server +
    validator + root alpha, persist its outputs, pay out (owner cut included)."""
    state = ctx.state
    server = S.PendingServerEmission.take(state, netuid)
    validator = S.PendingValidatorEmission.take(state, netuid)
    root = S.PendingRootAlphaDivs.take(state, netuid)
    owner_cut = S.PendingOwnerCut.take(state, netuid)
    inputs, hotkeys = gather_epoch_inputs(state, netuid, ctx.block_number, server + validator + root)
    out = run_kernel(inputs)
    persist_epoch_outputs(ctx, netuid, out)
    distribute_emission(ctx, netuid, hotkeys, out.server_emission, out.validator_emission, server, validator,
                        root, owner_cut)


def run_due_epochs(ctx: BlockContext, netuids: list[int]) -> list[int]:
    """Run every due epoch this block (up to MaxEpochsPerBlock); returns the netuids that ran."""
    state = ctx.state
    now = ctx.block_number
    cap = S.MaxEpochsPerBlock.get(state)
    ran: list[int] = []
    for netuid in netuids:
        S.BlocksSinceLastStep.mutate(state, netuid, lambda v: v + 1)
        if not should_run_epoch(state, netuid, now):
            continue
        if len(ran) >= cap:
            S.PendingEpochAt.insert(state, netuid, now + 1)
            ctx.deposit_event(EpochDeferred(netuid, now, now + 1))
            continue
        mark = ctx.start_transaction()
        try:
            epoch_for_subnet(ctx, netuid)
        except DETERMINISTIC_ERRORS as exc:
            # a bug on this subnet's inputs fails the same on every node: roll the epoch back, keep the
            # emission pending. A MemoryError, a LevelDB or numba fault is this node's: abort the block.
            if is_environment_fault(exc):
                raise
            ctx.rollback_transaction(mark)
            log.exception("epoch of subnet %d failed at block %d", netuid, now)
            ctx.deposit_event(EpochSkipped(netuid, now))
        else:
            ctx.commit_transaction()
            S.BlocksSinceLastStep.insert(state, netuid, 0)
            S.LastMechansimStepBlock.insert(state, netuid, now)
            ran.append(netuid)
        S.LastEpochBlock.insert(state, netuid, now)
        S.PendingEpochAt.insert(state, netuid, 0)
        S.SubnetEpochIndex.mutate(state, netuid, lambda v: v + 1)
    if ran:
        sync_total_issuance(ctx)
    return ran
