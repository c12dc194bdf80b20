"""Subnets: registration with a lock cost, new-subnet defaults, ownership.

Rules reproduced from opentensor/subtensor:
- `coinbase/root.rs get_network_lock_cost`: lock = max(min_lock, m*last_lock - (last_lock / I) * (now -
  last_lock_block)), m = 1 before any registration else 2: the price doubles on each registration and
  decays linearly back to the floor over `I` blocks.
- `coinbase/root.rs get_lock_reduction_interval`: I = floor(NetworkLockReductionInterval * block_emission / 1e9)
  computed in I64F64 (emulated exactly with integers below), so the decay slows down with each halving.
- `subnets/subnet.rs do_register_network` (check order, lock into TotalStake, owner hotkey as UID 0),
  `init_new_network` (explicit defaults, LastEpochBlock stagger), `get_next_netuid` (netuid 0 is root's).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import BadOrigin, Origin, ensure
from runtime.frame.state import StateReader
from runtime.pallets import balances

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import NetworkAdded
from runtime.pallets.subtensor.staking import (
    coldkey_owns_hotkey, create_account_if_non_existent, hotkey_account_exists, sync_total_issuance,
)
from runtime.pallets.subtensor.types import symbol_for

DYNAMIC_MECHANISM = 1


def subnet_exists(state: StateReader, netuid: int) -> bool:
    return S.NetworksAdded.get(state, netuid)


def all_netuids(state: StateReader) -> list[int]:
    return [key[0] for key, added in S.NetworksAdded.iter(state) if added]


def get_next_netuid(state: StateReader) -> int:
    taken = set(all_netuids(state))
    netuid = 1  # netuid 0 is the root network's
    while netuid in taken:
        netuid += 1
    return netuid


def lock_reduction_interval(state: StateReader) -> int:
    """floor(interval * I64F64(block_emission / 1e9)): the I64F64 quotient has 64 fractional bits."""
    from runtime.pallets.subtensor.emission import block_emission_for_issuance

    emission = block_emission_for_issuance(S.TotalIssuance.get(state))
    halving_bits = (emission << 64) // 1_000_000_000
    return (S.NetworkLockReductionInterval.get(state) * halving_bits) >> 64


def network_lock_cost(state: StateReader, current_block: int) -> int:
    last_lock = S.NetworkLastLockCost.get(state)
    min_lock = S.NetworkMinLockCost.get(state)
    last_block = S.NetworkLastRegistered.get(state)
    interval = lock_reduction_interval(state)
    mult = 1 if last_block == 0 else 2
    per_block = last_lock // interval if interval else 0          # safe_div
    cost = max(last_lock * mult - per_block * max(current_block - last_block, 0), 0)
    return max(cost, min_lock)


def init_new_network(ctx: BlockContext, netuid: int) -> None:
    """`init_new_network`: size 0, alive, hyperparameters written explicitly (from SubnetDefaults)."""
    state = ctx.state
    d = S.SubnetDefaultsItem.get(state)
    S.SubnetworkN.insert(state, netuid, 0)
    S.NetworksAdded.insert(state, netuid, True)
    S.Tempo.insert(state, netuid, d.tempo)
    stagger = netuid % max(d.tempo, 1)
    S.LastEpochBlock.insert(state, netuid, max(ctx.block_number - stagger, 0))
    S.TotalNetworks.mutate(state, lambda n: n + 1)
    S.NetworkRegistrationAllowed.insert(state, netuid, True)
    S.MaxAllowedUids.insert(state, netuid, d.max_allowed_uids)
    S.MaxAllowedValidators.insert(state, netuid, d.max_allowed_validators)
    S.MinAllowedWeights.insert(state, netuid, d.min_allowed_weights)
    S.ImmunityPeriod.insert(state, netuid, d.immunity_period)
    S.Yuma3On.insert(state, netuid, d.yuma3_enabled)
    S.Burn.insert(state, netuid, d.burn)
    S.MinBurn.insert(state, netuid, d.min_burn)
    S.MaxBurn.insert(state, netuid, d.max_burn)
    S.WeightsSetRateLimit.insert(state, netuid, d.weights_set_rate_limit)
    S.ActivityCutoffFactorMilli.insert(state, netuid, d.activity_cutoff_factor_milli)
    S.MinNonImmuneUids.insert(state, netuid, d.min_non_immune_uids)
    S.CommitRevealWeightsEnabled.insert(state, netuid, d.commit_reveal_weights_enabled)
    S.Kappa.insert(state, netuid, S.Kappa.get(state, netuid))
    S.MechanismCountCurrent.insert(state, netuid, 1)


def do_register_network(ctx: BlockContext, coldkey: bytes, hotkey: bytes) -> int:
    state = ctx.state
    ensure(not hotkey_account_exists(state, hotkey) or coldkey_owns_hotkey(state, coldkey, hotkey),
           Error.NonAssociatedColdKey)
    now = ctx.block_number
    last = S.NetworkLastRegistered.get(state)
    ensure(last == 0 or now - last >= S.NetworkRateLimit.get(state), Error.NetworkTxRateLimitExceeded)
    # Subtensor dissolves the lowest-priced non-immune subnet at the limit; Agora refuses instead.
    ensure(len(all_netuids(state)) < S.SubnetLimit.get(state), Error.SubnetLimitReached)
    lock = network_lock_cost(state, now)
    ensure(lock <= balances.free_balance(ctx, coldkey), Error.CannotAffordLockCost)

    netuid = get_next_netuid(state)
    init_new_network(ctx, netuid)
    balances.withdraw(ctx, coldkey, lock, keep_alive=False)      # into the subnet: counted in TotalStake
    S.NetworkLastLockCost.put(state, lock)
    S.NetworkLastRegistered.put(state, now)

    from runtime.pallets.subtensor.neurons import append_neuron

    create_account_if_non_existent(ctx, coldkey, hotkey)
    append_neuron(ctx, netuid, hotkey, now)
    S.SubnetMechanism.insert(state, netuid, DYNAMIC_MECHANISM)
    S.NetworkRegisteredAt.insert(state, netuid, now)
    S.TokenSymbol.insert(state, netuid, symbol_for(netuid))
    S.SubnetOwner.insert(state, netuid, coldkey)
    S.SubnetOwnerHotkey.insert(state, netuid, hotkey)
    S.SubnetLocked.insert(state, netuid, lock)
    S.SubnetTAO.insert(state, netuid, lock)
    S.TotalStake.mutate(state, lambda v: v + lock)
    sync_total_issuance(ctx)
    ctx.deposit_event(NetworkAdded(netuid, DYNAMIC_MECHANISM))
    return netuid


def ensure_subnet_owner_or_root(state: StateReader, origin: Origin, netuid: int) -> bytes | None:
    """`utils/misc.rs ensure_subnet_owner_or_root`: Root, or the subnet owner's coldkey; else BadOrigin."""
    if origin.kind == "Root":
        return None
    if origin.kind == "Signed" and origin.who is not None and subnet_exists(state, netuid) \
            and S.SubnetOwner.get(state, netuid) == origin.who:
        return origin.who
    raise BadOrigin()
