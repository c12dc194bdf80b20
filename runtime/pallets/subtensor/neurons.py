"""Neurons: burned registration, UIDs, pruning, and the registration price.

Rules reproduced from opentensor/subtensor:
- `subnets/registration.rs do_register` (burned_register): check order, pay the price into the pool
  (it buys alpha, which is recycled: SubnetAlphaOut falls), append a UID or replace
  `get_neuron_to_prune`, bump the price, NeuronRegistered.
- `subnets/registration.rs update_registration_prices_for_networks`: every block after the first,
  Burn *= f with f^BurnHalfLife = 1/2 (`utils/misc.rs decay_factor_q32`: Q32 binary search over
  `pow_q32`), clamped to [MinBurn, MaxBurn]; `bump_registration_price_after_registration`:
  Burn *= BurnIncreaseMult (U64F64, default 1.26), clamped.
- `get_neuron_to_prune`: skip owner-immortal hotkeys; lowest Emission, then earliest
  BlockAtRegistration, then lowest UID; a non-immune UID only while more than MinNonImmuneUids of them
  exist, else the best immune one.
- `subnets/uids.rs append_neuron / replace_neuron / clear_neuron`.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import ensure, fail
from runtime.frame.state import Overlay, StateReader
from runtime.pallets import balances

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import NeuronRegistered
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.stake.core import (
    coldkey_owns_hotkey, create_account_if_non_existent, spendable, swap_error, sync_total_issuance,
)
from runtime.pallets.subtensor.types import U64_MAX

Q32_ONE = 1 << 32


# --- registration price (Q32 fixed point, utils/misc.rs) -----------------------------------------
def mul_by_q32(value: int, factor_q32: int) -> int:
    return min((value * factor_q32) >> 32, U64_MAX)


def pow_q32(base_q32: int, exp: int) -> int:
    result, factor, power = Q32_ONE, base_q32, exp
    while power > 0:
        if power & 1:
            result = mul_by_q32(result, factor)
        power >>= 1
        if power > 0:
            factor = mul_by_q32(factor, factor)
    return result


def decay_factor_q32(half_life: int) -> int:
    """The largest Q32 f with f^half_life <= 1/2 (binary search, as subtensor)."""
    if half_life == 0:
        return Q32_ONE
    lo, hi = 0, Q32_ONE
    while lo + 1 < hi:
        mid = lo + ((hi - lo) >> 1)
        if pow_q32(mid, half_life) > Q32_ONE >> 1:
            hi = mid
        else:
            lo = mid
    return lo


_DECAY_CACHE: dict[int, int] = {}


def _decay(half_life: int) -> int:
    if half_life not in _DECAY_CACHE:
        _DECAY_CACHE[half_life] = decay_factor_q32(half_life)
    return _DECAY_CACHE[half_life]


def clamp_burn(state: StateReader, netuid: int, burn: int) -> int:
    return min(max(burn, S.MinBurn.get(state, netuid)), S.MaxBurn.get(state, netuid))


def update_registration_prices(ctx: BlockContext, netuids: list[int]) -> None:
    """Per block: decay each subnet's Burn, clamp it, reset RegistrationsThisBlock."""
    state = ctx.state
    for netuid in netuids:
        burn = S.Burn.get(state, netuid)
        half_life = S.BurnHalfLife.get(state, netuid)
        new = burn
        if half_life > 0 and ctx.block_number > 1:
            new = mul_by_q32(burn, _decay(half_life))
        new = clamp_burn(state, netuid, new)
        if new != burn:
            S.Burn.insert(state, netuid, new)
        if S.RegistrationsThisBlock.get(state, netuid):
            S.RegistrationsThisBlock.insert(state, netuid, 0)


def bump_registration_price(ctx: BlockContext, netuid: int) -> None:
    state = ctx.state
    mult = max(S.BurnIncreaseMult.get(state, netuid)["bits"], 1 << 64)
    burn = S.Burn.get(state, netuid)
    S.Burn.insert(state, netuid, clamp_burn(state, netuid, min((burn * mult) >> 64, U64_MAX)))


# --- per-UID vectors ------------------------------------------------------------------------------
def _set_at(vec: list, index: int, value) -> list:
    if index < len(vec):
        vec[index] = value
    return vec


