"""Commit-reveal v2 (`subnets/weights.rs internal_commit_weights / internal_reveal_weights`).

A validator on a subnet with `CommitRevealWeightsEnabled` commits
`blake2_256(SCALE(hotkey, netuid_index: u16, uids: Vec<u16>, values: Vec<u16>, salt: Vec<u16>,
version_key: u64))` - the hash bittensor's `generate_weight_hash` builds - and reveals the weights
exactly `RevealPeriodEpochs` epochs later (epochs counted by `SubnetEpochIndex`, looking ahead one
when the subnet's epoch runs this block). Commits older than that expire; at most 10 are queued.

    commit_weights 96(netuid, commit_hash)   CommitRevealDisabled, HotKeyNotRegisteredInSubNet,
                                             CommittingWeightsTooFast, TooManyUnrevealedCommits
    reveal_weights 97(netuid, uids, values, salt, version_key)
                                             CommitRevealDisabled, NoWeightsCommitFound,
                                             ExpiredWeightCommit, RevealTooEarly,
                                             InvalidRevealCommitHashNotMatch, then set_weights' checks
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed, fail
from runtime.frame.pallet import CallWeight
from runtime.frame.state import StateReader
from primitives.hashing import blake2_256
from primitives.scale import U16, U64, Vec
from primitives.types import H256

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import WeightsCommitted, WeightsRevealed
from runtime.pallets.subtensor.neurons import set_last_update_for_uid
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.schedule import should_run_epoch
from runtime.pallets.subtensor.weights import check_rate_limit, do_set_weights

MAX_UNREVEALED = 10
U16_VEC = Vec(U16)
NETUID = ("netuid", U16, "NetUid")


def commit_hash(hotkey: bytes, netuid_index: int, uids: list[int], values: list[int], salt: list[int],
                version_key: int) -> bytes:
    data = hotkey + U16.encode(netuid_index) + U16_VEC.encode(uids) + U16_VEC.encode(values) \
        + U16_VEC.encode(salt) + U64.encode(version_key)
    return blake2_256(data)


def current_epoch_with_lookahead(state: StateReader, netuid: int, block: int) -> int:
    base = S.SubnetEpochIndex.get(state, netuid)
    return base + 1 if should_run_epoch(state, netuid, block) else base


def is_expired(state: StateReader, netuid: int, commit_epoch: int, block: int) -> bool:
    return current_epoch_with_lookahead(state, netuid, block) > commit_epoch + S.RevealPeriodEpochs.get(state, netuid)


def earliest_commit_block(state: StateReader, netuid: int, hotkey: bytes, block: int) -> int | None:
    """The block of the hotkey's earliest non-expired commit (the epoch's commit-reveal mask)."""
    commits = S.WeightCommits.get(state, netuid, hotkey) or []
    live = [commit_block for _, epoch, commit_block, _ in commits if not is_expired(state, netuid, epoch, block)]
    return min(live) if live else None


@pallet.call(96, [NETUID, ("commit_hash", H256, "H256")], weight=CallWeight(20_000_000), pays_fee=False)
def commit_weights(ctx: BlockContext, origin: Origin, netuid: int, commit_hash: bytes) -> None:
    """Commit the hash of weights to reveal `RevealPeriodEpochs` epochs later."""
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid), Error.MechanismDoesNotExist)
    hotkey = ensure_signed(origin)
    ensure(S.CommitRevealWeightsEnabled.get(state, netuid), Error.CommitRevealDisabled)
    uid = S.Uids.get(state, netuid, hotkey)
    ensure(uid is not None, Error.HotKeyNotRegisteredInSubNet)
    now = ctx.block_number
    ensure(check_rate_limit(state, netuid, netuid, uid, now), Error.CommittingWeightsTooFast)
    epoch = current_epoch_with_lookahead(state, netuid, now)
    commits = list(S.WeightCommits.get(state, netuid, hotkey) or [])
    while commits and is_expired(state, netuid, commits[0][1], now):
        commits.pop(0)
    ensure(len(commits) < MAX_UNREVEALED, Error.TooManyUnrevealedCommits)
    commits.append((commit_hash, epoch, now, 0))
    S.WeightCommits.insert(state, netuid, hotkey, commits)
    ctx.deposit_event(WeightsCommitted(hotkey, netuid, commit_hash))
    set_last_update_for_uid(state, netuid, uid, now)


@pallet.call(97, [NETUID, ("uids", Vec(U16), "Vec<u16>"), ("values", Vec(U16), "Vec<u16>"),
                  ("salt", Vec(U16), "Vec<u16>"), ("version_key", U64, "u64")],
             weight=CallWeight(30_000_000), pays_fee=False)
def reveal_weights(ctx: BlockContext, origin: Origin, netuid: int, uids: list, values: list, salt: list,
                   version_key: int) -> None:
    """Reveal weights committed earlier; they are then set as by `set_weights`."""
    state = ctx.state
    hotkey = ensure_signed(origin)
    ensure(S.CommitRevealWeightsEnabled.get(state, netuid), Error.CommitRevealDisabled)
    commits = S.WeightCommits.get(state, netuid, hotkey)
    ensure(commits is not None, Error.NoWeightsCommitFound)
    now = ctx.block_number
    commits = list(commits)
    expired = []
    while commits and is_expired(state, netuid, commits[0][1], now):
        expired.append(commits.pop(0)[0])
    provided = commit_hash(hotkey, netuid, list(uids), list(values), list(salt), version_key)
    position = next((i for i, (h, *_rest) in enumerate(commits) if h == provided), None)
    if position is None:
        fail(Error.ExpiredWeightCommit if provided in expired else
             (Error.NoWeightsCommitFound if not commits else Error.InvalidRevealCommitHashNotMatch))
    epoch = commits[position][1]
    ensure(current_epoch_with_lookahead(state, netuid, now) == epoch + S.RevealPeriodEpochs.get(state, netuid),
           Error.RevealTooEarly)
    rest = commits[position + 1:]
    if rest:
        S.WeightCommits.insert(state, netuid, hotkey, rest)
    else:
        S.WeightCommits.remove(state, netuid, hotkey)
    do_set_weights(ctx, hotkey, netuid, 0, list(uids), list(values), version_key)
    ctx.deposit_event(WeightsRevealed(hotkey, netuid, provided))
