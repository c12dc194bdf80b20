"""TAO emission: the block emission with halvings, its split across subnets, the epoch payout.

Block emission (`coinbase/block_emission.rs get_block_emission_for_issuance`, translated without floats):

    if issuance >= 21M TAO: 0
    k = floor(log2(1 / (1 - issuance / (2 * 10.5M TAO))))     # subtensor: I96F32 log2, floor
      = the largest k with 2^k * (21M TAO - issuance) <= 21M TAO
    emission = floor(1e9 / 2^k) rao

I96F32 quantises issuance/21M to 32 fractional bits: that quotient is >= 1 - 2^-k exactly when
issuance >= 21M*(1 - 2^-k) for every k <= 32, so both forms halve at the same issuances
(10.5M, 15.75M, 18.375M, ... TAO); past k = 29 both give 0.

Per block (the pre-dTAO coinbase shape, `4ff2e5b75 coinbase/run_coinbase.rs`): EmissionValues[netuid]
is this subnet's share of the block emission and accumulates in PendingEmission until its epoch.
Agora splits by SubnetTAO (the subnet's lock plus all stake on it; equal split if all are 0),
standing in for subtensor's root-weight split / dTAO price split. Rounding remainders are not minted.

At the epoch (`distribute`): the owner cut (SubnetOwnerCut/65535 of the pending, I96F32 as upstream)
is paid to the owner coldkey's balance; the rest goes through the Yuma epoch; each UID's
`server_emission` (incentive) becomes stake of (hotkey, its coldkey) except for the subnet owner's
hotkeys, whose incentive is burned (upstream `distribute_dividends_and_incentives`); each
`validator_emission` (dividends) pays the hotkey's take (Delegates, 18%) to its owner and the rest
to everyone staked on the hotkey pro rata (floor, remainder to the owner). Only what is paid out is
minted, so TotalIssuance == balances + TotalStake stays exact.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import DispatchError
from runtime.frame.state import StateReader
from runtime.pallets import balances

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.staking import increase_stake, stakers_of, sync_total_issuance
from runtime.pallets.subtensor.types import DEFAULT_BLOCK_EMISSION, TOTAL_SUPPLY, U16_MAX


def block_emission_for_issuance(issuance: int) -> int:
    if issuance >= TOTAL_SUPPLY:
        return 0
    remaining = TOTAL_SUPPLY - issuance
    k = 0
    while (remaining << (k + 1)) <= TOTAL_SUPPLY:
        k += 1
    return DEFAULT_BLOCK_EMISSION >> k


def u16_proportion_bits(value: int) -> int:
    """I96F32/U96F32 value/65535 as 32-fractional-bit integer (truncated)."""
    return (value << 32) // U16_MAX


def proportion_of(amount: int, value_u16: int) -> int:
    """floor(amount * (value/65535)) with the proportion truncated to 32 fractional bits."""
    return (amount * u16_proportion_bits(value_u16)) >> 32


def subnet_shares(state: StateReader, netuids: list[int], emission: int) -> dict[int, int]:
    weights = {netuid: S.SubnetTAO.get(state, netuid) for netuid in netuids}
    total = sum(weights.values())
    if total == 0:
        return {netuid: emission // len(netuids) for netuid in netuids} if netuids else {}
    return {netuid: emission * w // total for netuid, w in weights.items()}


def run_coinbase(ctx: BlockContext, netuids: list[int]) -> int:
    """Compute this block's emission and add each subnet's share to its PendingEmission."""
    state = ctx.state
    emission = block_emission_for_issuance(sync_total_issuance(ctx))
    if S.BlockEmission.get(state) != emission:
        S.BlockEmission.put(state, emission)
    for netuid, share in subnet_shares(state, netuids, emission).items():
        if S.EmissionValues.get(state, netuid) != share:
            S.EmissionValues.insert(state, netuid, share)
        if share:
            S.PendingEmission.mutate(state, netuid, lambda v, share=share: v + share)
    return emission


# --- epoch payout ---------------------------------------------------------------------------------
def owner_hotkeys(state: StateReader, netuid: int) -> set[bytes]:
    """`get_owner_hotkeys`: the subnet owner hotkey and the owner coldkey's hotkeys on the subnet."""
    owner = S.SubnetOwner.get(state, netuid)
    keys = {hk for hk in S.OwnedHotkeys.get(state, owner) if S.Uids.contains(state, netuid, hk)}
    if S.SubnetOwnerHotkey.contains(state, netuid):
        hk = S.SubnetOwnerHotkey.get(state, netuid)
        if S.Uids.contains(state, netuid, hk):
            keys.add(hk)
    return keys


def pay_owner_cut(ctx: BlockContext, netuid: int, amount: int) -> int:
    """Owner cut in TAO to the owner coldkey (pre-dTAO); as stake on the owner hotkey if the coldkey
    account cannot receive it (reaped and the cut below the existential deposit)."""
    if amount == 0:
        return 0
    owner = S.SubnetOwner.get(ctx.state, netuid)
    try:
        balances.mint(ctx, owner, amount)
    except DispatchError:
        increase_stake(ctx, S.SubnetOwnerHotkey.get(ctx.state, netuid), owner, netuid, amount)
    return amount


def pay_dividends(ctx: BlockContext, netuid: int, hotkey: bytes, amount: int) -> int:
    if amount == 0:
        return 0
    state = ctx.state
    owner = S.Owner.get(state, hotkey)
    take = proportion_of(amount, S.Delegates.get(state, hotkey))
    rest = amount - take
    stakers = stakers_of(state, hotkey, netuid)
    total = sum(stake for _, stake in stakers)
    paid = 0
    if total:
        for coldkey, stake in stakers:
            share = rest * stake // total
            increase_stake(ctx, hotkey, coldkey, netuid, share)
            paid += share
    increase_stake(ctx, hotkey, owner, netuid, take + rest - paid)
    return amount


def distribute(ctx: BlockContext, netuid: int, hotkeys: list[bytes], server_emission, validator_emission) -> int:
    """Pay one epoch's per-UID amounts; returns the rao minted (as stake)."""
    state = ctx.state
    immune = owner_hotkeys(state, netuid)
    minted = 0
    for uid, hotkey in enumerate(hotkeys):
        incentive = int(server_emission[uid])
        if incentive and hotkey not in immune:
            increase_stake(ctx, hotkey, S.Owner.get(state, hotkey), netuid, incentive)
            minted += incentive
        minted += pay_dividends(ctx, netuid, hotkey, int(validator_emission[uid]))
    return minted
