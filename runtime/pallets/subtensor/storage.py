"""Every storage item of the pallet, under subtensor's names, hashers and value types.

Names follow `pallets/subtensor/src/lib.rs` (opentensor/subtensor 14bc6f9f) so that clients reading
subtensor's items find them here; `Rank`, `Trust`, `PruningScores` and `NetworkLastRegistered` are
pre-dTAO items (`4ff2e5b75`) still written. Agora-only items are marked so in their docs. The
dynamic-TAO items (pools, share pools, pending emission, identities, serving) are in
`storage_dtao.py`, imported at the end of this module so `storage.X` reaches every item.
"""
from __future__ import annotations

from primitives.hashing import Hasher
from primitives.scale import I16, U8, U16, U32, U64, Bool, Bytes, Vec, tuple_of
from primitives.types import AccountId

from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import (
    DEFAULT_BURN_INCREASE_MULT, DEFAULT_MIN_STAKE, DEFAULT_TAKE, TAO, U64F64, NetUid, NetUidStorageIndex,
    SubnetDefaults, SubnetDefaultsType, WeightRow,
)


ID = Hasher.IDENTITY
B128 = Hasher.BLAKE2_128_CONCAT
T64 = Hasher.TWOX_64_CONCAT
ZERO_ACCOUNT = b"\0" * 32


def _net_map(name, codec, default, docs, key=NetUid, hasher=ID):
    return pallet.map(name, [(hasher, key)], codec, default=default, docs=docs)


# --- constants (metadata) -----------------------------------------------------------------------
pallet.constant("InitialMinStake", U64, DEFAULT_MIN_STAKE, "Minimum stake per add/remove (DefaultMinStake), rao.")
pallet.constant("InitialDefaultDelegateTake", U16, DEFAULT_TAKE, "Default hotkey take on dividends (u16 proportion).")

# --- issuance and emission ------------------------------------------------------------------------
TotalIssuance = pallet.value("TotalIssuance", U64, default=0, docs=(
    "All TAO in existence: Balances.TotalIssuance + TotalStake (kept in step every block)."))
TotalStake = pallet.value("TotalStake", U64, default=0, docs=(
    "All TAO held by the subnet pools (the sum of SubnetTAO, root included; withdrawn from balances)."))
BlockEmission = pallet.value("BlockEmission", U64, default=1_000_000_000, docs=(
    "The TAO emitted per block at the current issuance (halves at 10.5M, 15.75M, ... TAO)."))
SubnetOwnerCut = pallet.value("SubnetOwnerCut", U16, default=11_796, docs="Owner's share of subnet emission (u16 proportion).")

# --- networks -------------------------------------------------------------------------------------
NetworksAdded = _net_map("NetworksAdded", Bool, False, "Whether the subnet exists.")
TotalNetworks = pallet.value("TotalNetworks", U16, default=0, docs="Number of subnets.")
SubnetworkN = _net_map("SubnetworkN", U16, 0, "Number of UIDs on the subnet.")
SubnetOwner = _net_map("SubnetOwner", AccountId, ZERO_ACCOUNT, "Owner coldkey of the subnet.")
SubnetOwnerHotkey = _net_map("SubnetOwnerHotkey", AccountId, ZERO_ACCOUNT, "Owner hotkey of the subnet.")
SubnetLocked = _net_map("SubnetLocked", U64, 0, "TAO locked when the subnet was registered (it seeds the pool).")
SubnetTAO = _net_map("SubnetTAO", U64, 0, "TAO reserve of the subnet's pool (root: all TAO staked on root).")
SubnetMechanism = _net_map("SubnetMechanism", U16, 0, "Subnet mechanism (1 = dynamic).")
MechanismCountCurrent = _net_map("MechanismCountCurrent", U8, 1, "Number of mechanisms of the subnet.", hasher=T64)
TokenSymbol = _net_map("TokenSymbol", Bytes, b"\xF0\x9D\x9C\x8F", "The subnet's token symbol (default: tau).")
NetworkRegisteredAt = _net_map("NetworkRegisteredAt", U64, 0, "Block at which the subnet was registered.")
NetworkMinLockCost = pallet.value("NetworkMinLockCost", U64, default=1_000 * TAO, docs="Floor of the subnet lock cost.")
NetworkLastLockCost = pallet.value("NetworkLastLockCost", U64, default=1_000 * TAO, docs="The last lock paid.")
NetworkLastRegistered = pallet.value("NetworkLastRegistered", U64, default=0, docs="Block of the last subnet registration.")
NetworkLockReductionInterval = pallet.value("NetworkLockReductionInterval", U64, default=14 * 7200, docs=(
    "Blocks over which the doubled lock cost decays back (scaled by the halving)."))