def set_last_update_for_uid(state: Overlay, netuid_index: int, uid: int, block: int) -> None:
    updated = S.LastUpdate.get(state, netuid_index)
    if len(updated) <= uid:
        updated += [0] * (uid + 1 - len(updated))
    updated[uid] = block
    S.LastUpdate.insert(state, netuid_index, updated)


def append_neuron(ctx: BlockContext, netuid: int, hotkey: bytes, block: int) -> int:
    state = ctx.state
    uid = S.SubnetworkN.get(state, netuid)
    S.SubnetworkN.insert(state, netuid, uid + 1)
    for item, value in ((S.Active, True), (S.Emission, 0), (S.Consensus, 0), (S.Dividends, 0),
                        (S.ValidatorTrust, 0), (S.ValidatorPermit, False)):
        item.mutate(state, netuid, lambda v, value=value: v + [value])
    for mecid in range(S.MechanismCountCurrent.get(state, netuid)):
        index = netuid + mecid * 4096
        S.Incentive.mutate(state, index, lambda v: v + [0])
        set_last_update_for_uid(state, index, uid, block)
    _set_keys(state, netuid, uid, hotkey, block)
    return uid


def _set_keys(state: Overlay, netuid: int, uid: int, hotkey: bytes, block: int) -> None:
    S.Keys.insert(state, netuid, uid, hotkey)
    S.Uids.insert(state, netuid, hotkey, uid)
    S.BlockAtRegistration.insert(state, netuid, uid, block)
    S.IsNetworkMember.insert(state, hotkey, netuid, True)


def clear_neuron(state: Overlay, netuid: int, uid: int) -> None:
    """Zero the UID's outputs, drop its bonds and weights, zero others' weights to it."""
    for item, zero in ((S.Emission, 0), (S.Consensus, 0), (S.Dividends, 0), (S.StakeWeight, 0),
                       (S.ValidatorTrust, 0), (S.ValidatorPermit, False), (S.Rank, 0), (S.Trust, 0),
                       (S.PruningScores, 0)):
        item.mutate(state, netuid, lambda v, zero=zero: _set_at(v, uid, zero))
    for mecid in range(S.MechanismCountCurrent.get(state, netuid)):
        index = netuid + mecid * 4096
        S.Incentive.mutate(state, index, lambda v: _set_at(v, uid, 0))
        S.Bonds.remove(state, index, uid)
        S.Weights.remove(state, index, uid)
        for (_, row_uid), row in list(S.Weights.iter(state, index)):
            if any(dest == uid for dest, _ in row):
                S.Weights.insert(state, index, row_uid, [(d, 0 if d == uid else w) for d, w in row])


def replace_neuron(ctx: BlockContext, netuid: int, uid: int, hotkey: bytes, block: int) -> None:
    state = ctx.state
    old = S.Keys.get(state, netuid, uid)
    if S.SubnetOwnerHotkey.contains(state, netuid) and S.SubnetOwnerHotkey.get(state, netuid) == old:
        return  # the owner hotkey is never replaced
    S.Uids.remove(state, netuid, old)
    S.IsNetworkMember.remove(state, old, netuid)
    S.Active.mutate(state, netuid, lambda v: _set_at(v, uid, True))
    _set_keys(state, netuid, uid, hotkey, block)
    clear_neuron(state, netuid, uid)
    for mecid in range(S.MechanismCountCurrent.get(state, netuid)):
        set_last_update_for_uid(state, netuid + mecid * 4096, uid, block)


def is_immune(state: StateReader, netuid: int, uid: int, current_block: int) -> bool:
    registered = S.BlockAtRegistration.get(state, netuid, uid)
    return max(current_block - registered, 0) < S.ImmunityPeriod.get(state, netuid)


def immune_owner_hotkeys(state: StateReader, netuid: int) -> list[bytes]:
    """`get_immune_owner_tuples`: the owner hotkey first, then the owner coldkey's oldest-registered
    hotkeys on the subnet, ImmuneOwnerUidsLimit in total."""
    owner = S.SubnetOwner.get(state, netuid)
    triples = []
    for hotkey in S.OwnedHotkeys.get(state, owner):
        uid = S.Uids.get(state, netuid, hotkey)
        if uid is not None:
            triples.append((S.BlockAtRegistration.get(state, netuid, uid), uid, hotkey))
    triples.sort(key=lambda t: (t[0], t[1]))
    limit = S.ImmuneOwnerUidsLimit.get(state, netuid)
    immune = [(uid, hk) for _, uid, hk in triples[:limit]]
    if S.SubnetOwnerHotkey.contains(state, netuid):
        owner_hk = S.SubnetOwnerHotkey.get(state, netuid)
        owner_uid = S.Uids.get(state, netuid, owner_hk)
        if owner_uid is not None and (owner_uid, owner_hk) not in immune:
            immune.insert(0, (owner_uid, owner_hk))
            immune = immune[:limit]
    return [hk for _, hk in immune]


