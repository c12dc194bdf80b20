"""Metagraphs (`rpc_info/metagraph.rs`): `get_metagraph`, `get_all_metagraphs`, `get_mechagraph`,
`get_all_mechagraphs`, `get_selective_metagraph` and `get_selective_mechagraph`.

A selective metagraph holds `Some(value)` exactly at the requested `SelectiveMetagraphIndex`
positions (the position of the field in `SELECTIVE_NAMES`); everything else is `None`, and
indexes past the end are ignored, as upstream's `merge_value` does.
"""
from __future__ import annotations

from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import subnet_exists
from runtime.pallets.subtensor.rpc_info.reads import (
    activity_cutoff_blocks, alpha_dividends, axon_info, coldkey_identity, current_block, hotkeys_of,
    moving_price, name_for_subnet, netuids, pending_alpha_emission, read, stake_weights, subnet_identity,
)
from runtime.pallets.subtensor.rpc_info.subnets import get_subnet_hyperparams_v2
from runtime.pallets.subtensor.rpc_info.types import METAGRAPH_NAMES, SELECTIVE_NAMES
from runtime.pallets.subtensor.types import MECHANISM_STORAGE_STRIDE

VALIDATORS_INDEX = SELECTIVE_NAMES.index("validators")
COMMITMENTS_INDEX = SELECTIVE_NAMES.index("commitments")


def _subnet_part(state: StateReader, netuid: int) -> dict:
    now = current_block(state)
    last_step = S.LastMechansimStepBlock.get(state, netuid)
    hp = get_subnet_hyperparams_v2(state, netuid)
    return {
        "netuid": netuid, "name": list(name_for_subnet(state, netuid)),
        "symbol": list(S.TokenSymbol.get(state, netuid)), "identity": subnet_identity(state, netuid),
        "network_registered_at": S.NetworkRegisteredAt.get(state, netuid),
        "owner_hotkey": S.SubnetOwnerHotkey.get(state, netuid), "owner_coldkey": S.SubnetOwner.get(state, netuid),
        "block": now, "tempo": S.Tempo.get(state, netuid), "last_step": last_step,
        "blocks_since_last_step": max(now - last_step, 0),
        "subnet_emission": 0,            # deprecated upstream
        "alpha_in": read(state, "SubnetAlphaIn", netuid), "alpha_out": read(state, "SubnetAlphaOut", netuid),
        "tao_in": S.SubnetTAO.get(state, netuid),
        "alpha_out_emission": read(state, "SubnetAlphaOutEmission", netuid),
        "alpha_in_emission": read(state, "SubnetAlphaInEmission", netuid),
        "tao_in_emission": read(state, "SubnetTaoInEmission", netuid),
        "pending_alpha_emission": pending_alpha_emission(state, netuid), "pending_root_emission": 0,
        "subnet_volume": read(state, "SubnetVolume", netuid), "moving_price": moving_price(state, netuid),
        "rho": hp["rho"], "kappa": hp["kappa"], "min_allowed_weights": hp["min_allowed_weights"],
        "max_weights_limit": hp["max_weights_limit"], "weights_version": hp["weights_version"],
        "weights_rate_limit": hp["weights_rate_limit"], "activity_cutoff": activity_cutoff_blocks(state, netuid),
        "max_validators": hp["max_validators"], "num_uids": S.SubnetworkN.get(state, netuid),
        "max_uids": S.MaxAllowedUids.get(state, netuid), "burn": S.Burn.get(state, netuid),
        "difficulty": hp["difficulty"], "registration_allowed": hp["registration_allowed"],
        "pow_registration_allowed": False, "immunity_period": hp["immunity_period"],
        "min_difficulty": hp["min_difficulty"], "max_difficulty": hp["max_difficulty"],
        "min_burn": hp["min_burn"], "max_burn": hp["max_burn"], "adjustment_alpha": hp["adjustment_alpha"],
        "adjustment_interval": hp["adjustment_interval"], "target_regs_per_interval": hp["target_regs_per_interval"],
        "max_regs_per_block": hp["max_regs_per_block"], "serving_rate_limit": hp["serving_rate_limit"],
        "commit_reveal_weights_enabled": hp["commit_reveal_weights_enabled"],
        "commit_reveal_period": hp["commit_reveal_period"], "liquid_alpha_enabled": hp["liquid_alpha_enabled"],
        "alpha_high": hp["alpha_high"], "alpha_low": hp["alpha_low"], "bonds_moving_avg": hp["bonds_moving_avg"],
    }