NetworkRateLimit = pallet.value("NetworkRateLimit", U64, default=7200, docs="Blocks between subnet registrations.")
SubnetLimit = pallet.value("SubnetLimit", U16, default=128, docs="Maximum number of subnets.")
SubnetDefaultsItem = pallet.value("SubnetDefaults", SubnetDefaultsType, default=SubnetDefaults(), docs=(
    "Agora: the hyperparameters a new subnet starts with (chain-spec tunable)."))

# --- hyperparameters ------------------------------------------------------------------------------
Tempo = _net_map("Tempo", U16, 360, "Blocks between epochs.")
Kappa = _net_map("Kappa", U16, 32_767, "Consensus majority threshold (u16 proportion).")
Rho = _net_map("Rho", U16, 10, "Rho (unused by the current epoch).")
MaxAllowedUids = _net_map("MaxAllowedUids", U16, 256, "Maximum UIDs on the subnet.")
MinAllowedUids = _net_map("MinAllowedUids", U16, 64, "Minimum UIDs on the subnet.")
MaxAllowedValidators = _net_map("MaxAllowedValidators", U16, 128, "Validator permits per epoch.")
MinAllowedWeights = _net_map("MinAllowedWeights", U16, 1024, "Minimum length of a weights vector.")
MaxWeightsLimit = _net_map("MaxWeightsLimit", U16, 0xFFFF, "Maximum normalised weight (u16 proportion).")
WeightsSetRateLimit = _net_map("WeightsSetRateLimit", U64, 100, "Blocks between set_weights of a UID.")
WeightsVersionKey = _net_map("WeightsVersionKey", U64, 0, "Minimum version key of set_weights.")
ImmunityPeriod = _net_map("ImmunityPeriod", U16, 4096, "Blocks a new UID cannot be pruned.")
ActivityCutoffFactorMilli = _net_map("ActivityCutoffFactorMilli", U32, 13_889, "Activity cutoff, per-mille of tempo.")
StakeThreshold = pallet.value("StakeThreshold", U64, default=0, docs="Minimum stake to set weights.")
CommitRevealWeightsEnabled = _net_map("CommitRevealWeightsEnabled", Bool, False, (
    "Whether weights go through commit-reveal (not implemented on Agora; default false)."))
Yuma3On = _net_map("Yuma3On", Bool, False, "Yuma3 bonds.", hasher=B128)
LiquidAlphaOn = _net_map("LiquidAlphaOn", Bool, False, "Liquid alpha (Yuma3).", hasher=B128)
AlphaValues = _net_map("AlphaValues", tuple_of(U16, U16), (45_875, 58_982), "Liquid alpha (low, high).")
AlphaSigmoidSteepness = _net_map("AlphaSigmoidSteepness", I16, 1000, "Liquid alpha sigmoid steepness.")
BondsMovingAverage = _net_map("BondsMovingAverage", U64, 900_000, "Bonds EMA, per-million.")
BondsPenalty = _net_map("BondsPenalty", U16, 0xFFFF, "Bonds penalty (u16 proportion).")
NetworkRegistrationAllowed = _net_map("NetworkRegistrationAllowed", Bool, True, "Whether neurons may register.")
MinNonImmuneUids = _net_map("MinNonImmuneUids", U16, 10, "Non-immune UIDs kept before immune ones are pruned.")
ImmuneOwnerUidsLimit = _net_map("ImmuneOwnerUidsLimit", U16, 1, "Owner hotkeys that are never pruned.")
MaxEpochsPerBlock = pallet.value("MaxEpochsPerBlock", U8, default=2, docs="Epochs run per block; the rest wait a block.")

# --- registration price ---------------------------------------------------------------------------
Burn = _net_map("Burn", U64, 1_000_000_000, "Current burned-registration cost, rao.")
MinBurn = _net_map("MinBurn", U64, 500_000, "Floor of Burn.")
MaxBurn = _net_map("MaxBurn", U64, 100_000_000_000, "Ceiling of Burn.")
BurnHalfLife = _net_map("BurnHalfLife", U16, 360, "Blocks for Burn to decay by half.")
BurnIncreaseMult = _net_map("BurnIncreaseMult", U64F64, {"bits": DEFAULT_BURN_INCREASE_MULT},
                            "Burn multiplier applied after each registration (U64F64).")
RegistrationsThisBlock = _net_map("RegistrationsThisBlock", U16, 0, "Registrations in the current block.")
RAORecycledForRegistration = _net_map("RAORecycledForRegistration", U64, 0, "TAO burned by registrations.")

