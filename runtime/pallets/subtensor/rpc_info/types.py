"""The SCALE types subtensor's runtime APIs return, field for field.

Layouts, field names, field order, `Compact` wrappers and type paths follow opentensor/subtensor
(`pallets/subtensor/src/rpc_info/*.rs`, `pallets/subtensor/src/lib.rs`,
`pallets/swap/runtime-api/src/lib.rs`, `pallets/subtensor/src/staking/lock.rs`) at
`14bc6f9f` (June 2026): the SDK and btcli decode these through metadata V15 and read the
decoded dicts by field name. A `NetUid` is a plain `u16` here (subtensor wraps it in a
transparent newtype with the same encoding); `AlphaBalance`/`TaoBalance` are `u64`.

Each struct is an annotated class: a field's annotation is its codec, `Named` where subtensor's
metadata gives the field a type name other than the codec's own (`Compact<NetUid>` for a compact
u16). Values are dicts by field name, as the SDK reads them.
"""
from __future__ import annotations

import dataclasses

from primitives.scale import (
    I64, U8, U16, U32, U64, U128, Array, Bool, Bytes, Compact, Enum, Field, Option, Struct, Variant, Vec,
    tuple_of,
)
from primitives.types import AccountId, Named, annotated_fields, scale_struct

from runtime.pallets.subtensor.fixed import I96F32, U64F64, fixed_codec
from runtime.pallets.subtensor.storage_dtao import LockState as StorageLockState
from runtime.pallets.subtensor.types import AxonInfo, ChainIdentityV2, PrometheusInfo, SubnetIdentityV3

C8, C16, C32, C64, C128 = Compact(U8), Compact(U16), Compact(U32), Compact(U64), Compact(U128)
ACCOUNT_PARAM = (("AccountId", AccountId),)
RPC = "pallet_subtensor::rpc_info::"

# subtensor's type names for the codecs its structs use most
Account = Named(AccountId, "AccountId")
NetUidC = Named(C16, "Compact<NetUid>")
AlphaC = Named(C64, "Compact<AlphaBalance>")
TaoC = Named(C64, "Compact<TaoBalance>")

# substrate_fixed::FixedI64<U32>: the raw bits (value = bits / 2**32).
I32F32 = fixed_codec("substrate_fixed::FixedI64", I64, docs=("I32F32",))


def _rpc_struct(path: str, *, generic: bool = False):
    """An rpc_info struct (dict values); `generic`: subtensor's `<AccountId>` type parameter."""
    return scale_struct(path, values="dict", params=ACCOUNT_PARAM if generic else ())


EMPTY_AXON = {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0, "protocol": 0,
              "placeholder1": 0, "placeholder2": 0}
EMPTY_PROMETHEUS = {"block": 0, "version": 0, "ip": 0, "port": 0, "ip_type": 0}

StakeEntry = tuple_of(AccountId, C64)          # (coldkey, Compact<AlphaBalance>)
WeightEntry = tuple_of(C16, C16)               # (uid, value)


@dataclasses.dataclass
class _NeuronHead:
    hotkey: Account
    coldkey: Account
    uid: C16
    netuid: NetUidC
    active: Bool
    axon_info: AxonInfo
    prometheus_info: PrometheusInfo
    stake: Named(Vec(StakeEntry), "Vec<(AccountId, Compact<AlphaBalance>)>")
    rank: C16
    emission: AlphaC
    incentive: C16
    consensus: C16
    trust: C16
    validator_trust: C16
    dividends: C16
    last_update: C64
    validator_permit: Bool


@_rpc_struct(RPC + "neuron_info::NeuronInfo", generic=True)
class NeuronInfo(_NeuronHead):
    weights: Vec(WeightEntry)
    bonds: Vec(WeightEntry)
    pruning_score: C16


@_rpc_struct(RPC + "neuron_info::NeuronInfoLite", generic=True)
class NeuronInfoLite(_NeuronHead):
    pruning_score: C16


def _joined(path: str, *parts: type) -> Struct:
    """A generic rpc_info struct whose fields are those of `parts` in turn: for columns two structs share."""
    return Struct(path, [f for part in parts for f in annotated_fields(part)], params=ACCOUNT_PARAM)


@dataclasses.dataclass
class _PoolColumns:
    """A subnet's pool and emission figures, as DynamicInfo and Metagraph both carry them."""
    alpha_in: AlphaC
    alpha_out: AlphaC
    tao_in: TaoC
    alpha_out_emission: AlphaC
    alpha_in_emission: AlphaC
    tao_in_emission: TaoC
    pending_alpha_emission: AlphaC
    pending_root_emission: TaoC
    subnet_volume: C128


@dataclasses.dataclass
class _DynamicHead:
    netuid: NetUidC
    owner_hotkey: Account
    owner_coldkey: Account
    subnet_name: Vec(C8)
    token_symbol: Vec(C8)
    tempo: C16
    last_step: C64
    blocks_since_last_step: C64
    emission: C64


