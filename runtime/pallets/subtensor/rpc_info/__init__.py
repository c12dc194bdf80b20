"""Subtensor's runtime APIs, declared as `pallets/subtensor/runtime-api/src/lib.rs` and
`pallets/swap/runtime-api/src/lib.rs` declare them (names, argument names, argument and return
types), each with the function that serves it.

- `types.py`      the returned structs (NeuronInfo, DynamicInfo, Metagraph, ...)
- `reads.py`      shared storage reads
- `neurons.py`    NeuronInfoRuntimeApi
- `subnets.py`    SubnetInfoRuntimeApi (subnet info, hyperparameters, state, epochs), SubnetRegistrationRuntimeApi
- `metagraph.py`  SubnetInfoRuntimeApi metagraphs and mechagraphs (full and selective)
- `stake.py`      StakeInfoRuntimeApi, DelegateInfoRuntimeApi
- `swap.py`       SwapRuntimeApi

Not served (no Agora counterpart): the proxy filters, stake availability/conviction queries,
`get_subnet_to_prune`, `get_subnet_account_id` and the v1 `get_subnet_info(s)`/`get_subnet_hyperparams`.
"""
from __future__ import annotations

from runtime.frame.api import ApiMethod, RuntimeApi
from primitives.scale import U8, U16, U64, Option, Vec, tuple_of
from primitives.types import AccountId

from runtime.pallets.subtensor.rpc_info import metagraph, neurons, stake, subnets, swap
from runtime.pallets.subtensor.rpc_info.types import (
    DelegateInfo, DynamicInfo, LockState, Metagraph, NeuronInfo, NeuronInfoLite, SelectiveMetagraph, SimSwapResult,
    StakeInfo, SubnetHyperparamsV2, SubnetHyperparamsV3, SubnetInfov2, SubnetPrice, SubnetState, C16, C64,
)

NetUid, MechId = U16, U8


def _m(name: str, inputs, output, impl, doc: str = "") -> ApiMethod:
    return ApiMethod(name, tuple(inputs), output, (doc,) if doc else (), impl)


SUBTENSOR_APIS: tuple[RuntimeApi, ...] = (
    RuntimeApi("DelegateInfoRuntimeApi", (
        _m("get_delegates", [], Vec(DelegateInfo), stake.get_delegates),
        _m("get_delegate", [("delegate_account", AccountId)], Option(DelegateInfo), stake.get_delegate),
        _m("get_delegated", [("delegatee_account", AccountId)], Vec(tuple_of(DelegateInfo, tuple_of(C16, C64))),
           stake.get_delegated),
    )),
    RuntimeApi("NeuronInfoRuntimeApi", (
        _m("get_neurons", [("netuid", NetUid)], Vec(NeuronInfo), neurons.get_neurons),
        _m("get_neuron", [("netuid", NetUid), ("uid", U16)], Option(NeuronInfo), neurons.get_neuron),
        _m("get_neurons_lite", [("netuid", NetUid)], Vec(NeuronInfoLite), neurons.get_neurons_lite),
        _m("get_neuron_lite", [("netuid", NetUid), ("uid", U16)], Option(NeuronInfoLite), neurons.get_neuron_lite),
    )),
    RuntimeApi("SubnetInfoRuntimeApi", (
        _m("get_subnet_info_v2", [("netuid", NetUid)], Option(SubnetInfov2), subnets.get_subnet_info_v2),
        _m("get_subnets_info_v2", [], Vec(Option(SubnetInfov2)), subnets.get_subnets_info_v2),
        _m("get_subnet_hyperparams_v2", [("netuid", NetUid)], Option(SubnetHyperparamsV2),
           subnets.get_subnet_hyperparams_v2),
        _m("get_subnet_hyperparams_v3", [("netuid", NetUid)], Option(SubnetHyperparamsV3),
           subnets.get_subnet_hyperparams_v3),
        _m("get_all_dynamic_info", [], Vec(Option(DynamicInfo)), subnets.get_all_dynamic_info),
        _m("get_all_metagraphs", [], Vec(Option(Metagraph)), metagraph.get_all_metagraphs),
        _m("get_metagraph", [("netuid", NetUid)], Option(Metagraph), metagraph.get_metagraph),
        _m("get_all_mechagraphs", [], Vec(Option(Metagraph)), metagraph.get_all_mechagraphs),
        _m("get_mechagraph", [("netuid", NetUid), ("mecid", MechId)], Option(Metagraph), metagraph.get_mechagraph),
        _m("get_dynamic_info", [("netuid", NetUid)], Option(DynamicInfo), subnets.get_dynamic_info),
        _m("get_subnet_state", [("netuid", NetUid)], Option(SubnetState), subnets.get_subnet_state),
        _m("get_selective_metagraph", [("netuid", NetUid), ("metagraph_indexes", Vec(U16))],
           Option(SelectiveMetagraph), metagraph.get_selective_metagraph),
        _m("get_selective_mechagraph", [("netuid", NetUid), ("subid", MechId), ("metagraph_indexes", Vec(U16))],
           Option(SelectiveMetagraph), metagraph.get_selective_mechagraph),
        _m("get_next_epoch_start_block", [("netuid", NetUid)], Option(U64), subnets.get_next_epoch_start_block),
    )),
    RuntimeApi("StakeInfoRuntimeApi", (
        _m("get_stake_info_for_coldkey", [("coldkey_account", AccountId)], Vec(StakeInfo),
           stake.get_stake_info_for_coldkey),
        _m("get_stake_info_for_coldkeys", [("coldkey_accounts", Vec(AccountId))],
           Vec(tuple_of(AccountId, Vec(StakeInfo))), stake.get_stake_info_for_coldkeys),
        _m("get_stake_info_for_hotkey_coldkey_netuid",
           [("hotkey_account", AccountId), ("coldkey_account", AccountId), ("netuid", NetUid)],
           Option(StakeInfo), stake.get_stake_info_for_hotkey_coldkey_netuid),
        _m("get_stake_fee", [("origin", Option(tuple_of(AccountId, NetUid))), ("origin_coldkey_account", AccountId),
                             ("destination", Option(tuple_of(AccountId, NetUid))),
                             ("destination_coldkey_account", AccountId), ("amount", U64)], U64, stake.get_stake_fee),
        _m("get_coldkey_lock", [("coldkey", AccountId), ("netuid", NetUid)], Option(LockState),
           stake.get_coldkey_lock),
    )),
    RuntimeApi("SubnetRegistrationRuntimeApi", (
        _m("get_network_registration_cost", [], U64, subnets.get_network_registration_cost),
    )),
    RuntimeApi("SwapRuntimeApi", (
        _m("current_alpha_price", [("netuid", NetUid)], U64, swap.current_alpha_price),
        _m("current_alpha_price_all", [], Vec(SubnetPrice), swap.current_alpha_price_all),
        _m("sim_swap_tao_for_alpha", [("netuid", NetUid), ("tao", U64)], SimSwapResult, swap.sim_swap_tao_for_alpha),
        _m("sim_swap_alpha_for_tao", [("netuid", NetUid), ("alpha", U64)], SimSwapResult,
           swap.sim_swap_alpha_for_tao),
    )),
)

__all__ = ["SUBTENSOR_APIS"]
