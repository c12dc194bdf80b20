"""The pallet's events, at subtensor's variant indices (`pallets/subtensor/src/macros/events.rs`).

Subtensor's tuple variants get field names here (our event declarations are named); the
field types and order are upstream's. Events a client reads by position keep upstream's unnamed
fields in metadata (`tuple_variant=True`): btcli `subnets create` takes NetworkAdded's netuid as
`attributes[0]`.
"""
from __future__ import annotations

import dataclasses

from primitives.scale import I16, U8, U16, U32, U64, Bool, Vec
from primitives.types import H256, AccountId

from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import U64F64


def _event(index: int, tuple_variant: bool = False):
    """A frozen dataclass event; each field's annotation is its codec."""
    def wrap(cls):
        return pallet.event(index, tuple_variant=tuple_variant)(dataclasses.dataclass(frozen=True)(cls))
    return wrap


@_event(0, tuple_variant=True)
class NetworkAdded:
    """A subnet was registered."""
    netuid: U16
    mechanism: U16


@_event(2)
class StakeAdded:
    """Stake moved from the coldkey's balance onto the hotkey on a subnet."""
    coldkey: AccountId
    hotkey: AccountId
    tao: U64
    alpha: U64
    netuid: U16
    fee: U64


@_event(3)
class StakeRemoved:
    """Stake moved from the hotkey on a subnet back to the coldkey's balance."""
    coldkey: AccountId
    hotkey: AccountId
    tao: U64
    alpha: U64
    netuid: U16
    fee: U64


@_event(4)
class StakeMoved:
    """Stake moved from (hotkey, subnet) to (hotkey, subnet); `tao` is the TAO it was worth."""
    coldkey: AccountId
    origin_hotkey: AccountId
    origin_netuid: U16
    destination_hotkey: AccountId
    destination_netuid: U16
    tao: U64


@_event(5)
class WeightsSet:
    """A UID set its weights (netuid is the mechanism storage index)."""
    netuid: U16
    uid: U16


@_event(6)
class NeuronRegistered:
    """A hotkey took a UID on a subnet."""
    netuid: U16
    uid: U16
    hotkey: AccountId


def _param_event(index: int, name: str, codec, doc: str, *, netuid: bool = True):
    fields = {"netuid": U16, "value": codec} if netuid else {"value": codec}
    cls = type(name, (), {"__doc__": doc, "__annotations__": fields})   # the annotations are the codecs
    return _event(index)(cls)


# Hyperparameter events (subtensor's `XxxSet(netuid, value)` variants).
MaxAllowedUidsSet = _param_event(9, "MaxAllowedUidsSet", U16, "MaxAllowedUids was set.")
MaxWeightLimitSet = _param_event(10, "MaxWeightLimitSet", U16, "MaxWeightsLimit was set.")
RhoSet = _param_event(16, "RhoSet", U16, "Rho was set.")
AlphaSigmoidSteepnessSet = _param_event(17, "AlphaSigmoidSteepnessSet", I16, "AlphaSigmoidSteepness was set.")
KappaSet = _param_event(18, "KappaSet", U16, "Kappa was set.")
MinAllowedWeightSet = _param_event(19, "MinAllowedWeightSet", U16, "MinAllowedWeights was set.")
WeightsSetRateLimitSet = _param_event(22, "WeightsSetRateLimitSet", U64, "WeightsSetRateLimit was set.")
ImmunityPeriodSet = _param_event(23, "ImmunityPeriodSet", U16, "ImmunityPeriod was set.")
BondsMovingAverageSet = _param_event(24, "BondsMovingAverageSet", U64, "BondsMovingAverage was set.")
BondsPenaltySet = _param_event(25, "BondsPenaltySet", U16, "BondsPenalty was set.")
MaxAllowedValidatorsSet = _param_event(27, "MaxAllowedValidatorsSet", U16, "MaxAllowedValidators was set.")
WeightsVersionKeySet = _param_event(32, "WeightsVersionKeySet", U64, "WeightsVersionKey was set.")
BurnSet = _param_event(36, "BurnSet", U64, "Burn was set.")
MaxBurnSet = _param_event(37, "MaxBurnSet", U64, "MaxBurn was set.")
MinBurnSet = _param_event(38, "MinBurnSet", U64, "MinBurn was set.")
MaxEpochsPerBlockSet = _param_event(39, "MaxEpochsPerBlockSet", U8, "MaxEpochsPerBlock was set.", netuid=False)
RegistrationAllowed = _param_event(50, "RegistrationAllowed", Bool, "NetworkRegistrationAllowed was set.")
TempoSet = _param_event(52, "TempoSet", U16, "Tempo was set.")
StakeThresholdSet = _param_event(54, "StakeThresholdSet", U64, "StakeThreshold was set.", netuid=False)
SubnetOwnerCutSet = _param_event(57, "SubnetOwnerCutSet", U16, "SubnetOwnerCut was set.", netuid=False)
NetworkRateLimitSet = _param_event(58, "NetworkRateLimitSet", U64, "NetworkRateLimit was set.", netuid=False)
NetworkMinLockCostSet = _param_event(61, "NetworkMinLockCostSet", U64, "NetworkMinLockCost was set.", netuid=False)
SubnetLimitSet = _param_event(62, "SubnetLimitSet", U16, "SubnetLimit was set.", netuid=False)
NetworkLockCostReductionIntervalSet = _param_event(
    63, "NetworkLockCostReductionIntervalSet", U64, "NetworkLockReductionInterval was set.", netuid=False)
