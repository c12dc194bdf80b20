"""SubnetInfoRuntimeApi and SubnetRegistrationRuntimeApi (`rpc_info/dynamic_info.rs`,
`subnet_info.rs`, `show_subnet.rs`, `coinbase/run_coinbase.rs get_next_epoch_start_block`,
`coinbase/root.rs get_network_lock_cost`)."""
from __future__ import annotations

from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import network_lock_cost, subnet_exists
from runtime.pallets.subtensor.rpc_info.reads import (
    activity_cutoff_blocks, current_block, hotkeys_of, hyperparam, moving_price, name_for_subnet, netuids,
    pending_alpha_emission, read, stake_weights, subnet_identity,
)


def get_dynamic_info(state: StateReader, netuid: int) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    last_step = S.LastMechansimStepBlock.get(state, netuid)
    return {
        "netuid": netuid, "owner_hotkey": S.SubnetOwnerHotkey.get(state, netuid),
        "owner_coldkey": S.SubnetOwner.get(state, netuid),
        "subnet_name": list(name_for_subnet(state, netuid)), "token_symbol": list(S.TokenSymbol.get(state, netuid)),
        "tempo": S.Tempo.get(state, netuid), "last_step": last_step,
        "blocks_since_last_step": max(current_block(state) - last_step, 0),
        "emission": 0,                   # deprecated upstream: always 0
        "alpha_in": read(state, "SubnetAlphaIn", netuid), "alpha_out": read(state, "SubnetAlphaOut", netuid),
        "tao_in": S.SubnetTAO.get(state, netuid),
        "alpha_out_emission": read(state, "SubnetAlphaOutEmission", netuid),
        "alpha_in_emission": read(state, "SubnetAlphaInEmission", netuid),
        "tao_in_emission": read(state, "SubnetTaoInEmission", netuid),
        "pending_alpha_emission": pending_alpha_emission(state, netuid),
        "pending_root_emission": 0,      # always 0 upstream
        "subnet_volume": read(state, "SubnetVolume", netuid),
        "network_registered_at": S.NetworkRegisteredAt.get(state, netuid),
        "subnet_identity": subnet_identity(state, netuid), "moving_price": moving_price(state, netuid),
    }


def get_all_dynamic_info(state: StateReader) -> list[dict | None]:
    return [get_dynamic_info(state, netuid) for netuid in netuids(state)]


def get_subnet_info_v2(state: StateReader, netuid: int) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    return {
        "netuid": netuid, "rho": S.Rho.get(state, netuid), "kappa": S.Kappa.get(state, netuid),
        "difficulty": hyperparam(state, "Difficulty", netuid),
        "immunity_period": S.ImmunityPeriod.get(state, netuid),
        "max_allowed_validators": S.MaxAllowedValidators.get(state, netuid),
        "min_allowed_weights": S.MinAllowedWeights.get(state, netuid),
        "max_weights_limit": S.MaxWeightsLimit.get(state, netuid),
        "scaling_law_power": hyperparam(state, "ScalingLawPower", netuid),
        "subnetwork_n": S.SubnetworkN.get(state, netuid), "max_allowed_uids": S.MaxAllowedUids.get(state, netuid),
        "blocks_since_last_step": S.BlocksSinceLastStep.get(state, netuid), "tempo": S.Tempo.get(state, netuid),
        "network_modality": 0, "network_connect": [], "emission_value": 0,
        "burn": S.Burn.get(state, netuid), "owner": S.SubnetOwner.get(state, netuid),
        "identity": subnet_identity(state, netuid),
    }


def get_subnets_info_v2(state: StateReader) -> list[dict | None]:
    return [get_subnet_info_v2(state, netuid) for netuid in netuids(state)]


def _hyperparams_v1(state: StateReader, netuid: int) -> dict:
    low, high = S.AlphaValues.get(state, netuid)
    return {
        "rho": S.Rho.get(state, netuid), "kappa": S.Kappa.get(state, netuid),
        "immunity_period": S.ImmunityPeriod.get(state, netuid),
        "min_allowed_weights": S.MinAllowedWeights.get(state, netuid),
        "max_weights_limit": S.MaxWeightsLimit.get(state, netuid), "tempo": S.Tempo.get(state, netuid),
        "min_difficulty": hyperparam(state, "MinDifficulty", netuid),
        "max_difficulty": hyperparam(state, "MaxDifficulty", netuid),
        "weights_version": S.WeightsVersionKey.get(state, netuid),
        "weights_rate_limit": S.WeightsSetRateLimit.get(state, netuid),
        "adjustment_interval": hyperparam(state, "AdjustmentInterval", netuid),
        "activity_cutoff": activity_cutoff_blocks(state, netuid),
        "registration_allowed": S.NetworkRegistrationAllowed.get(state, netuid),
        "target_regs_per_interval": hyperparam(state, "TargetRegistrationsPerInterval", netuid),
        "min_burn": S.MinBurn.get(state, netuid), "max_burn": S.MaxBurn.get(state, netuid),
        "bonds_moving_avg": S.BondsMovingAverage.get(state, netuid),
        "max_regs_per_block": hyperparam(state, "MaxRegistrationsPerBlock", netuid),
        "serving_rate_limit": hyperparam(state, "ServingRateLimit", netuid),
        "max_validators": S.MaxAllowedValidators.get(state, netuid),
        "adjustment_alpha": hyperparam(state, "AdjustmentAlpha", netuid),
        "difficulty": hyperparam(state, "Difficulty", netuid),
        "commit_reveal_period": hyperparam(state, "RevealPeriodEpochs", netuid),
        "commit_reveal_weights_enabled": S.CommitRevealWeightsEnabled.get(state, netuid),
        "alpha_high": high, "alpha_low": low, "liquid_alpha_enabled": S.LiquidAlphaOn.get(state, netuid),
    }


