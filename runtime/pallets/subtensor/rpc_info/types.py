"""The SCALE types subtensor's runtime APIs return, field for field.

Layouts, field names, field order, `Compact` wrappers and type paths follow opentensor/subtensor
(`pallets/subtensor/src/rpc_info/*.rs`, `pallets/subtensor/src/lib.rs`,
`pallets/swap/runtime-api/src/lib.rs`, `pallets/subtensor/src/staking/lock.rs`) at
`14bc6f9f` (June 2026): the SDK and btcli decode these through metadata V15 and read the
decoded dicts by field name. A `NetUid` is a plain `u16` here (subtensor wraps it in a
transparent newtype with the same encoding); `AlphaBalance`/`TaoBalance` are `u64`.
"""
from __future__ import annotations

from primitives.scale import (
    I64, U8, U16, U32, U64, U128, Array, Bool, Bytes, Compact, Enum, Field, Option, Struct, Variant, Vec,
    tuple_of,
)
from primitives.types import AccountId

from runtime.pallets.subtensor.fixed import I96F32, U64F64
from runtime.pallets.subtensor.types import AxonInfo, ChainIdentityV2, PrometheusInfo, SubnetIdentityV3

C8, C16, C32, C64, C128 = Compact(U8), Compact(U16), Compact(U32), Compact(U64), Compact(U128)
ACCOUNT_PARAM = (("AccountId", AccountId),)
RPC = "pallet_subtensor::rpc_info::"

# substrate_fixed::FixedI64<U32>: the raw bits (value = bits / 2**32).
I32F32 = Struct("substrate_fixed::FixedI64", [Field("bits", I64, "i64")], docs=("I32F32",))


def _struct(path: str, fields: list[tuple[str, object, str]], *, generic: bool = False) -> Struct:
    return Struct(path, [Field(name, codec, type_name) for name, codec, type_name in fields],
                  params=ACCOUNT_PARAM if generic else ())


EMPTY_AXON = {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0, "protocol": 0,
              "placeholder1": 0, "placeholder2": 0}
EMPTY_PROMETHEUS = {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0}

StakeEntry = tuple_of(AccountId, C64)          # (coldkey, Compact<AlphaBalance>)
WeightEntry = tuple_of(C16, C16)               # (uid, value)

_NEURON_HEAD = [
    ("hotkey", AccountId, "AccountId"), ("coldkey", AccountId, "AccountId"), ("uid", C16, "Compact<u16>"),
    ("netuid", C16, "Compact<NetUid>"), ("active", Bool, "bool"), ("axon_info", AxonInfo, "AxonInfo"),
    ("prometheus_info", PrometheusInfo, "PrometheusInfo"),
    ("stake", Vec(StakeEntry), "Vec<(AccountId, Compact<AlphaBalance>)>"), ("rank", C16, "Compact<u16>"),
    ("emission", C64, "Compact<AlphaBalance>"), ("incentive", C16, "Compact<u16>"),
    ("consensus", C16, "Compact<u16>"), ("trust", C16, "Compact<u16>"), ("validator_trust", C16, "Compact<u16>"),
    ("dividends", C16, "Compact<u16>"), ("last_update", C64, "Compact<u64>"), ("validator_permit", Bool, "bool"),
]
NeuronInfo = _struct(RPC + "neuron_info::NeuronInfo", _NEURON_HEAD + [
    ("weights", Vec(WeightEntry), "Vec<(Compact<u16>, Compact<u16>)>"),
    ("bonds", Vec(WeightEntry), "Vec<(Compact<u16>, Compact<u16>)>"),
    ("pruning_score", C16, "Compact<u16>")], generic=True)
NeuronInfoLite = _struct(RPC + "neuron_info::NeuronInfoLite", _NEURON_HEAD + [
    ("pruning_score", C16, "Compact<u16>")], generic=True)

