"""AdminUtils' calls: the hyperparameter setters, one named function each, under subtensor's names, call
indices and argument names (`pallets/admin-utils/src/lib.rs`). They write SubtensorModule's storage and
deposit its `XxxSet` events, as upstream; the origin and value rules are in `subtensor/hyperparams.py`."""
from __future__ import annotations

from primitives.scale import I16, U8, U16, U64, Bool
from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure_root
from runtime.frame.pallet import CallWeight
from runtime.pallets.admin_utils.pallet import pallet
from runtime.pallets.subtensor import events as E
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.hyperparams import (
    NETUID, SETTER_WEIGHT, check_bonds_moving_average, check_burn_increase_mult, check_max_allowed_uids,
    check_max_burn, check_min_burn, do_set_alpha_values, owner_or_root_on_subnet, root_on_subnet,
)
from runtime.pallets.subtensor.types import U64F64


@pallet.call(6, [NETUID, ("weights_version_key", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_weights_version_key(ctx: BlockContext, origin: Origin, netuid: int, weights_version_key: int) -> None:
    """Set `WeightsVersionKey` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.WeightsVersionKey.insert(ctx.state, netuid, weights_version_key)
    ctx.deposit_event(E.WeightsVersionKeySet(netuid, weights_version_key))


@pallet.call(7, [NETUID, ("weights_set_rate_limit", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_weights_set_rate_limit(ctx: BlockContext, origin: Origin, netuid: int, weights_set_rate_limit: int) -> None:
    """Set `WeightsSetRateLimit` (Root)."""
    root_on_subnet(ctx, origin, netuid)
    S.WeightsSetRateLimit.insert(ctx.state, netuid, weights_set_rate_limit)
    ctx.deposit_event(E.WeightsSetRateLimitSet(netuid, weights_set_rate_limit))


@pallet.call(12, [NETUID, ("max_weight_limit", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_max_weight_limit(ctx: BlockContext, origin: Origin, netuid: int, max_weight_limit: int) -> None:
    """Set `MaxWeightsLimit` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.MaxWeightsLimit.insert(ctx.state, netuid, max_weight_limit)
    ctx.deposit_event(E.MaxWeightLimitSet(netuid, max_weight_limit))


@pallet.call(13, [NETUID, ("immunity_period", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_immunity_period(ctx: BlockContext, origin: Origin, netuid: int, immunity_period: int) -> None:
    """Set `ImmunityPeriod` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.ImmunityPeriod.insert(ctx.state, netuid, immunity_period)
    ctx.deposit_event(E.ImmunityPeriodSet(netuid, immunity_period))


@pallet.call(14, [NETUID, ("min_allowed_weights", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_min_allowed_weights(ctx: BlockContext, origin: Origin, netuid: int, min_allowed_weights: int) -> None:
    """Set `MinAllowedWeights` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.MinAllowedWeights.insert(ctx.state, netuid, min_allowed_weights)
    ctx.deposit_event(E.MinAllowedWeightSet(netuid, min_allowed_weights))


@pallet.call(15, [NETUID, ("max_allowed_uids", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_max_allowed_uids(ctx: BlockContext, origin: Origin, netuid: int, max_allowed_uids: int) -> None:
    """Set `MaxAllowedUids` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_max_allowed_uids(ctx.state, netuid, max_allowed_uids)
    S.MaxAllowedUids.insert(ctx.state, netuid, max_allowed_uids)
    ctx.deposit_event(E.MaxAllowedUidsSet(netuid, max_allowed_uids))


@pallet.call(16, [NETUID, ("kappa", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_kappa(ctx: BlockContext, origin: Origin, netuid: int, kappa: int) -> None:
    """Set `Kappa` (Root)."""
    root_on_subnet(ctx, origin, netuid)
    S.Kappa.insert(ctx.state, netuid, kappa)
    ctx.deposit_event(E.KappaSet(netuid, kappa))


@pallet.call(17, [NETUID, ("rho", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_rho(ctx: BlockContext, origin: Origin, netuid: int, rho: int) -> None:
    """Set `Rho` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.Rho.insert(ctx.state, netuid, rho)
    ctx.deposit_event(E.RhoSet(netuid, rho))


@pallet.call(19, [NETUID, ("registration_allowed", Bool, "bool")], weight=SETTER_WEIGHT)
def sudo_set_network_registration_allowed(ctx: BlockContext, origin: Origin, netuid: int, registration_allowed: bool) -> None:
    """Set `NetworkRegistrationAllowed` (Root)."""
    root_on_subnet(ctx, origin, netuid)
    S.NetworkRegistrationAllowed.insert(ctx.state, netuid, registration_allowed)
    ctx.deposit_event(E.RegistrationAllowed(netuid, registration_allowed))


@pallet.call(22, [NETUID, ("min_burn", U64, "TaoBalance")], weight=SETTER_WEIGHT)
def sudo_set_min_burn(ctx: BlockContext, origin: Origin, netuid: int, min_burn: int) -> None:
    """Set `MinBurn` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_min_burn(ctx.state, netuid, min_burn)
    S.MinBurn.insert(ctx.state, netuid, min_burn)
    ctx.deposit_event(E.MinBurnSet(netuid, min_burn))


@pallet.call(23, [NETUID, ("max_burn", U64, "TaoBalance")], weight=SETTER_WEIGHT)
def sudo_set_max_burn(ctx: BlockContext, origin: Origin, netuid: int, max_burn: int) -> None:
    """Set `MaxBurn` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_max_burn(ctx.state, netuid, max_burn)
    S.MaxBurn.insert(ctx.state, netuid, max_burn)
    ctx.deposit_event(E.MaxBurnSet(netuid, max_burn))


@pallet.call(25, [NETUID, ("max_allowed_validators", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_max_allowed_validators(ctx: BlockContext, origin: Origin, netuid: int, max_allowed_validators: int) -> None:
    """Set `MaxAllowedValidators` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.MaxAllowedValidators.insert(ctx.state, netuid, max_allowed_validators)
    ctx.deposit_event(E.MaxAllowedValidatorsSet(netuid, max_allowed_validators))


@pallet.call(26, [NETUID, ("bonds_moving_average", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_bonds_moving_average(ctx: BlockContext, origin: Origin, netuid: int, bonds_moving_average: int) -> None:
    """Set `BondsMovingAverage` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_bonds_moving_average(ctx.state, netuid, bonds_moving_average)
    S.BondsMovingAverage.insert(ctx.state, netuid, bonds_moving_average)
    ctx.deposit_event(E.BondsMovingAverageSet(netuid, bonds_moving_average))


@pallet.call(28, [("subnet_owner_cut", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_subnet_owner_cut(ctx: BlockContext, origin: Origin, subnet_owner_cut: int) -> None:
    """Set `SubnetOwnerCut` (Root)."""
    ensure_root(origin)
    S.SubnetOwnerCut.put(ctx.state, subnet_owner_cut)
    ctx.deposit_event(E.SubnetOwnerCutSet(subnet_owner_cut))


@pallet.call(29, [("rate_limit", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_network_rate_limit(ctx: BlockContext, origin: Origin, rate_limit: int) -> None:
    """Set `NetworkRateLimit` (Root)."""
    ensure_root(origin)
    S.NetworkRateLimit.put(ctx.state, rate_limit)
    ctx.deposit_event(E.NetworkRateLimitSet(rate_limit))


@pallet.call(30, [NETUID, ("tempo", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_tempo(ctx: BlockContext, origin: Origin, netuid: int, tempo: int) -> None:
    """Set `Tempo` (Root)."""
    root_on_subnet(ctx, origin, netuid)
    S.Tempo.insert(ctx.state, netuid, tempo)
    ctx.deposit_event(E.TempoSet(netuid, tempo))


@pallet.call(36, [("lock_cost", U64, "TaoBalance")], weight=SETTER_WEIGHT)
def sudo_set_network_min_lock_cost(ctx: BlockContext, origin: Origin, lock_cost: int) -> None:
    """Set `NetworkMinLockCost` (Root)."""
    ensure_root(origin)
    S.NetworkMinLockCost.put(ctx.state, lock_cost)
    ctx.deposit_event(E.NetworkMinLockCostSet(lock_cost))


@pallet.call(37, [("max_subnets", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_subnet_limit(ctx: BlockContext, origin: Origin, max_subnets: int) -> None:
    """Set `SubnetLimit` (Root)."""
    ensure_root(origin)
    S.SubnetLimit.put(ctx.state, max_subnets)
    ctx.deposit_event(E.SubnetLimitSet(max_subnets))


@pallet.call(38, [("interval", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_lock_reduction_interval(ctx: BlockContext, origin: Origin, interval: int) -> None:
    """Set `NetworkLockReductionInterval` (Root)."""
    ensure_root(origin)
    S.NetworkLockReductionInterval.put(ctx.state, interval)
    ctx.deposit_event(E.NetworkLockCostReductionIntervalSet(interval))


@pallet.call(42, [("min_stake", U64, "u64")], weight=SETTER_WEIGHT)
def sudo_set_stake_threshold(ctx: BlockContext, origin: Origin, min_stake: int) -> None:
    """Set `StakeThreshold` (Root)."""
    ensure_root(origin)
    S.StakeThreshold.put(ctx.state, min_stake)
    ctx.deposit_event(E.StakeThresholdSet(min_stake))


@pallet.call(49, [NETUID, ("enabled", Bool, "bool")], weight=SETTER_WEIGHT)
def sudo_set_commit_reveal_weights_enabled(ctx: BlockContext, origin: Origin, netuid: int, enabled: bool) -> None:
    """Set `CommitRevealWeightsEnabled` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.CommitRevealWeightsEnabled.insert(ctx.state, netuid, enabled)
    ctx.deposit_event(E.CommitRevealEnabled(netuid, enabled))


@pallet.call(50, [NETUID, ("enabled", Bool, "bool")], weight=SETTER_WEIGHT)
def sudo_set_liquid_alpha_enabled(ctx: BlockContext, origin: Origin, netuid: int, enabled: bool) -> None:
    """Set `LiquidAlphaOn` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.LiquidAlphaOn.insert(ctx.state, netuid, enabled)


@pallet.call(60, [NETUID, ("bonds_penalty", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_bonds_penalty(ctx: BlockContext, origin: Origin, netuid: int, bonds_penalty: int) -> None:
    """Set `BondsPenalty` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.BondsPenalty.insert(ctx.state, netuid, bonds_penalty)
    ctx.deposit_event(E.BondsPenaltySet(netuid, bonds_penalty))


@pallet.call(68, [NETUID, ("steepness", I16, "i16")], weight=SETTER_WEIGHT)
def sudo_set_alpha_sigmoid_steepness(ctx: BlockContext, origin: Origin, netuid: int, steepness: int) -> None:
    """Set `AlphaSigmoidSteepness` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.AlphaSigmoidSteepness.insert(ctx.state, netuid, steepness)
    ctx.deposit_event(E.AlphaSigmoidSteepnessSet(netuid, steepness))


@pallet.call(69, [NETUID, ("enabled", Bool, "bool")], weight=SETTER_WEIGHT)
def sudo_set_yuma3_enabled(ctx: BlockContext, origin: Origin, netuid: int, enabled: bool) -> None:
    """Set `Yuma3On` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.Yuma3On.insert(ctx.state, netuid, enabled)


@pallet.call(84, [NETUID, ("min", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_min_non_immune_uids(ctx: BlockContext, origin: Origin, netuid: int, min: int) -> None:
    """Set `MinNonImmuneUids` (Root)."""
    root_on_subnet(ctx, origin, netuid)
    S.MinNonImmuneUids.insert(ctx.state, netuid, min)
    ctx.deposit_event(E.MinNonImmuneUidsSet(netuid, min))


@pallet.call(89, [NETUID, ("burn_half_life", U16, "u16")], weight=SETTER_WEIGHT)
def sudo_set_burn_half_life(ctx: BlockContext, origin: Origin, netuid: int, burn_half_life: int) -> None:
    """Set `BurnHalfLife` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    S.BurnHalfLife.insert(ctx.state, netuid, burn_half_life)
    ctx.deposit_event(E.BurnHalfLifeSet(netuid, burn_half_life))


@pallet.call(90, [NETUID, ("burn_increase_mult", U64F64, "FixedU128")], weight=SETTER_WEIGHT)
def sudo_set_burn_increase_mult(ctx: BlockContext, origin: Origin, netuid: int, burn_increase_mult: dict) -> None:
    """Set `BurnIncreaseMult` (Root or the subnet owner)."""
    owner_or_root_on_subnet(ctx, origin, netuid)
    check_burn_increase_mult(ctx.state, netuid, burn_increase_mult)
    S.BurnIncreaseMult.insert(ctx.state, netuid, burn_increase_mult)
    ctx.deposit_event(E.BurnIncreaseMultSet(netuid, burn_increase_mult))


@pallet.call(96, [("max_epochs_per_block", U8, "u8")], weight=SETTER_WEIGHT)
def sudo_set_max_epochs_per_block(ctx: BlockContext, origin: Origin, max_epochs_per_block: int) -> None:
    """Set `MaxEpochsPerBlock` (Root)."""
    ensure_root(origin)
    S.MaxEpochsPerBlock.put(ctx.state, max_epochs_per_block)
    ctx.deposit_event(E.MaxEpochsPerBlockSet(max_epochs_per_block))


@pallet.call(51, [("netuid", U16, "NetUid"), ("alpha_low", U16, "u16"), ("alpha_high", U16, "u16")],
             weight=CallWeight(15_000_000))
def sudo_set_alpha_values(ctx: BlockContext, origin: Origin, netuid: int, alpha_low: int, alpha_high: int) -> None:
    """Set `AlphaValues` (Root or the subnet owner; liquid alpha must be on)."""
    do_set_alpha_values(ctx, origin, netuid, alpha_low, alpha_high)