@dataclasses.dataclass
class _DynamicTail:
    network_registered_at: C64
    subnet_identity: Option(SubnetIdentityV3)
    moving_price: Named(I96F32, "I96F32")


DynamicInfo = _joined(RPC + "dynamic_info::DynamicInfo", _DynamicHead, _PoolColumns, _DynamicTail)


@_rpc_struct(RPC + "subnet_info::SubnetInfov2", generic=True)
class SubnetInfov2:
    netuid: NetUidC
    rho: C16
    kappa: C16
    difficulty: C64
    immunity_period: C16
    max_allowed_validators: C16
    min_allowed_weights: C16
    max_weights_limit: C16
    scaling_law_power: C16
    subnetwork_n: C16
    max_allowed_uids: C16
    blocks_since_last_step: C64
    tempo: C16
    network_modality: C16
    network_connect: Vec(Array(U16, 2))
    emission_value: C64
    burn: TaoC
    owner: Account
    identity: Option(SubnetIdentityV3)


@dataclasses.dataclass
class _HyperparamsV1:
    rho: C16
    kappa: C16
    immunity_period: C16
    min_allowed_weights: C16
    max_weights_limit: C16
    tempo: C16
    min_difficulty: C64
    max_difficulty: C64
    weights_version: C64
    weights_rate_limit: C64
    adjustment_interval: C16
    activity_cutoff: C64
    registration_allowed: Bool
    target_regs_per_interval: C16
    min_burn: TaoC
    max_burn: TaoC
    bonds_moving_avg: C64
    max_regs_per_block: C16
    serving_rate_limit: C64
    max_validators: C16
    adjustment_alpha: C64
    difficulty: C64
    commit_reveal_period: C64
    commit_reveal_weights_enabled: Bool
    alpha_high: C16
    alpha_low: C16
    liquid_alpha_enabled: Bool


@_rpc_struct(RPC + "subnet_info::SubnetHyperparamsV2")
class SubnetHyperparamsV2(_HyperparamsV1):
    alpha_sigmoid_steepness: Named(I32F32, "I32F32")
    yuma_version: C16
    subnet_is_active: Bool
    transfers_enabled: Bool
    bonds_reset_enabled: Bool
    user_liquidity_enabled: Bool


HyperparamValue = Enum(RPC + "subnet_info::HyperparamValue", [
    Variant("Bool", 0, (Field(None, Bool, "bool"),)), Variant("U16", 1, (Field(None, C16, "Compact<u16>"),)),
    Variant("U32", 2, (Field(None, C32, "Compact<u32>"),)), Variant("U64", 3, (Field(None, C64, "Compact<u64>"),)),
    Variant("U128", 4, (Field(None, C128, "Compact<u128>"),)),
    Variant("TaoBalance", 5, (Field(None, C64, "Compact<TaoBalance>"),)),
    Variant("I32F32", 6, (Field(None, I32F32, "I32F32"),)), Variant("U64F64", 7, (Field(None, U64F64, "U64F64"),))])


@_rpc_struct(RPC + "subnet_info::HyperparamEntry")
class HyperparamEntry:
    name: Bytes
    value: HyperparamValue


SubnetHyperparamsV3 = Vec(HyperparamEntry)


@dataclasses.dataclass
class _UidColumns:
    """Per-UID columns that SubnetState and Metagraph both carry, in subtensor's order."""
    active: Vec(Bool)
    validator_permit: Vec(Bool)
    pruning_score: Vec(C16)
    last_update: Vec(C64)
    emission: Named(Vec(C64), "Vec<Compact<AlphaBalance>>")
    dividends: Vec(C16)
    incentives: Vec(C16)
    consensus: Vec(C16)
    trust: Vec(C16)
    rank: Vec(C16)
    block_at_registration: Vec(C64)
    alpha_stake: Named(Vec(C64), "Vec<Compact<AlphaBalance>>")
    tao_stake: Named(Vec(C64), "Vec<Compact<TaoBalance>>")
    total_stake: Named(Vec(C64), "Vec<Compact<TaoBalance>>")


@dataclasses.dataclass
class _SubnetStateHead:
    netuid: NetUidC
    hotkeys: Named(Vec(AccountId), "Vec<AccountId>")
    coldkeys: Named(Vec(AccountId), "Vec<AccountId>")


@dataclasses.dataclass
class _SubnetStateTail:
    emission_history: Named(Vec(Vec(C64)), "Vec<Vec<Compact<AlphaBalance>>>")


SubnetState = _joined(RPC + "show_subnet::SubnetState", _SubnetStateHead, _UidColumns, _SubnetStateTail)