DynamicInfo = _struct(RPC + "dynamic_info::DynamicInfo", [
    ("netuid", C16, "Compact<NetUid>"), ("owner_hotkey", AccountId, "AccountId"),
    ("owner_coldkey", AccountId, "AccountId"), ("subnet_name", Vec(C8), "Vec<Compact<u8>>"),
    ("token_symbol", Vec(C8), "Vec<Compact<u8>>"), ("tempo", C16, "Compact<u16>"),
    ("last_step", C64, "Compact<u64>"), ("blocks_since_last_step", C64, "Compact<u64>"),
    ("emission", C64, "Compact<u64>"), ("alpha_in", C64, "Compact<AlphaBalance>"),
    ("alpha_out", C64, "Compact<AlphaBalance>"), ("tao_in", C64, "Compact<TaoBalance>"),
    ("alpha_out_emission", C64, "Compact<AlphaBalance>"), ("alpha_in_emission", C64, "Compact<AlphaBalance>"),
    ("tao_in_emission", C64, "Compact<TaoBalance>"), ("pending_alpha_emission", C64, "Compact<AlphaBalance>"),
    ("pending_root_emission", C64, "Compact<TaoBalance>"), ("subnet_volume", C128, "Compact<u128>"),
    ("network_registered_at", C64, "Compact<u64>"),
    ("subnet_identity", Option(SubnetIdentityV3), "Option<SubnetIdentityV3>"), ("moving_price", I96F32, "I96F32"),
], generic=True)

SubnetInfov2 = _struct(RPC + "subnet_info::SubnetInfov2", [
    ("netuid", C16, "Compact<NetUid>"), ("rho", C16, "Compact<u16>"), ("kappa", C16, "Compact<u16>"),
    ("difficulty", C64, "Compact<u64>"), ("immunity_period", C16, "Compact<u16>"),
    ("max_allowed_validators", C16, "Compact<u16>"), ("min_allowed_weights", C16, "Compact<u16>"),
    ("max_weights_limit", C16, "Compact<u16>"), ("scaling_law_power", C16, "Compact<u16>"),
    ("subnetwork_n", C16, "Compact<u16>"), ("max_allowed_uids", C16, "Compact<u16>"),
    ("blocks_since_last_step", C64, "Compact<u64>"), ("tempo", C16, "Compact<u16>"),
    ("network_modality", C16, "Compact<u16>"), ("network_connect", Vec(Array(U16, 2)), "Vec<[u16; 2]>"),
    ("emission_value", C64, "Compact<u64>"), ("burn", C64, "Compact<TaoBalance>"),
    ("owner", AccountId, "AccountId"), ("identity", Option(SubnetIdentityV3), "Option<SubnetIdentityV3>"),
], generic=True)

_HYPERPARAMS_V1 = [
    ("rho", C16, "Compact<u16>"), ("kappa", C16, "Compact<u16>"), ("immunity_period", C16, "Compact<u16>"),
    ("min_allowed_weights", C16, "Compact<u16>"), ("max_weights_limit", C16, "Compact<u16>"),
    ("tempo", C16, "Compact<u16>"), ("min_difficulty", C64, "Compact<u64>"), ("max_difficulty", C64, "Compact<u64>"),
    ("weights_version", C64, "Compact<u64>"), ("weights_rate_limit", C64, "Compact<u64>"),
    ("adjustment_interval", C16, "Compact<u16>"), ("activity_cutoff", C64, "Compact<u64>"),
    ("registration_allowed", Bool, "bool"), ("target_regs_per_interval", C16, "Compact<u16>"),
    ("min_burn", C64, "Compact<TaoBalance>"), ("max_burn", C64, "Compact<TaoBalance>"),
    ("bonds_moving_avg", C64, "Compact<u64>"), ("max_regs_per_block", C16, "Compact<u16>"),
    ("serving_rate_limit", C64, "Compact<u64>"), ("max_validators", C16, "Compact<u16>"),
    ("adjustment_alpha", C64, "Compact<u64>"), ("difficulty", C64, "Compact<u64>"),
    ("commit_reveal_period", C64, "Compact<u64>"), ("commit_reveal_weights_enabled", Bool, "bool"),
    ("alpha_high", C16, "Compact<u16>"), ("alpha_low", C16, "Compact<u16>"), ("liquid_alpha_enabled", Bool, "bool"),
]
SubnetHyperparamsV2 = _struct(RPC + "subnet_info::SubnetHyperparamsV2", _HYPERPARAMS_V1 + [
    ("alpha_sigmoid_steepness", I32F32, "I32F32"), ("yuma_version", C16, "Compact<u16>"),
    ("subnet_is_active", Bool, "bool"), ("transfers_enabled", Bool, "bool"), ("bonds_reset_enabled", Bool, "bool"),
    ("user_liquidity_enabled", Bool, "bool")])