def _uid_part(state: StateReader, netuid: int, netuid_index: int) -> dict:
    hotkeys = hotkeys_of(state, netuid)
    coldkeys = [S.Owner.get(state, hk) for hk in hotkeys]
    total, alpha, tao = stake_weights(state, netuid, hotkeys)
    return {
        "hotkeys": hotkeys, "coldkeys": coldkeys,
        "identities": [coldkey_identity(state, ck) for ck in coldkeys],
        "axons": [axon_info(state, netuid, hk) for hk in hotkeys],
        "active": S.Active.get(state, netuid), "validator_permit": S.ValidatorPermit.get(state, netuid),
        "pruning_score": [], "last_update": S.LastUpdate.get(state, netuid_index),
        "emission": S.Emission.get(state, netuid), "dividends": S.Dividends.get(state, netuid),
        "incentives": S.Incentive.get(state, netuid_index), "consensus": S.Consensus.get(state, netuid),
        "trust": [], "rank": [],
        "block_at_registration": [S.BlockAtRegistration.get(state, netuid, uid) for uid in range(len(hotkeys))],
        "alpha_stake": alpha, "tao_stake": tao, "total_stake": total,
        "tao_dividends_per_hotkey": [(hk, 0) for hk in hotkeys],
        "alpha_dividends_per_hotkey": [(hk, alpha_dividends(state, netuid, hk)) for hk in hotkeys],
    }


def _mechanism_exists(state: StateReader, netuid: int, mecid: int) -> bool:
    return subnet_exists(state, netuid) and mecid < S.MechanismCountCurrent.get(state, netuid)


def get_metagraph(state: StateReader, netuid: int) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    return {**_subnet_part(state, netuid), **_uid_part(state, netuid, netuid)}


def get_all_metagraphs(state: StateReader) -> list[dict | None]:
    return [get_metagraph(state, netuid) for netuid in netuids(state)]


def get_mechagraph(state: StateReader, netuid: int, mecid: int) -> dict | None:
    """The metagraph with the mechanism's own LastUpdate and Incentive, netuid = its storage index."""
    if not _mechanism_exists(state, netuid, mecid):
        return None
    index = mecid * MECHANISM_STORAGE_STRIDE + netuid
    meta = {**_subnet_part(state, netuid), **_uid_part(state, netuid, index)}
    meta["netuid"] = index
    return meta


def get_all_mechagraphs(state: StateReader) -> list[dict | None]:
    return [get_mechagraph(state, netuid, mecid) for netuid in netuids(state)
            for mecid in range(S.MechanismCountCurrent.get(state, netuid))]


def _validators(state: StateReader, netuid: int) -> list[int]:
    """`get_validators`: permitted UIDs with total stake above StakeThreshold, by ascending stake."""
    hotkeys = hotkeys_of(state, netuid)
    permits = S.ValidatorPermit.get(state, netuid)
    total, _, _ = stake_weights(state, netuid, hotkeys)
    threshold = S.StakeThreshold.get(state)
    ranked = sorted((total[uid], uid) for uid in range(len(hotkeys)) if uid < len(permits) and permits[uid])
    return [uid for stake, uid in ranked if stake > threshold]


def _selective(state: StateReader, netuid: int, mecid: int, indexes: list[int]) -> dict:
    wanted = {i for i in indexes if i < len(SELECTIVE_NAMES)}
    result = {name: None for name in SELECTIVE_NAMES}
    result["netuid"] = 0                 # SelectiveMetagraph::default() is NetUid::ROOT
    metagraph_wanted = {i for i in wanted if i < len(METAGRAPH_NAMES)}
    if metagraph_wanted:
        index = mecid * MECHANISM_STORAGE_STRIDE + netuid
        needs_uids = any(i >= METAGRAPH_NAMES.index("hotkeys") for i in metagraph_wanted)
        full = {**_subnet_part(state, netuid), **(_uid_part(state, netuid, index) if needs_uids else {})}
        for i in metagraph_wanted:
            result[METAGRAPH_NAMES[i]] = full[METAGRAPH_NAMES[i]]
    if VALIDATORS_INDEX in wanted:
        result["validators"] = _validators(state, netuid)
    if COMMITMENTS_INDEX in wanted:
        result["commitments"] = []       # Agora has no Commitments pallet
    if 0 in wanted:
        result["netuid"] = netuid
    return result


def get_selective_metagraph(state: StateReader, netuid: int, metagraph_indexes: list[int]) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    return _selective(state, netuid, 0, metagraph_indexes)


def get_selective_mechagraph(state: StateReader, netuid: int, mecid: int, metagraph_indexes: list[int]) -> dict | None:
    if not subnet_exists(state, netuid):
        return None
    result = _selective(state, netuid, mecid, metagraph_indexes)
    result["netuid"] = netuid
    return result