# --- neurons --------------------------------------------------------------------------------------
Keys = pallet.map("Keys", [(ID, NetUid), (ID, U16)], AccountId, default=ZERO_ACCOUNT, docs="UID -> hotkey.")
Uids = pallet.map("Uids", [(ID, NetUid), (B128, AccountId)], U16, docs="Hotkey -> UID.")
BlockAtRegistration = pallet.map("BlockAtRegistration", [(ID, NetUid), (ID, U16)], U64, default=0,
                                 docs="Block at which the UID was (re)registered.")
IsNetworkMember = pallet.map("IsNetworkMember", [(B128, AccountId), (ID, NetUid)], Bool, default=False,
                             docs="Whether the hotkey holds a UID on the subnet.")
Owner = pallet.map("Owner", [(B128, AccountId)], AccountId, default=ZERO_ACCOUNT, docs="Hotkey -> owning coldkey.")
OwnedHotkeys = pallet.map("OwnedHotkeys", [(B128, AccountId)], Vec(AccountId), default=[], docs="Coldkey -> hotkeys.")
StakingHotkeys = pallet.map("StakingHotkeys", [(B128, AccountId)], Vec(AccountId), default=[],
                            docs="Coldkey -> hotkeys it has staked to.")
Delegates = pallet.map("Delegates", [(B128, AccountId)], U16, default=DEFAULT_TAKE, docs="Hotkey take on dividends.")

# --- stake (a share pool per (hotkey, netuid): staking/stake_utils.rs, share-pool) ------------------
Alpha = pallet.map("Alpha", [(B128, AccountId), (B128, AccountId), (ID, NetUid)], U64F64, default={"bits": 0},
                   docs="Shares of (hotkey, coldkey) in the hotkey's alpha pool on a subnet (U64F64).")
TotalHotkeyAlpha = pallet.map("TotalHotkeyAlpha", [(B128, AccountId), (ID, NetUid)], U64, default=0,
                              docs="Alpha staked on a hotkey on a subnet (the pool's value), rao.")
TotalHotkeyShares = pallet.map("TotalHotkeyShares", [(B128, AccountId), (ID, NetUid)], U64F64,
                               default={"bits": 0}, docs="Total shares of the hotkey's alpha pool (U64F64).")

# --- weights and epoch outputs ----------------------------------------------------------------------
Weights = pallet.map("Weights", [(ID, NetUidStorageIndex), (ID, U16)], WeightRow, default=[],
                     docs="Weights set by a UID: (dest uid, u16) max-upscaled to 65535.")
Bonds = pallet.map("Bonds", [(ID, NetUidStorageIndex), (ID, U16)], WeightRow, default=[], docs="Bonds of a UID.")
LastUpdate = _net_map("LastUpdate", Vec(U64), [], "Block of each UID's last weights.", key=NetUidStorageIndex)
Incentive = _net_map("Incentive", Vec(U16), [], "Incentive per UID (u16 proportion).", key=NetUidStorageIndex)
Active = _net_map("Active", Vec(Bool), [], "Whether each UID set weights within the activity cutoff.")
Consensus = _net_map("Consensus", Vec(U16), [], "Consensus weight per UID (u16 proportion).")
Dividends = _net_map("Dividends", Vec(U16), [], "Dividends per UID (u16 proportion).")
Emission = _net_map("Emission", Vec(U64), [], "Emission per UID at the last epoch, rao.")
ValidatorTrust = _net_map("ValidatorTrust", Vec(U16), [], "Validator trust per UID.")
ValidatorPermit = _net_map("ValidatorPermit", Vec(Bool), [], "Validator permit per UID.")
StakeWeight = _net_map("StakeWeight", Vec(U16), [], "Normalised stake per UID.")
Rank = _net_map("Rank", Vec(U16), [], "Rank per UID (pre-dTAO item).")
Trust = _net_map("Trust", Vec(U16), [], "Trust per UID (pre-dTAO item).")
PruningScores = _net_map("PruningScores", Vec(U16), [], "Pruning score per UID (pre-dTAO item).")

# --- epoch scheduling -----------------------------------------------------------------------------
LastEpochBlock = _net_map("LastEpochBlock", U64, 0, "Block of the subnet's last epoch slot.")
PendingEpochAt = _net_map("PendingEpochAt", U64, 0, "Block at which a deferred epoch runs (0: none).")
BlocksSinceLastStep = _net_map("BlocksSinceLastStep", U64, 0, "Blocks since the last epoch.")
LastMechansimStepBlock = _net_map("LastMechansimStepBlock", U64, 0, "Block of the last distributed epoch (sic).")
SubnetEpochIndex = _net_map("SubnetEpochIndex", U64, 0, "Number of epoch slots so far.")

from runtime.pallets.subtensor.storage_dtao import *  # noqa: E402,F401,F403  (the dTAO items, same pallet)