HyperparamValue = Enum(RPC + "subnet_info::HyperparamValue", [
    Variant("Bool", 0, (Field(None, Bool, "bool"),)), Variant("U16", 1, (Field(None, C16, "Compact<u16>"),)),
    Variant("U32", 2, (Field(None, C32, "Compact<u32>"),)), Variant("U64", 3, (Field(None, C64, "Compact<u64>"),)),
    Variant("U128", 4, (Field(None, C128, "Compact<u128>"),)),
    Variant("TaoBalance", 5, (Field(None, C64, "Compact<TaoBalance>"),)),
    Variant("I32F32", 6, (Field(None, I32F32, "I32F32"),)), Variant("U64F64", 7, (Field(None, U64F64, "U64F64"),))])
HyperparamEntry = _struct(RPC + "subnet_info::HyperparamEntry", [
    ("name", Bytes, "Vec<u8>"), ("value", HyperparamValue, "HyperparamValue")])
SubnetHyperparamsV3 = Vec(HyperparamEntry)

SubnetState = _struct(RPC + "show_subnet::SubnetState", [
    ("netuid", C16, "Compact<NetUid>"), ("hotkeys", Vec(AccountId), "Vec<AccountId>"),
    ("coldkeys", Vec(AccountId), "Vec<AccountId>"), ("active", Vec(Bool), "Vec<bool>"),
    ("validator_permit", Vec(Bool), "Vec<bool>"), ("pruning_score", Vec(C16), "Vec<Compact<u16>>"),
    ("last_update", Vec(C64), "Vec<Compact<u64>>"), ("emission", Vec(C64), "Vec<Compact<AlphaBalance>>"),
    ("dividends", Vec(C16), "Vec<Compact<u16>>"), ("incentives", Vec(C16), "Vec<Compact<u16>>"),
    ("consensus", Vec(C16), "Vec<Compact<u16>>"), ("trust", Vec(C16), "Vec<Compact<u16>>"),
    ("rank", Vec(C16), "Vec<Compact<u16>>"), ("block_at_registration", Vec(C64), "Vec<Compact<u64>>"),
    ("alpha_stake", Vec(C64), "Vec<Compact<AlphaBalance>>"), ("tao_stake", Vec(C64), "Vec<Compact<TaoBalance>>"),
    ("total_stake", Vec(C64), "Vec<Compact<TaoBalance>>"),
    ("emission_history", Vec(Vec(C64)), "Vec<Vec<Compact<AlphaBalance>>>"),
], generic=True)