CommitRevealEnabled = _param_event(101, "CommitRevealEnabled", Bool, "CommitRevealWeightsEnabled was set.")
MinNonImmuneUidsSet = _param_event(113, "MinNonImmuneUidsSet", U16, "MinNonImmuneUids was set.")
BurnHalfLifeSet = _param_event(124, "BurnHalfLifeSet", U16, "BurnHalfLife was set.")
BurnIncreaseMultSet = _param_event(125, "BurnIncreaseMultSet", U64F64, "BurnIncreaseMult was set.")
ActivityCutoffFactorMilliSet = _param_event(130, "ActivityCutoffFactorMilliSet", U32,
                                            "ActivityCutoffFactorMilli was set.")


@_event(110)
class IncentiveAlphaEmittedToMiners:
    """End-of-epoch miner incentive by UID (rao)."""
    netuid: U16
    emissions: Vec(U64)


@_event(132)
class EpochDeferred:
    """An epoch slot was deferred to the next block (MaxEpochsPerBlock)."""
    netuid: U16
    from_block: U64
    to_block: U64


@_event(133)
class EpochSkipped:
    """An epoch slot was consumed without running (the epoch failed; state left as it was)."""
    netuid: U16
    block: U64


@_event(28)
class AxonServed:
    """A hotkey served (or updated) its axon endpoint."""
    netuid: U16
    hotkey: AccountId


@_event(29)
class PrometheusServed:
    """A hotkey served (or updated) its prometheus endpoint."""
    netuid: U16
    hotkey: AccountId


@_event(77)
class ChainIdentitySet:
    """A coldkey set its identity."""
    coldkey: AccountId


@_event(78)
class SubnetIdentitySet:
    """A subnet's identity was set."""
    netuid: U16


@_event(85)
class WeightsCommitted:
    """A hotkey committed a weights hash (netuid is the mechanism storage index)."""
    hotkey: AccountId
    netuid: U16
    commit_hash: H256


@_event(86)
class WeightsRevealed:
    """A hotkey revealed weights matching a commit."""
    hotkey: AccountId
    netuid: U16
    commit_hash: H256


@_event(91)
class StakeTransferred:
    """Stake changed coldkey (and possibly subnet)."""
    origin_coldkey: AccountId
    destination_coldkey: AccountId
    hotkey: AccountId
    origin_netuid: U16
    destination_netuid: U16
    tao: U64


@_event(92)
class StakeSwapped:
    """Stake of a (coldkey, hotkey) moved from one subnet to another."""
    coldkey: AccountId
    hotkey: AccountId
    origin_netuid: U16
    destination_netuid: U16
    tao: U64


@_event(95)
class FirstEmissionBlockNumberSet:
    """A subnet starts receiving emission at `block`."""
    netuid: U16
    block: U64
