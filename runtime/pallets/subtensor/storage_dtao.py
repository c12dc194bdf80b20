"""Dynamic-TAO storage of SubtensorModule: subnet pools, pending emission, prices, flows, identities,
serving endpoints and commit-reveal, with subtensor's names, hashers, key order and value types
(`pallets/subtensor/src/lib.rs` at opentensor/subtensor 14bc6f9f).

Pool accounting (the invariants the property tests check to the rao):
- `SubnetTAO[n]` is the TAO reserve of subnet n's pool; `TotalStake == sum(SubnetTAO)`.
- `SubnetAlphaIn[n]` is the alpha reserve; `SubnetAlphaOut[n]` is alpha outside the pool: staked
  (`TotalHotkeyAlpha`), pending for the next epoch (`PendingServerEmission`, `PendingValidatorEmission`,
  `PendingRootAlphaDivs`, `PendingOwnerCut`) or bought by the protocol (`SubnetProtocolAlpha`).
"""
from __future__ import annotations

from runtime.frame.storage import StorageItem
from primitives.hashing import Hasher
from primitives.scale import I64, U16, U64, U128, Bool, Enum, Field, Variant, Vec, tuple_of
from primitives.types import AccountId, H256, Named, scale_struct

from runtime.pallets.subtensor.fixed import I64F64, I96F32, U64F64, U96F32, from_decimal_str, F32
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import (
    AxonInfo, ChainIdentityV2, NetUid, NetUidStorageIndex, PrometheusInfo, SubnetIdentityV3,
)

ID = Hasher.IDENTITY
B128 = Hasher.BLAKE2_128_CONCAT
T64 = Hasher.TWOX_64_CONCAT
ZERO = {"bits": 0}

DEFAULT_TAO_WEIGHT = 971_718_665_099_567_868          # SubtensorInitialTaoWeight (~0.0527 of u64::MAX)
DEFAULT_MOVING_ALPHA_BITS = from_decimal_str("0.000003", F32)   # DefaultMovingAlpha (I96F32)
DEFAULT_EMA_PRICE_HALVING_BLOCKS = 201_600            # InitialEmaPriceHalvingPeriod (4 weeks)
DEFAULT_SERVING_RATE_LIMIT = 50                       # SubtensorInitialServingRateLimit


def _net(name, codec, default, docs, hasher=ID):
    return pallet.map(name, [(hasher, NetUid)], codec, default=default, docs=docs)


# --- pools (staking/stake_utils.rs, coinbase/run_coinbase.rs) -----------------------------------------
SubnetAlphaIn = _net("SubnetAlphaIn", U64, 0, "Alpha reserve of the subnet's pool, rao.")
SubnetAlphaOut = _net("SubnetAlphaOut", U64, 0, "Alpha outside the pool (staked, pending or protocol-owned), rao.")
SubnetProtocolAlpha = _net("SubnetProtocolAlpha", U64, 0, "Alpha bought by the protocol with excess emission TAO.")
SubnetVolume = _net("SubnetVolume", U128, 0, "TAO bought and sold through the pool since registration, rao.")
SubnetMovingPrice = _net("SubnetMovingPrice", I96F32, ZERO, "EMA of the alpha price (capped at 1), I96F32.")
SubnetMovingAlpha = pallet.value("SubnetMovingAlpha", I96F32, default={"bits": DEFAULT_MOVING_ALPHA_BITS},
                                 docs="Base smoothing factor of the price EMA (I96F32).")
EMAPriceHalvingBlocks = _net("EMAPriceHalvingBlocks", U64, DEFAULT_EMA_PRICE_HALVING_BLOCKS,
                             "Blocks after start for the price EMA to reach half speed.")
RootProp = _net("RootProp", U96F32, ZERO, "Root proportion of the subnet's alpha emission (U96F32).")
TaoWeight = pallet.value("TaoWeight", U64, default=DEFAULT_TAO_WEIGHT, docs=(
    "Weight of root TAO stake against alpha stake, as a proportion of u64::MAX."))

# --- per-block emission counters -------------------------------------------------------------------
SubnetTaoInEmission = _net("SubnetTaoInEmission", U64, 0, "TAO injected into the pool in the last block.")
SubnetAlphaInEmission = _net("SubnetAlphaInEmission", U64, 0, "Alpha injected into the pool in the last block.")
SubnetAlphaOutEmission = _net("SubnetAlphaOutEmission", U64, 0, "Alpha emitted to participants in the last block.")
SubnetExcessTao = _net("SubnetExcessTao", U64, 0, "Emission TAO that bought alpha (chain buy) in the last block.")
SubnetEmissionEnabled = _net("SubnetEmissionEnabled", Bool, True, "Whether the pool side of emission is on.")
SubnetAlphaRecycled = _net("SubnetAlphaRecycled", U64, 0, (
    "Agora: alpha taken out of issuance so far (registration burns, unsold root alpha, epoch remainders)."))
MinerBurned = _net("MinerBurned", U96F32, ZERO, "Share of the last epoch's miner emission withheld (owner keys).")

# --- pending alpha, drained at the subnet's epoch ------------------------------------------------------
PendingServerEmission = _net("PendingServerEmission", U64, 0, "Alpha for miners since the last epoch.")
PendingValidatorEmission = _net("PendingValidatorEmission", U64, 0, "Alpha for validators since the last epoch.")
PendingRootAlphaDivs = _net("PendingRootAlphaDivs", U64, 0, "Alpha for root stakers since the last epoch.")
PendingOwnerCut = _net("PendingOwnerCut", U64, 0, "Alpha for the subnet owner since the last epoch.")
OwnerCutEnabled = _net("OwnerCutEnabled", Bool, True, "Whether the owner cut is taken.")
AlphaDividendsPerSubnet = pallet.map("AlphaDividendsPerSubnet", [(ID, NetUid), (B128, AccountId)], U64, default=0,
                                     docs="Alpha dividends of a hotkey at the subnet's last epoch.")
