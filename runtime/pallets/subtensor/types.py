"""Codecs, constants and upstream defaults of the SubtensorModule pallet.

Types keep subtensor's shapes (`pallets/subtensor/src/lib.rs`): a `NetUid` is a u16, a
`TaoBalance`/`AlphaBalance` is a u64 of rao, weights and bonds are `Vec<(u16, u16)>`.
Stake is alpha bought through each subnet's pool (dynamic TAO); on root (netuid 0) alpha is TAO 1:1.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

from primitives.scale import U8, U16, U32, U64, U128, Bool, Bytes, Vec, struct_of, tuple_of
from primitives.types import TAO, scale_struct  # noqa: F401  (TAO re-exported: the pallet's modules use it)
from runtime.pallets.subtensor.fixed import U64F64  # noqa: F401  (re-exported: storage and events use it)

U16_MAX = 0xFFFF
U64_MAX = (1 << 64) - 1

NetUid = U16                     # subtensor_runtime_common::NetUid (a u16 newtype)
NetUidStorageIndex = U16         # netuid + mecid * 4096 (subnets/mechanism.rs); mecid 0 only here
Balance64 = U64                  # TaoBalance / AlphaBalance: u64 rao
WeightRow = Vec(tuple_of(U16, U16))

def u64f64_from_decimal(text: str) -> int:
    """`U64F64::from_num(f64)` for a literal: the f64's exact value, rounded to 64 fractional bits."""
    value = Fraction(float(text))
    scaled = value * (1 << 64)
    floor = scaled.numerator // scaled.denominator
    rest = scaled - floor
    return floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)


# --- upstream defaults (runtime/src/lib.rs ~L960-1042, pallets/subtensor/src/lib.rs type_values,
#     subnets/subnet.rs init_new_network) ---------------------------------------------------------
DEFAULT_BLOCK_EMISSION = 1_000_000_000          # DefaultBlockEmission: 1 TAO per block
TOTAL_SUPPLY = 21_000_000 * TAO                 # TotalSupply
DEFAULT_MIN_STAKE = 2_000_000                   # SubtensorInitialMinStake (DefaultMinStake), 0.002 TAO
DEFAULT_TAKE = 11_796                           # SubtensorInitialDefaultTake (Delegates default), 18%
DEFAULT_BURN_INCREASE_MULT = u64f64_from_decimal("1.26")   # DefaultBurnIncreaseMult
MECHANISM_STORAGE_STRIDE = 4096                 # GLOBAL_MAX_SUBNET_COUNT (subnets/mechanism.rs)


@dataclasses.dataclass
class SubnetDefaults:
    """What `init_new_network` writes for a new subnet. Agora keeps these in storage so a chain
    spec can tune them (a devnet wants a short tempo); the defaults are subtensor's."""
    tempo: U16 = 360                      # DefaultTempo (INITIAL_SUBNET_TEMPO)
    max_allowed_uids: U16 = 256           # init_new_network
    max_allowed_validators: U16 = 64      # init_new_network
    min_allowed_weights: U16 = 1          # init_new_network
    immunity_period: U16 = 5000           # init_new_network
    burn: U64 = 1_000_000_000             # DefaultNeuronBurnCost
    min_burn: U64 = 500_000               # SubtensorInitialMinBurn
    max_burn: U64 = 100_000_000_000       # SubtensorInitialMaxBurn
    weights_set_rate_limit: U64 = 100     # DefaultWeightsSetRateLimit
    activity_cutoff_factor_milli: U32 = 13_889   # INITIAL_ACTIVITY_CUTOFF_FACTOR_MILLI
    min_non_immune_uids: U16 = 10         # DefaultMinNonImmuneUids
    yuma3_enabled: Bool = True            # init_new_network sets Yuma3On
    # Subtensor's default is true; a dev chain wants plain set_weights (the SDK checks this flag).
    commit_reveal_weights_enabled: Bool = False


SubnetDefaultsType = struct_of(SubnetDefaults, "pallet_subtensor::types::SubnetDefaults")

# Subnet token symbols (subnets/symbols.rs starts with the Greek alphabet after tau for root).
SYMBOLS = ["τ", "α", "β", "γ", "δ", "ε", "ζ", "η", "θ", "ι", "κ", "λ", "μ", "ν", "ξ", "ο", "π", "ρ", "σ",
           "υ", "φ", "χ", "ψ", "ω"]


def symbol_for(netuid: int) -> bytes:
    return (SYMBOLS[netuid] if netuid < len(SYMBOLS) else f"SN{netuid}").encode()


def default_subnet_name(netuid: int) -> bytes:
    return SUBNET_NAMES[netuid] if netuid < len(SUBNET_NAMES) else f"subnet{netuid}".encode()


# --- serving and identity structs (pallets/subtensor/src/lib.rs, `mod pallet`) -----------------------
@dataclasses.dataclass
class _Served:
    """What an axon and a Prometheus endpoint both record: where and since when it serves."""
    block: U64
    version: U32
    ip: U128
    port: U16
    ip_type: U8


@scale_struct("pallet_subtensor::pallet::AxonInfo", values="dict")
class AxonInfo(_Served):
    protocol: U8
    placeholder1: U8
    placeholder2: U8


@scale_struct("pallet_subtensor::pallet::PrometheusInfo", values="dict")
class PrometheusInfo(_Served):
    pass


@scale_struct("pallet_subtensor::pallet::ChainIdentityV2", values="dict")
class ChainIdentityV2:
    name: Bytes
    url: Bytes
    github_repo: Bytes
    image: Bytes
    discord: Bytes
    description: Bytes
    additional: Bytes


@scale_struct("pallet_subtensor::pallet::SubnetIdentityV3", values="dict")
class SubnetIdentityV3:
    subnet_name: Bytes
    github_repo: Bytes
    subnet_contact: Bytes
    subnet_url: Bytes
    discord: Bytes
    description: Bytes
    logo_url: Bytes
    additional: Bytes


# Subnet names when no identity is set (subnets/symbols.rs get_name_for_subnet, first entries).
SUBNET_NAMES = [b"root", b"apex", b"omron", b"templar", b"targon", b"kaito", b"infinite", b"subvortex",
                b"pretrain", b"sturdy", b"dippy", b"horde"]


def block_emission_for_issuance(issuance: int) -> int:
    if issuance >= TOTAL_SUPPLY:
        return 0
    remaining = TOTAL_SUPPLY - issuance
    k = 0
    while (remaining << (k + 1)) <= TOTAL_SUPPLY:
        k += 1
    return DEFAULT_BLOCK_EMISSION >> k
