"""Paying out a subnet's pending alpha at its epoch (opentensor/subtensor 14bc6f9f
`coinbase/run_coinbase.rs distribute_emission`, `calculate_dividend_distribution`,
`distribute_dividends_and_incentives`).

    epoch on server + validator + root alpha  ->  per UID (incentive, dividend)
    incentives: to (hotkey, its coldkey); the subnet owner's hotkeys' incentive is withheld
                (recycled) and MinerBurned records the withheld share
    validator alpha (server + validator if no incentive at all) is split over the dividends' alpha
    part, root alpha over their root part, per hotkey by alpha_stake : TaoWeight * root_stake
    each hotkey's take (Delegates) goes to its owner coldkey, the rest raises its pool (nominators)
    owner cut: staked to (SubnetOwnerHotkey, SubnetOwner)

Root dividends: subtensor keeps them claimable per root staker (`claim_root`); Agora claims them at
once the way RootClaimType::Swap does: the alpha is sold (fee-less) and the TAO raises the hotkey's
root pool, so every root nominator of the hotkey gains pro rata.

Exactness: every payout is drawn from the drained pending total; whatever rounding leaves over
(or nobody can receive) is recycled, so SubnetAlphaOut stays equal to what is held.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.fixed import F32, div, mul, ratio, to_int
from runtime.pallets.subtensor.stake import pool
from runtime.pallets.subtensor.types import U16_MAX


def owner_hotkeys(state: StateReader, netuid: int) -> set[bytes]:
    """`get_owner_hotkeys`: the subnet owner hotkey and the owner coldkey's hotkeys on the subnet."""
    owner = S.SubnetOwner.get(state, netuid)
    keys = {hk for hk in S.OwnedHotkeys.get(state, owner) if S.Uids.contains(state, netuid, hk)}
    if S.SubnetOwnerHotkey.contains(state, netuid):
        hk = S.SubnetOwnerHotkey.get(state, netuid)
        if S.Uids.contains(state, netuid, hk):
            keys.add(hk)
    return keys


class Budget:
    """The drained pending alpha: payouts are taken from it, the leftover is recycled."""

    def __init__(self, total: int):
        self.left = total

    def take(self, amount: int) -> int:
        amount = max(min(amount, self.left), 0)
        self.left -= amount
        return amount


def dividend_split(state: StateReader, netuid: int, dividends: dict[bytes, int], validator_alpha: int,
                   root_alpha: int) -> tuple[dict[bytes, int], dict[bytes, int]]:
    """`calculate_dividend_distribution` in U96F32: (alpha dividends, root alpha dividends) per hotkey."""
    tao_weight = ratio(S.TaoWeight.get(state), (1 << 64) - 1, F32)
    alpha_divs: dict[bytes, int] = {}
    root_divs: dict[bytes, int] = {}
    for hotkey, dividend in dividends.items():
        alpha_stake = S.TotalHotkeyAlpha.get(state, hotkey, netuid) << F32
        root_stake = mul(S.TotalHotkeyAlpha.get(state, hotkey, 0) << F32, tao_weight, F32)
        root_prop = div(root_stake, alpha_stake + root_stake, F32)
        dividend_bits = dividend << F32
        root_part = mul(dividend_bits, root_prop, F32)
        alpha_divs[hotkey] = alpha_divs.get(hotkey, 0) + dividend_bits - root_part
        root_divs[hotkey] = root_divs.get(hotkey, 0) + root_part
    total_alpha, total_root = sum(alpha_divs.values()), sum(root_divs.values())
    alpha_out = {hk: mul(validator_alpha << F32, div(v, total_alpha, F32), F32) for hk, v in alpha_divs.items()}
    root_out = {hk: mul(root_alpha << F32, div(v, total_root, F32), F32) for hk, v in root_divs.items()}
    return alpha_out, root_out