# Metagraph (get_metagraph) and SelectiveMetagraph (every field but netuid an Option, plus
# `validators` and `commitments`): one field list, in subtensor's order; SelectiveMetagraphIndex is
# the position in it.
@dataclasses.dataclass
class _MetagraphHead:
    netuid: NetUidC
    name: Vec(C8)
    symbol: Vec(C8)
    identity: Option(SubnetIdentityV3)
    network_registered_at: C64
    owner_hotkey: Account
    owner_coldkey: Account
    block: C64
    tempo: C16
    last_step: C64
    blocks_since_last_step: C64
    subnet_emission: C64


@dataclasses.dataclass
class _MetagraphParams:
    moving_price: Named(I96F32, "I96F32")
    rho: C16
    kappa: C16
    min_allowed_weights: C16
    max_weights_limit: C16
    weights_version: C64
    weights_rate_limit: C64
    activity_cutoff: C64
    max_validators: C16
    num_uids: C16
    max_uids: C16
    burn: TaoC
    difficulty: C64
    registration_allowed: Bool
    pow_registration_allowed: Bool
    immunity_period: C16
    min_difficulty: C64
    max_difficulty: C64
    min_burn: TaoC
    max_burn: TaoC
    adjustment_alpha: C64
    adjustment_interval: C16
    target_regs_per_interval: C16
    max_regs_per_block: C16
    serving_rate_limit: C64
    commit_reveal_weights_enabled: Bool
    commit_reveal_period: C64
    liquid_alpha_enabled: Bool
    alpha_high: C16
    alpha_low: C16
    bonds_moving_avg: C64
    hotkeys: Named(Vec(AccountId), "Vec<AccountId>")
    coldkeys: Named(Vec(AccountId), "Vec<AccountId>")
    identities: Named(Vec(Option(ChainIdentityV2)), "Vec<Option<ChainIdentityOfV2>>")
    axons: Vec(AxonInfo)


@dataclasses.dataclass
class _MetagraphTail:
    tao_dividends_per_hotkey: Named(Vec(StakeEntry), "Vec<(AccountId, Compact<TaoBalance>)>")
    alpha_dividends_per_hotkey: Named(Vec(StakeEntry), "Vec<(AccountId, Compact<AlphaBalance>)>")


Metagraph = _joined(RPC + "metagraph::Metagraph", _MetagraphHead, _PoolColumns, _MetagraphParams, _UidColumns,
                    _MetagraphTail)


@dataclasses.dataclass
class _SelectiveExtra:
    validators: Vec(C16)
    commitments: Named(Vec(tuple_of(AccountId, Vec(C8))), "Vec<(AccountId, Vec<Compact<u8>>)>")


def _optional(field: Field) -> Field:
    return dataclasses.replace(field, codec=Option(field.codec), type_name=f"Option<{field.type_name}>")


METAGRAPH_NAMES = [f.name for f in Metagraph.fields]
SELECTIVE_NAMES = METAGRAPH_NAMES + [f.name for f in annotated_fields(_SelectiveExtra)]
SelectiveMetagraph = Struct(RPC + "metagraph::SelectiveMetagraph", [Metagraph.fields[0]] + [
    _optional(f) for f in list(Metagraph.fields[1:]) + annotated_fields(_SelectiveExtra)], params=ACCOUNT_PARAM)


@_rpc_struct(RPC + "stake_info::StakeInfo", generic=True)
class StakeInfo:
    hotkey: Account
    coldkey: Account
    netuid: NetUidC
    stake: AlphaC
    locked: C64
    emission: AlphaC
    tao_emission: TaoC
    drain: C64
    is_registered: Bool


# The API's LockState is the storage item's declaration in a struct of its own: V15 metadata has
# always listed the two apart.
LockState = Struct(StorageLockState.path, StorageLockState.fields)


@_rpc_struct(RPC + "delegate_info::DelegateInfo", generic=True)
class DelegateInfo:
    delegate_ss58: Account
    take: C16
    nominators: Named(Vec(tuple_of(AccountId, Vec(tuple_of(C16, C64)))), "Vec<(AccountId, Vec<(Compact<NetUid>, Compact<u64>)>)>")
    owner_ss58: Account
    registrations: Named(Vec(C16), "Vec<Compact<NetUid>>")
    validator_permits: Named(Vec(C16), "Vec<Compact<NetUid>>")
    return_per_1000: C64
    total_daily_return: C64


@_rpc_struct("pallet_subtensor_swap_runtime_api::SimSwapResult")
class SimSwapResult:
    tao_amount: Named(U64, "TaoBalance")
    alpha_amount: Named(U64, "AlphaBalance")
    tao_fee: Named(U64, "TaoBalance")
    alpha_fee: Named(U64, "AlphaBalance")
    tao_slippage: Named(U64, "TaoBalance")
    alpha_slippage: Named(U64, "AlphaBalance")


@_rpc_struct("pallet_subtensor_swap_runtime_api::SubnetPrice")
class SubnetPrice:
    netuid: Named(U16, "NetUid")
    price: U64