RootAlphaDividendsPerSubnet = pallet.map("RootAlphaDividendsPerSubnet", [(ID, NetUid), (B128, AccountId)], U64,
                                         default=0, docs="Root alpha dividends of a hotkey at the last epoch.")

# --- TAO flow ---------------------------------------------------------------------------------------
SubnetTaoFlow = _net("SubnetTaoFlow", I64, 0, "Net TAO staked into the subnet in the current block.")
SubnetEmaTaoFlow = pallet.map("SubnetEmaTaoFlow", [(ID, NetUid)], tuple_of(U64, I64F64),
                              docs="(block, EMA of the net TAO flow), I64F64.")
FlowEmaSmoothingFactor = pallet.value("FlowEmaSmoothingFactor", U64, default=29_597_889_189_277, docs=(
    "Smoothing factor of the TAO-flow EMA, as a proportion of i64::MAX (~1 month half-life)."))

# --- subnet lifecycle ---------------------------------------------------------------------------------
FirstEmissionBlockNumber = pallet.map("FirstEmissionBlockNumber", [(ID, NetUid)], U64,
                                      docs="First block the subnet receives emission (set by start_call).")
SubtokenEnabled = _net("SubtokenEnabled", Bool, False, "Whether the subnet's token trades (staking allowed).")
TransferToggle = _net("TransferToggle", Bool, True, "Whether stake on the subnet may change coldkey.")

# --- identities and serving ----------------------------------------------------------------------------
IdentitiesV2 = pallet.map("IdentitiesV2", [(B128, AccountId)], ChainIdentityV2, docs="Coldkey identity.")
SubnetIdentitiesV3 = pallet.map("SubnetIdentitiesV3", [(B128, NetUid)], SubnetIdentityV3, docs="Subnet identity.")
Axons = pallet.map("Axons", [(ID, NetUid), (B128, AccountId)], AxonInfo, docs="Axon endpoint of a hotkey.")
Prometheus = pallet.map("Prometheus", [(ID, NetUid), (B128, AccountId)], PrometheusInfo,
                        docs="Prometheus endpoint of a hotkey.")
ServingRateLimit = _net("ServingRateLimit", U64, DEFAULT_SERVING_RATE_LIMIT, "Blocks between serve_axon calls.")

# --- root claims (staking/claim_root.rs): only the per-coldkey setting, which btcli's `subnets show` and
#     `subnets metagraph` list; Agora pays root dividends without claims, so nothing writes it yet.
RootClaimTypeEnum = Enum("pallet_subtensor::pallet::RootClaimTypeEnum", [
    Variant("Swap", 0), Variant("Keep", 1),
    # BTreeSet<NetUid> encodes as a sorted Vec<u16>
    Variant("KeepSubnets", 2, (Field("subnets", Vec(NetUid), "BTreeSet<NetUid>"),)),
])
RootClaimType = pallet.map("RootClaimType", [(B128, AccountId)], RootClaimTypeEnum, default="Swap",
                           docs="How a coldkey takes its root alpha dividends: swapped to TAO (default) or kept.")

# --- conviction locks (staking/lock.rs): the subnet aggregates btcli's `subnets show`/`metagraph` list.
#     Agora has no lock calls, so they stay empty.


@scale_struct("pallet_subtensor::staking::lock::LockState", values="dict")
class LockState:
    locked_mass: Named(U64, "AlphaBalance")
    conviction: Named(U64F64, "U64F64")
    last_update: U64


HotkeyLock = pallet.map("HotkeyLock", [(ID, NetUid), (B128, AccountId)], LockState, docs="Total lock per hotkey.")
DecayingHotkeyLock = pallet.map("DecayingHotkeyLock", [(ID, NetUid), (B128, AccountId)], LockState,
                                docs="Total decaying non-owner lock per hotkey.")
OwnerLock = pallet.map("OwnerLock", [(ID, NetUid)], LockState, docs="Perpetual lock to the subnet owner's hotkey.")
DecayingOwnerLock = pallet.map("DecayingOwnerLock", [(ID, NetUid)], LockState,
                               docs="Decaying lock to the subnet owner's hotkey.")
UnlockRate = pallet.value("UnlockRate", U64, default=934_866, docs="Decay timescale in blocks of locked mass.")
MaturityRate = pallet.value("MaturityRate", U64, default=934_866, docs="Decay timescale in blocks of lock conviction.")

# --- commit-reveal v2 (subnets/weights.rs) ------------------------------------------------------------
WeightCommits = pallet.map("WeightCommits", [(T64, NetUidStorageIndex), (T64, AccountId)],
                           Vec(tuple_of(H256, U64, U64, U64)),
                           docs="Commit queue of a hotkey: (hash, commit_epoch, commit_block, unused 0).")
RevealPeriodEpochs = _net("RevealPeriodEpochs", U64, 1, "Epochs after its commit that a commit is revealed.", T64)
CommitRevealWeightsVersion = pallet.value("CommitRevealWeightsVersion", U16, default=4,
                                          docs="Commit-reveal version (4: timelocked; v2 calls are kept).")

__all__ = [name for name, value in list(globals().items()) if isinstance(value, StorageItem)] + [
    "DEFAULT_TAO_WEIGHT", "DEFAULT_SERVING_RATE_LIMIT"]