def _pay_root_dividend(ctx: BlockContext, netuid: int, hotkey: bytes, alpha: int, budget: Budget) -> None:
    """Sell the hotkey's root alpha dividend and add the TAO to its root pool (RootClaimType::Swap)."""
    state = ctx.state
    alpha = budget.take(alpha)
    if not alpha:
        return
    try:
        sold = swap.swap_alpha_for_tao(state, netuid, alpha, swap.MIN_PRICE, drop_fees=True)
    except swap.SwapRefused:
        budget.left += alpha       # cannot sell now: recycled with the leftover
        return
    if sold.total_in < alpha:
        budget.left += alpha - sold.total_in
    if sold.amount_paid_out:
        swap.swap_tao_for_alpha(state, 0, sold.amount_paid_out)     # root: TAO 1:1
        pool.increase_for_all(state, hotkey, 0, sold.amount_paid_out)
    S.RootAlphaDividendsPerSubnet.mutate(state, netuid, hotkey, lambda v: v + sold.total_in)


def distribute_emission(ctx: BlockContext, netuid: int, hotkeys: list[bytes], server_emission, validator_emission,
                        pending_server: int, pending_validator: int, pending_root: int, owner_cut: int) -> None:
    """Pay one epoch (the kernel already ran on server + validator + root alpha)."""
    state = ctx.state
    budget = Budget(pending_server + pending_validator + pending_root + owner_cut)

    if S.SubnetOwner.contains(state, netuid) and S.SubnetOwnerHotkey.contains(state, netuid):
        pool.increase_for_one(state, S.SubnetOwnerHotkey.get(state, netuid), S.SubnetOwner.get(state, netuid),
                              netuid, budget.take(owner_cut))

    incentives: dict[bytes, int] = {}
    dividends: dict[bytes, int] = {}
    for uid, hotkey in enumerate(hotkeys):
        incentives[hotkey] = incentives.get(hotkey, 0) + int(server_emission[uid])
        dividends[hotkey] = dividends.get(hotkey, 0) + int(validator_emission[uid])
    incentive_sum = sum(incentives.values())
    validator_alpha = pending_validator if incentive_sum else pending_validator + pending_server

    immune = owner_hotkeys(state, netuid)
    withheld = 0
    for hotkey, incentive in incentives.items():
        if not incentive:
            continue
        if hotkey in immune:
            withheld += incentive          # recycled with the leftover
            continue
        pool.increase_for_one(state, hotkey, S.Owner.get(state, hotkey), netuid, budget.take(incentive))
    S.MinerBurned.insert(state, netuid, {"bits": div(withheld << F32, incentive_sum << F32, F32)})

    alpha_divs, root_divs = dividend_split(state, netuid, {h: d for h, d in dividends.items() if d},
                                           validator_alpha, pending_root)
    S.AlphaDividendsPerSubnet.clear_prefix(state, netuid)
    for hotkey, bits in alpha_divs.items():
        take_bits = mul(ratio(S.Delegates.get(state, hotkey), U16_MAX, F32), bits, F32)
        take = budget.take(to_int(take_bits, F32))
        rest = budget.take(to_int(bits - take_bits, F32))
        pool.increase_for_one(state, hotkey, S.Owner.get(state, hotkey), netuid, take)
        pool.increase_for_all(state, hotkey, netuid, rest)
        if rest:
            S.AlphaDividendsPerSubnet.insert(state, netuid, hotkey, rest)
    S.RootAlphaDividendsPerSubnet.clear_prefix(state, netuid)
    for hotkey, bits in root_divs.items():
        take_bits = mul(ratio(S.Delegates.get(state, hotkey), U16_MAX, F32), bits, F32)
        pool.increase_for_one(state, hotkey, S.Owner.get(state, hotkey), netuid, budget.take(to_int(take_bits, F32)))
        _pay_root_dividend(ctx, netuid, hotkey, to_int(bits - take_bits, F32), budget)

    swap.recycle_alpha(state, netuid, budget.left)