# Metagraph (get_metagraph) and SelectiveMetagraph (every field but netuid an Option, plus
# `validators` and `commitments`): one list, in subtensor's order; SelectiveMetagraphIndex is
# the position in it.
METAGRAPH_FIELDS: list[tuple[str, object, str]] = [
    ("netuid", C16, "Compact<NetUid>"), ("name", Vec(C8), "Vec<Compact<u8>>"),
    ("symbol", Vec(C8), "Vec<Compact<u8>>"), ("identity", Option(SubnetIdentityV3), "Option<SubnetIdentityV3>"),
    ("network_registered_at", C64, "Compact<u64>"), ("owner_hotkey", AccountId, "AccountId"),
    ("owner_coldkey", AccountId, "AccountId"), ("block", C64, "Compact<u64>"), ("tempo", C16, "Compact<u16>"),
    ("last_step", C64, "Compact<u64>"), ("blocks_since_last_step", C64, "Compact<u64>"),
    ("subnet_emission", C64, "Compact<u64>"), ("alpha_in", C64, "Compact<AlphaBalance>"),
    ("alpha_out", C64, "Compact<AlphaBalance>"), ("tao_in", C64, "Compact<TaoBalance>"),
    ("alpha_out_emission", C64, "Compact<AlphaBalance>"), ("alpha_in_emission", C64, "Compact<AlphaBalance>"),
    ("tao_in_emission", C64, "Compact<TaoBalance>"), ("pending_alpha_emission", C64, "Compact<AlphaBalance>"),
    ("pending_root_emission", C64, "Compact<TaoBalance>"), ("subnet_volume", C128, "Compact<u128>"),
    ("moving_price", I96F32, "I96F32"), ("rho", C16, "Compact<u16>"), ("kappa", C16, "Compact<u16>"),
    ("min_allowed_weights", C16, "Compact<u16>"), ("max_weights_limit", C16, "Compact<u16>"),
    ("weights_version", C64, "Compact<u64>"), ("weights_rate_limit", C64, "Compact<u64>"),
    ("activity_cutoff", C64, "Compact<u64>"), ("max_validators", C16, "Compact<u16>"),
    ("num_uids", C16, "Compact<u16>"), ("max_uids", C16, "Compact<u16>"), ("burn", C64, "Compact<TaoBalance>"),
    ("difficulty", C64, "Compact<u64>"), ("registration_allowed", Bool, "bool"),
    ("pow_registration_allowed", Bool, "bool"), ("immunity_period", C16, "Compact<u16>"),
    ("min_difficulty", C64, "Compact<u64>"), ("max_difficulty", C64, "Compact<u64>"),
    ("min_burn", C64, "Compact<TaoBalance>"), ("max_burn", C64, "Compact<TaoBalance>"),
    ("adjustment_alpha", C64, "Compact<u64>"), ("adjustment_interval", C16, "Compact<u16>"),
    ("target_regs_per_interval", C16, "Compact<u16>"), ("max_regs_per_block", C16, "Compact<u16>"),
    ("serving_rate_limit", C64, "Compact<u64>"), ("commit_reveal_weights_enabled", Bool, "bool"),
    ("commit_reveal_period", C64, "Compact<u64>"), ("liquid_alpha_enabled", Bool, "bool"),
    ("alpha_high", C16, "Compact<u16>"), ("alpha_low", C16, "Compact<u16>"),
    ("bonds_moving_avg", C64, "Compact<u64>"), ("hotkeys", Vec(AccountId), "Vec<AccountId>"),
    ("coldkeys", Vec(AccountId), "Vec<AccountId>"),
    ("identities", Vec(Option(ChainIdentityV2)), "Vec<Option<ChainIdentityOfV2>>"),
    ("axons", Vec(AxonInfo), "Vec<AxonInfo>"), ("active", Vec(Bool), "Vec<bool>"),
    ("validator_permit", Vec(Bool), "Vec<bool>"), ("pruning_score", Vec(C16), "Vec<Compact<u16>>"),
    ("last_update", Vec(C64), "Vec<Compact<u64>>"), ("emission", Vec(C64), "Vec<Compact<AlphaBalance>>"),
    ("dividends", Vec(C16), "Vec<Compact<u16>>"), ("incentives", Vec(C16), "Vec<Compact<u16>>"),
    ("consensus", Vec(C16), "Vec<Compact<u16>>"), ("trust", Vec(C16), "Vec<Compact<u16>>"),
    ("rank", Vec(C16), "Vec<Compact<u16>>"), ("block_at_registration", Vec(C64), "Vec<Compact<u64>>"),
    ("alpha_stake", Vec(C64), "Vec<Compact<AlphaBalance>>"), ("tao_stake", Vec(C64), "Vec<Compact<TaoBalance>>"),
    ("total_stake", Vec(C64), "Vec<Compact<TaoBalance>>"),
    ("tao_dividends_per_hotkey", Vec(StakeEntry), "Vec<(AccountId, Compact<TaoBalance>)>"),
    ("alpha_dividends_per_hotkey", Vec(StakeEntry), "Vec<(AccountId, Compact<AlphaBalance>)>"),
]
SELECTIVE_EXTRA_FIELDS: list[tuple[str, object, str]] = [
    ("validators", Vec(C16), "Vec<Compact<u16>>"),
    ("commitments", Vec(tuple_of(AccountId, Vec(C8))), "Vec<(AccountId, Vec<Compact<u8>>)>"),
]
METAGRAPH_NAMES = [name for name, _, _ in METAGRAPH_FIELDS]
SELECTIVE_NAMES = METAGRAPH_NAMES + [name for name, _, _ in SELECTIVE_EXTRA_FIELDS]