def neuron_to_prune(state: StateReader, netuid: int, current_block: int) -> int | None:
    n = S.SubnetworkN.get(state, netuid)
    if n == 0:
        return None
    immortal = immune_owner_hotkeys(state, netuid)
    emissions = S.Emission.get(state, netuid)
    free_count = 0
    best_free = best_immune = None
    for uid in range(n):
        hotkey = S.Keys.get(state, netuid, uid)
        if hotkey in immortal:
            continue
        key = (emissions[uid] if uid < len(emissions) else 0, S.BlockAtRegistration.get(state, netuid, uid), uid)
        if is_immune(state, netuid, uid, current_block):
            best_immune = key if best_immune is None or key < best_immune else best_immune
        else:
            free_count += 1
            best_free = key if best_free is None or key < best_free else best_free
    if free_count > S.MinNonImmuneUids.get(state, netuid) and best_free is not None:
        return best_free[2]
    return None if best_immune is None else best_immune[2]


def register_neuron(ctx: BlockContext, netuid: int, hotkey: bytes) -> int:
    state = ctx.state
    block = ctx.block_number
    if S.SubnetworkN.get(state, netuid) < S.MaxAllowedUids.get(state, netuid):
        return append_neuron(ctx, netuid, hotkey, block)
    uid = neuron_to_prune(state, netuid, block)
    ensure(uid is not None, Error.NoNeuronIdAvailable)
    replace_neuron(ctx, netuid, uid, hotkey, block)
    return uid


def do_burned_register(ctx: BlockContext, coldkey: bytes, netuid: int, hotkey: bytes) -> int:
    state = ctx.state
    ensure(netuid != 0, Error.RegistrationNotPermittedOnRootSubnet)
    ensure(S.NetworksAdded.get(state, netuid), Error.SubnetNotExists)
    ensure(S.NetworkRegistrationAllowed.get(state, netuid), Error.SubNetRegistrationDisabled)
    ensure(not S.Uids.contains(state, netuid, hotkey), Error.HotKeyAlreadyRegisteredInSubNet)
    cost = S.Burn.get(state, netuid)
    ensure(cost <= balances.free_balance(ctx, coldkey), Error.NotEnoughBalanceToStake)
    create_account_if_non_existent(ctx, coldkey, hotkey)
    ensure(coldkey_owns_hotkey(state, coldkey, hotkey), Error.NonAssociatedColdKey)
    ensure(S.MaxAllowedUids.get(state, netuid) != 0, Error.NoNeuronIdAvailable)
    if S.SubnetworkN.get(state, netuid) >= S.MaxAllowedUids.get(state, netuid):
        ensure(neuron_to_prune(state, netuid, ctx.block_number) is not None, Error.NoNeuronIdAvailable)
    paid = min(cost, spendable(ctx, coldkey))         # transfer_tao_to_subnet keeps the account alive
    ensure(paid > 0, Error.InsufficientBalance)
    try:
        swap.quote(state, netuid, True, paid, swap.MAX_PRICE)
    except swap.SwapRefused as refused:
        fail(swap_error(refused))
    balances.withdraw(ctx, coldkey, paid, keep_alive=True)
    bought = swap.swap_tao_for_alpha(state, netuid, paid, swap.MAX_PRICE).amount_paid_out
    swap.recycle_alpha(state, netuid, bought)                             # the bought alpha is recycled
    S.SubnetTaoFlow.mutate(state, netuid, lambda v: v + paid)
    uid = register_neuron(ctx, netuid, hotkey)
    bump_registration_price(ctx, netuid)
    S.RegistrationsThisBlock.mutate(state, netuid, lambda v: v + 1)
    S.RAORecycledForRegistration.mutate(state, netuid, lambda v: v + cost)
    sync_total_issuance(ctx)
    ctx.deposit_event(NeuronRegistered(netuid, uid, hotkey))
    return uid
