"""NeuronInfoRuntimeApi (`rpc_info/neuron_info.rs`): one neuron or all of a subnet, lite or full."""
from __future__ import annotations

from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import subnet_exists
from runtime.pallets.subtensor.rpc_info.reads import (
    U16_MAX, SubnetVectors, at, axon_info, hotkey_of, prometheus_info,
)


def _neuron(state: StateReader, netuid: int, uid: int, hotkey: bytes, vectors: SubnetVectors,
            full: bool) -> dict:
    coldkey = S.Owner.get(state, hotkey)
    neuron = {
        "hotkey": hotkey, "coldkey": coldkey, "uid": uid, "netuid": netuid,
        "active": at(vectors.active, uid, False),
        "axon_info": axon_info(state, netuid, hotkey), "prometheus_info": prometheus_info(state, netuid, hotkey),
        "stake": [(coldkey, S.TotalHotkeyAlpha.get(state, hotkey, netuid))],
        "rank": 0,                       # deprecated upstream: no longer computed
        "emission": at(vectors.emission, uid), "incentive": at(vectors.incentive, uid),
        "consensus": at(vectors.consensus, uid),
        "trust": 0,                      # deprecated upstream
        "validator_trust": at(vectors.validator_trust, uid), "dividends": at(vectors.dividends, uid),
        "last_update": at(vectors.last_update, uid), "validator_permit": at(vectors.validator_permit, uid, False),
        "pruning_score": U16_MAX,        # deprecated upstream: always u16::MAX
    }
    if full:
        neuron["weights"] = [(i, w) for i, w in S.Weights.get(state, netuid, uid) if w > 0]
        neuron["bonds"] = [(i, b) for i, b in S.Bonds.get(state, netuid, uid) if b > 0]
    return neuron


def _all(state: StateReader, netuid: int, full: bool) -> list[dict]:
    if not subnet_exists(state, netuid):
        return []
    vectors = SubnetVectors(state, netuid)
    return [_neuron(state, netuid, uid, S.Keys.get(state, netuid, uid), vectors, full)
            for uid in range(S.SubnetworkN.get(state, netuid))]


def _one(state: StateReader, netuid: int, uid: int, full: bool) -> dict | None:
    hotkey = hotkey_of(state, netuid, uid)
    if hotkey is None:
        return None
    return _neuron(state, netuid, uid, hotkey, SubnetVectors(state, netuid), full)


def get_neurons(state: StateReader, netuid: int) -> list[dict]:
    return _all(state, netuid, full=True)


def get_neuron(state: StateReader, netuid: int, uid: int) -> dict | None:
    return _one(state, netuid, uid, full=True)


def get_neurons_lite(state: StateReader, netuid: int) -> list[dict]:
    return _all(state, netuid, full=False)


def get_neuron_lite(state: StateReader, netuid: int, uid: int) -> dict | None:
    return _one(state, netuid, uid, full=False)