Metagraph = _struct(RPC + "metagraph::Metagraph", METAGRAPH_FIELDS, generic=True)
SelectiveMetagraph = _struct(RPC + "metagraph::SelectiveMetagraph", [METAGRAPH_FIELDS[0]] + [
    (name, Option(codec), f"Option<{type_name}>")
    for name, codec, type_name in METAGRAPH_FIELDS[1:] + SELECTIVE_EXTRA_FIELDS], generic=True)

StakeInfo = _struct(RPC + "stake_info::StakeInfo", [
    ("hotkey", AccountId, "AccountId"), ("coldkey", AccountId, "AccountId"), ("netuid", C16, "Compact<NetUid>"),
    ("stake", C64, "Compact<AlphaBalance>"), ("locked", C64, "Compact<u64>"),
    ("emission", C64, "Compact<AlphaBalance>"), ("tao_emission", C64, "Compact<TaoBalance>"),
    ("drain", C64, "Compact<u64>"), ("is_registered", Bool, "bool")], generic=True)

LockState = _struct("pallet_subtensor::staking::lock::LockState", [
    ("locked_mass", U64, "AlphaBalance"), ("conviction", U64F64, "U64F64"), ("last_update", U64, "u64")])

DelegateInfo = _struct(RPC + "delegate_info::DelegateInfo", [
    ("delegate_ss58", AccountId, "AccountId"), ("take", C16, "Compact<u16>"),
    ("nominators", Vec(tuple_of(AccountId, Vec(tuple_of(C16, C64)))),
     "Vec<(AccountId, Vec<(Compact<NetUid>, Compact<u64>)>)>"),
    ("owner_ss58", AccountId, "AccountId"), ("registrations", Vec(C16), "Vec<Compact<NetUid>>"),
    ("validator_permits", Vec(C16), "Vec<Compact<NetUid>>"), ("return_per_1000", C64, "Compact<u64>"),
    ("total_daily_return", C64, "Compact<u64>")], generic=True)

SimSwapResult = _struct("pallet_subtensor_swap_runtime_api::SimSwapResult", [
    ("tao_amount", U64, "TaoBalance"), ("alpha_amount", U64, "AlphaBalance"), ("tao_fee", U64, "TaoBalance"),
    ("alpha_fee", U64, "AlphaBalance"), ("tao_slippage", U64, "TaoBalance"), ("alpha_slippage", U64, "AlphaBalance")])
SubnetPrice = _struct("pallet_subtensor_swap_runtime_api::SubnetPrice", [
    ("netuid", U16, "NetUid"), ("price", U64, "u64")])
