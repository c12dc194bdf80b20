"""Hyperparameter setters: the calls of the AdminUtils pallet (index 19, `pallets/admin-utils/src/lib.rs`).

Each setter is declared once in `SETTERS` and becomes AdminUtils call `<its index>` with AdminUtils'
name and argument names, so `btcli sudo set` and the SDK's sudo helpers find them;
`set_activity_cutoff_factor` (index 140) and the owner-side `set_tempo` (index 139) stay SubtensorModule calls.
"owner" setters accept Root or the subnet owner's coldkey (`ensure_sn_owner_or_root`), "subnet_owner" only the
owner's coldkey (`ensure_subnet_owner`), "root" setters Root only (sudo).
The owner rate limits and the admin freeze window of subtensor are not reproduced.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import BadOrigin, Origin, ensure, ensure_root
from runtime.frame.pallet import CallWeight
from primitives.scale import I16, U8, U16, U32, U64, Bool, Codec

from runtime.pallets.subtensor import events as E
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.networks import ensure_subnet_owner_or_root, subnet_exists
from runtime.pallets.subtensor.types import U64F64

SETTER_WEIGHT = CallWeight(15_000_000)


@dataclasses.dataclass(frozen=True)
class Setter:
    name: str                    # AdminUtils call name
    index: int                   # call index in this pallet
    arg: str                     # AdminUtils argument name
    codec: Codec
    item: Any                    # storage item
    who: str                     # "owner" (owner or root) | "subnet_owner" (owner only) | "root"
    event: Any = None            # event class (netuid, value) / (value)
    check: Callable[..., None] | None = None   # (state, netuid, value) -> raises
    per_subnet: bool = True
    type_name: str = ""
    pallet: str = "AdminUtils"   # the pallet whose call this is
    cycle_reset: bool = False    # the epoch cycle restarts now (`apply_tempo_with_cycle_reset`)


def _max_uids_check(state, netuid, value):
    ensure(value >= S.SubnetworkN.get(state, netuid) and value > 0, Error.InvalidValue)


def _cutoff_check(state, netuid, value):
    ensure(value >= 1000, Error.ActivityCutoffTooLow)
    ensure(value <= 50_000, Error.InvalidValue)


def _min_burn_check(state, netuid, value):
    ensure(value <= S.MaxBurn.get(state, netuid), Error.InvalidValue)


def _max_burn_check(state, netuid, value):
    ensure(value >= S.MinBurn.get(state, netuid), Error.InvalidValue)


def _bma_check(state, netuid, value):
    ensure(value <= 1_000_000, Error.InvalidValue)


def _mult_check(state, netuid, value):
    ensure(value["bits"] >= 1 << 64, Error.InvalidValue)


MIN_TEMPO, MAX_TEMPO = 360, 50_400   # the bounds of the owner-side set_tempo (lib.rs MIN_TEMPO/MAX_TEMPO)


def _owner_tempo_check(state, netuid, value):
    ensure(MIN_TEMPO <= value <= MAX_TEMPO, Error.TempoOutOfBounds)


def A(admin_utils_index: int) -> int:
    """An AdminUtils call index (as upstream)."""
    return admin_utils_index


SETTERS: tuple[Setter, ...] = (
    Setter("sudo_set_weights_version_key", A(6), "weights_version_key", U64, S.WeightsVersionKey, "owner",
           E.WeightsVersionKeySet),
    Setter("sudo_set_weights_set_rate_limit", A(7), "weights_set_rate_limit", U64, S.WeightsSetRateLimit, "root",
           E.WeightsSetRateLimitSet),
    Setter("sudo_set_max_weight_limit", A(12), "max_weight_limit", U16, S.MaxWeightsLimit, "owner",
           E.MaxWeightLimitSet),
    Setter("sudo_set_immunity_period", A(13), "immunity_period", U16, S.ImmunityPeriod, "owner", E.ImmunityPeriodSet),
    Setter("sudo_set_min_allowed_weights", A(14), "min_allowed_weights", U16, S.MinAllowedWeights, "owner",
           E.MinAllowedWeightSet),
    Setter("sudo_set_max_allowed_uids", A(15), "max_allowed_uids", U16, S.MaxAllowedUids, "owner",
           E.MaxAllowedUidsSet, _max_uids_check),
    Setter("sudo_set_kappa", A(16), "kappa", U16, S.Kappa, "root", E.KappaSet),
    Setter("sudo_set_rho", A(17), "rho", U16, S.Rho, "owner", E.RhoSet),
    Setter("sudo_set_network_registration_allowed", A(19), "registration_allowed", Bool,
           S.NetworkRegistrationAllowed, "root", E.RegistrationAllowed),
    Setter("sudo_set_min_burn", A(22), "min_burn", U64, S.MinBurn, "owner", E.MinBurnSet, _min_burn_check,
           type_name="TaoBalance"),
    Setter("sudo_set_max_burn", A(23), "max_burn", U64, S.MaxBurn, "owner", E.MaxBurnSet, _max_burn_check,
           type_name="TaoBalance"),
    Setter("sudo_set_max_allowed_validators", A(25), "max_allowed_validators", U16, S.MaxAllowedValidators, "owner",
           E.MaxAllowedValidatorsSet),
    Setter("sudo_set_bonds_moving_average", A(26), "bonds_moving_average", U64, S.BondsMovingAverage, "owner",
           E.BondsMovingAverageSet, _bma_check),
    Setter("sudo_set_subnet_owner_cut", A(28), "subnet_owner_cut", U16, S.SubnetOwnerCut, "root",
           E.SubnetOwnerCutSet, per_subnet=False),
    Setter("sudo_set_network_rate_limit", A(29), "rate_limit", U64, S.NetworkRateLimit, "root",
           E.NetworkRateLimitSet, per_subnet=False),
    Setter("sudo_set_tempo", A(30), "tempo", U16, S.Tempo, "root", E.TempoSet),
    Setter("set_tempo", 139, "tempo", U16, S.Tempo, "subnet_owner", E.TempoSet, _owner_tempo_check,
           pallet="SubtensorModule", cycle_reset=True),
    Setter("sudo_set_network_min_lock_cost", A(36), "lock_cost", U64, S.NetworkMinLockCost, "root",
           E.NetworkMinLockCostSet, per_subnet=False, type_name="TaoBalance"),
    Setter("sudo_set_subnet_limit", A(37), "max_subnets", U16, S.SubnetLimit, "root", E.SubnetLimitSet,
           per_subnet=False),
    Setter("sudo_set_lock_reduction_interval", A(38), "interval", U64, S.NetworkLockReductionInterval, "root",
           E.NetworkLockCostReductionIntervalSet, per_subnet=False),
    Setter("sudo_set_stake_threshold", A(42), "min_stake", U64, S.StakeThreshold, "root", E.StakeThresholdSet,
           per_subnet=False),
    Setter("sudo_set_commit_reveal_weights_enabled", A(49), "enabled", Bool, S.CommitRevealWeightsEnabled, "owner",
           E.CommitRevealEnabled),
    Setter("sudo_set_liquid_alpha_enabled", A(50), "enabled", Bool, S.LiquidAlphaOn, "owner"),
    Setter("sudo_set_bonds_penalty", A(60), "bonds_penalty", U16, S.BondsPenalty, "owner", E.BondsPenaltySet),
    Setter("sudo_set_alpha_sigmoid_steepness", A(68), "steepness", I16, S.AlphaSigmoidSteepness, "owner",
           E.AlphaSigmoidSteepnessSet),
    Setter("sudo_set_yuma3_enabled", A(69), "enabled", Bool, S.Yuma3On, "owner"),
    Setter("sudo_set_min_non_immune_uids", A(84), "min", U16, S.MinNonImmuneUids, "root", E.MinNonImmuneUidsSet),
    Setter("sudo_set_burn_half_life", A(89), "burn_half_life", U16, S.BurnHalfLife, "owner", E.BurnHalfLifeSet),
    Setter("sudo_set_burn_increase_mult", A(90), "burn_increase_mult", U64F64, S.BurnIncreaseMult, "owner",
           E.BurnIncreaseMultSet, _mult_check),
    Setter("sudo_set_max_epochs_per_block", A(96), "max_epochs_per_block", U8, S.MaxEpochsPerBlock, "root",
           E.MaxEpochsPerBlockSet, per_subnet=False),
    Setter("set_activity_cutoff_factor", 140, "factor_milli", U32, S.ActivityCutoffFactorMilli, "owner",
           E.ActivityCutoffFactorMilliSet, _cutoff_check, pallet="SubtensorModule"),
)


def _make_call(setter: Setter) -> Callable:
    if setter.per_subnet:
        def call(ctx: BlockContext, origin: Origin, netuid: int, **kwargs) -> None:
            state = ctx.state
            if setter.who == "root":
                ensure_root(origin)
            elif setter.who == "subnet_owner":
                if not (origin.kind == "Signed" and S.SubnetOwner.get(state, netuid) == origin.who):
                    raise BadOrigin()
            else:
                ensure_subnet_owner_or_root(state, origin, netuid)
            ensure(subnet_exists(state, netuid), Error.SubnetNotExists)
            value = kwargs[setter.arg]
            if setter.check is not None:
                setter.check(state, netuid, value)
            setter.item.insert(state, netuid, value)
            if setter.cycle_reset:
                S.LastEpochBlock.insert(state, netuid, ctx.block_number)
            if setter.event is not None:
                ctx.deposit_event(setter.event(netuid, value))
    else:
        def call(ctx: BlockContext, origin: Origin, **kwargs) -> None:
            ensure_root(origin)
            value = kwargs[setter.arg]
            setter.item.put(ctx.state, value)
            if setter.event is not None:
                ctx.deposit_event(setter.event(value))
    who = {"owner": "Root or the subnet owner", "subnet_owner": "the subnet owner"}.get(setter.who, "Root")
    call.__name__ = setter.name
    call.__doc__ = f"Set `{setter.item.name}` ({who})."
    return call


def register_setters(pallet) -> None:
    """Declare the setters that belong to `pallet` (AdminUtils, or SubtensorModule's own)."""
    for setter in SETTERS:
        if setter.pallet != pallet.name:
            continue
        args = [("netuid", U16, "NetUid")] if setter.per_subnet else []
        args.append((setter.arg, setter.codec, setter.type_name or repr(setter.codec)))
        pallet.call(setter.index, args, weight=SETTER_WEIGHT)(_make_call(setter))


def do_set_alpha_values(ctx: BlockContext, origin: Origin, netuid: int, alpha_low: int, alpha_high: int) -> None:
    """`epoch/run_epoch.rs do_set_alpha_values`: liquid alpha on, high >= 1638, 1638 <= low <= high."""
    state = ctx.state
    ensure_subnet_owner_or_root(state, origin, netuid)
    ensure(subnet_exists(state, netuid), Error.SubnetNotExists)
    ensure(S.LiquidAlphaOn.get(state, netuid), Error.LiquidAlphaDisabled)
    ensure(alpha_high >= 1638, Error.AlphaHighTooLow)
    ensure(1638 <= alpha_low <= alpha_high, Error.AlphaLowOutOfRange)
    S.AlphaValues.insert(state, netuid, (alpha_low, alpha_high))
