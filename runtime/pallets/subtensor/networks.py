"""Subnets: registration with a lock cost, new-subnet defaults, ownership.

Rules reproduced from opentensor/subtensor:
- `coinbase/root.rs get_network_lock_cost`: lock = max(min_lock, m*last_lock - (last_lock / I) * (now -
  last_lock_block)), m = 1 before any registration else 2: the price doubles on each registration and
  decays linearly back to the floor over `I` blocks.
- `coinbase/root.rs get_lock_reduction_interval`: I = floor(NetworkLockReductionInterval * block_emission / 1e9)
  computed in I64F64 (emulated exactly with integers below), so the decay slows down with each halving.
- `subnets/subnet.rs do_register_network` (check order, the lock seeds the new pool: SubnetTAO = lock,
  SubnetAlphaIn = lock / median alpha price; owner hotkey as UID 0), `init_new_network` (explicit
  defaults, LastEpochBlock stagger), `get_next_netuid` (netuid 0 is root's, created at genesis).

Agora differences, for a chain without governance: a new subnet starts trading and receiving emission
at once (subtensor waits for the owner's `start_call` and for governance to enable pool emission), and
the pool is seeded with exactly the TAO locked (subtensor tops it up to NetworkMinLockCost).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import BadOrigin, Origin, ensure
from runtime.frame.state import StateReader
from runtime.pallets import balances

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import FirstEmissionBlockNumberSet, NetworkAdded, SubnetIdentitySet
from runtime.pallets.subtensor.fixed import F64, U64_MAX
from runtime.pallets.subtensor.stake.core import (
    coldkey_owns_hotkey, create_account_if_non_existent, hotkey_account_exists, spendable, sync_total_issuance,
)
from runtime.pallets.subtensor.swap import current_price_bits
from runtime.pallets.subtensor.neurons import append_neuron
from runtime.pallets.subtensor.types import block_emission_for_issuance, symbol_for

DYNAMIC_MECHANISM = 1


def subnet_exists(state: StateReader, netuid: int) -> bool:
    return S.NetworksAdded.get(state, netuid)


def all_netuids(state: StateReader) -> list[int]:
    """Every subnet, root (0) included, in netuid order."""
    return [key[0] for key, added in S.NetworksAdded.iter(state) if added]


def subnet_netuids(state: StateReader) -> list[int]:
    """Every subnet except root."""
    return [netuid for netuid in all_netuids(state) if netuid != 0]


def median_subnet_alpha_price(state: StateReader) -> int:
    """`get_median_subnet_alpha_price` (U64F64 bits): median of positive non-root prices, else 1.0."""
    prices = sorted(p for p in (current_price_bits(state, n) for n in subnet_netuids(state)) if p > 0)
    if not prices:
        return 1 << F64
    mid = len(prices) // 2
    return prices[mid] if len(prices) % 2 else (prices[mid - 1] + prices[mid]) // 2


def init_root_network(ctx: BlockContext) -> None:
    """Genesis: the root network (netuid 0), where stake is TAO 1:1 (`migrate_create_root_network`)."""
    state = ctx.state
    S.NetworksAdded.insert(state, 0, True)
    S.TotalNetworks.mutate(state, lambda n: n + 1)
    S.SubnetMechanism.insert(state, 0, 0)
    S.SubtokenEnabled.insert(state, 0, True)
    S.TokenSymbol.insert(state, 0, symbol_for(0))
    S.Tempo.insert(state, 0, 0)            # no Yuma epoch on root
    S.NetworkRegistrationAllowed.insert(state, 0, False)


def get_next_netuid(state: StateReader) -> int:
    taken = set(all_netuids(state))
    netuid = 1  # netuid 0 is the root network's
    while netuid in taken:
        netuid += 1
    return netuid


def lock_reduction_interval(state: StateReader) -> int:
    """floor(interval * I64F64(block_emission / 1e9)): the I64F64 quotient has 64 fractional bits."""
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


def is_valid_subnet_identity(identity: dict) -> bool:
    """`is_valid_subnet_identity`: per-field and total length limits."""
    limits = {"subnet_name": 256, "github_repo": 1024, "subnet_contact": 1024, "subnet_url": 1024,
              "discord": 256, "description": 1024, "logo_url": 1024, "additional": 1024}
    total = len(identity["subnet_name"]) + len(identity["github_repo"]) + len(identity["subnet_contact"])
    return total <= sum(limits.values()) and all(len(identity[k]) <= v for k, v in limits.items())


def do_register_network(ctx: BlockContext, coldkey: bytes, hotkey: bytes, identity: dict | None = None) -> int:
    state = ctx.state
    ensure(not hotkey_account_exists(state, hotkey) or coldkey_owns_hotkey(state, coldkey, hotkey),
           Error.NonAssociatedColdKey)
    now = ctx.block_number
    last = S.NetworkLastRegistered.get(state)
    ensure(last == 0 or now - last >= S.NetworkRateLimit.get(state), Error.NetworkTxRateLimitExceeded)
    # Subtensor dissolves the lowest-priced non-immune subnet at the limit; Agora refuses instead.
    ensure(len(subnet_netuids(state)) < S.SubnetLimit.get(state), Error.SubnetLimitReached)
    lock = network_lock_cost(state, now)
    ensure(lock <= balances.free_balance(ctx, coldkey), Error.CannotAffordLockCost)
    if identity is not None:
        ensure(is_valid_subnet_identity(identity), Error.InvalidIdentity)
    locked = min(lock, spendable(ctx, coldkey))      # transfer_tao_to_subnet keeps the account alive
    ensure(locked > 0, Error.InsufficientBalance)

    netuid = get_next_netuid(state)
    median_price = median_subnet_alpha_price(state)
    init_new_network(ctx, netuid)
    balances.withdraw(ctx, coldkey, locked, keep_alive=True)      # into the new pool: counted in TotalStake
    S.NetworkLastLockCost.put(state, locked)
    S.NetworkLastRegistered.put(state, now)

    create_account_if_non_existent(ctx, coldkey, hotkey)
    append_neuron(ctx, netuid, hotkey, now)
    S.SubnetMechanism.insert(state, netuid, DYNAMIC_MECHANISM)
    S.NetworkRegisteredAt.insert(state, netuid, now)
    S.TokenSymbol.insert(state, netuid, symbol_for(netuid))
    S.SubnetOwner.insert(state, netuid, coldkey)
    S.SubnetOwnerHotkey.insert(state, netuid, hotkey)
    S.SubnetLocked.insert(state, netuid, locked)
    S.SubnetTAO.insert(state, netuid, locked)
    S.SubnetAlphaIn.insert(state, netuid, min(((locked << F64) // median_price) if median_price else 0, U64_MAX))
    S.SubnetAlphaOut.insert(state, netuid, 0)
    S.SubnetVolume.insert(state, netuid, 0)
    S.TotalStake.mutate(state, lambda v: v + locked)
    if identity is not None:
        S.SubnetIdentitiesV3.insert(state, netuid, identity)
        ctx.deposit_event(SubnetIdentitySet(netuid))
    S.FirstEmissionBlockNumber.insert(state, netuid, now + 1)
    S.SubtokenEnabled.insert(state, netuid, True)
    sync_total_issuance(ctx)
    ctx.deposit_event(FirstEmissionBlockNumberSet(netuid, now + 1))
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