def get_subnet_hyperparams_v2(state: StateReader, netuid: int) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    params = _hyperparams_v1(state, netuid)
    params.update({
        # I32F32 bits of the (integer) steepness
        "alpha_sigmoid_steepness": {"bits": S.AlphaSigmoidSteepness.get(state, netuid) << 32},
        "yuma_version": 3 if S.Yuma3On.get(state, netuid) else 2,
        "subnet_is_active": hyperparam(state, "SubtokenEnabled", netuid),
        "transfers_enabled": hyperparam(state, "TransferToggle", netuid),
        "bonds_reset_enabled": hyperparam(state, "BondsResetOn", netuid),
        "user_liquidity_enabled": False,
    })
    return params


def get_subnet_hyperparams_v3(state: StateReader, netuid: int) -> list[dict] | None:
    """The named list of `get_subnet_hyperparams_v3`, in subtensor's order (the owner-cut and
    childkey entries after `user_liquidity_enabled` are subtensor's defaults: Agora has neither)."""
    if not subnet_exists(state, netuid):
        return None
    v2 = get_subnet_hyperparams_v2(state, netuid)
    entries = [
        ("kappa", "U16", v2["kappa"]), ("immunity_period", "U16", v2["immunity_period"]),
        ("min_allowed_weights", "U16", v2["min_allowed_weights"]),
        ("max_weights_limit", "U16", v2["max_weights_limit"]), ("tempo", "U16", v2["tempo"]),
        ("weights_version", "U64", v2["weights_version"]), ("weights_rate_limit", "U64", v2["weights_rate_limit"]),
        ("activity_cutoff", "U64", v2["activity_cutoff"]),
        ("activity_cutoff_factor", "U32", S.ActivityCutoffFactorMilli.get(state, netuid)),
        ("registration_allowed", "Bool", v2["registration_allowed"]),
        ("target_regs_per_interval", "U16", v2["target_regs_per_interval"]),
        ("min_burn", "TaoBalance", v2["min_burn"]), ("max_burn", "TaoBalance", v2["max_burn"]),
        ("burn_half_life", "U16", S.BurnHalfLife.get(state, netuid)),
        ("burn_increase_mult", "U64F64", S.BurnIncreaseMult.get(state, netuid)),
        ("bonds_moving_avg", "U64", v2["bonds_moving_avg"]), ("max_regs_per_block", "U16", v2["max_regs_per_block"]),
        ("serving_rate_limit", "U64", v2["serving_rate_limit"]), ("max_validators", "U16", v2["max_validators"]),
        ("commit_reveal_period", "U64", v2["commit_reveal_period"]),
        ("commit_reveal_weights_enabled", "Bool", v2["commit_reveal_weights_enabled"]),
        ("alpha_high", "U16", v2["alpha_high"]), ("alpha_low", "U16", v2["alpha_low"]),
        ("liquid_alpha_enabled", "Bool", v2["liquid_alpha_enabled"]),
        ("alpha_sigmoid_steepness", "I32F32", v2["alpha_sigmoid_steepness"]),
        ("yuma_version", "U16", v2["yuma_version"]), ("subnet_is_active", "Bool", v2["subnet_is_active"]),
        ("transfers_enabled", "Bool", v2["transfers_enabled"]),
        ("bonds_reset_enabled", "Bool", v2["bonds_reset_enabled"]), ("user_liquidity_enabled", "Bool", False),
        ("owner_cut_enabled", "Bool", True), ("owner_cut_auto_lock_enabled", "Bool", False),
        ("min_childkey_take", "U16", 0),
    ]
    return [{"name": name.encode(), "value": (kind, value)} for name, kind, value in entries]


def get_subnet_state(state: StateReader, netuid: int) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    hotkeys = hotkeys_of(state, netuid)
    total, alpha, tao = stake_weights(state, netuid, hotkeys)
    return {
        "netuid": netuid, "hotkeys": hotkeys, "coldkeys": [S.Owner.get(state, hk) for hk in hotkeys],
        "active": S.Active.get(state, netuid), "validator_permit": S.ValidatorPermit.get(state, netuid),
        "pruning_score": [],             # deprecated upstream: empty
        "last_update": S.LastUpdate.get(state, netuid), "emission": S.Emission.get(state, netuid),
        "dividends": S.Dividends.get(state, netuid), "incentives": S.Incentive.get(state, netuid),
        "consensus": S.Consensus.get(state, netuid), "trust": [], "rank": [],
        "block_at_registration": [S.BlockAtRegistration.get(state, netuid, uid) for uid in range(len(hotkeys))],
        "alpha_stake": alpha, "tao_stake": tao, "total_stake": total,
        "emission_history": [[read(state, "LastHotkeyEmissionOnNetuid", hk, other) for hk in hotkeys]
                             for other in netuids(state)],
    }


def get_next_epoch_start_block(state: StateReader, netuid: int) -> int | None:
    """None when tempo is 0; else LastEpochBlock + tempo, or a pending owner-triggered epoch if earlier.

    Subtensor answers for any netuid (tempo of a missing subnet reads as the default); so does this.
    """
    tempo = S.Tempo.get(state, netuid)
    if tempo == 0:
        return None
    auto_next = S.LastEpochBlock.get(state, netuid) + tempo
    pending = S.PendingEpochAt.get(state, netuid)
    return min(auto_next, pending) if pending > 0 else auto_next


def get_network_registration_cost(state: StateReader) -> int:
    return network_lock_cost(state, current_block(state))
