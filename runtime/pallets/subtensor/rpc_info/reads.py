"""Storage reads shared by the runtime APIs (subtensor's getters, `utils/misc.rs` and friends).

Per-UID vectors are read once per call and indexed with subtensor's `get(uid).unwrap_or(0)`
semantics, so a metagraph of n UIDs costs O(n) key reads, not O(n * fields).
"""
from __future__ import annotations

import functools

from runtime.frame.state import StateReader
from runtime.pallets import system

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import all_netuids, subnet_exists
from runtime.pallets.subtensor.rpc_info.types import EMPTY_AXON, EMPTY_PROMETHEUS
from runtime.pallets.subtensor.types import default_subnet_name

U16_MAX = 0xFFFF
ROOT_NETUID = 0

# Subtensor hyperparameters that Agora stores nowhere (proof-of-work registration, the
# registration-target adjustment): read from storage where declared, else the values of
# subtensor's runtime (`runtime/src/lib.rs` SubtensorInitial*, `lib.rs` Default*).
UPSTREAM_DEFAULTS = {
    "Difficulty": 10_000_000, "MinDifficulty": 10_000_000, "MaxDifficulty": ((1 << 64) - 1) // 4,
    "AdjustmentInterval": 100, "AdjustmentAlpha": 0, "TargetRegistrationsPerInterval": 2,
    "MaxRegistrationsPerBlock": 1, "ServingRateLimit": 50, "ScalingLawPower": 50, "RevealPeriodEpochs": 1,
    "NetworkPowRegistrationAllowed": False, "TransferToggle": True, "SubtokenEnabled": True,
    "BondsResetOn": False,
}


@functools.cache   # items are all declared at import time, before any call
def item(name: str):
    """A SubtensorModule storage item by name, or None where this runtime does not declare it."""
    return next((found for found in S.pallet.storage if found.name == name), None)


def read(state: StateReader, name: str, *keys, default=0):
    found = item(name)
    return default if found is None else found.get(state, *keys)


def hyperparam(state: StateReader, name: str, netuid: int):
    """A per-subnet item subtensor has, from storage where declared, else subtensor's default."""
    found = item(name)
    return UPSTREAM_DEFAULTS[name] if found is None else found.get(state, netuid)


def current_block(state: StateReader) -> int:
    return system.Number.get(state)


def at(vec: list, index: int, default=0):
    return vec[index] if index < len(vec) else default


def activity_cutoff_blocks(state: StateReader, netuid: int) -> int:
    """`get_activity_cutoff_blocks`: max(factor_milli * tempo / 1000, 1)."""
    return max(S.ActivityCutoffFactorMilli.get(state, netuid) * S.Tempo.get(state, netuid) // 1000, 1)


def name_for_subnet(state: StateReader, netuid: int) -> bytes:
    """`get_name_for_subnet`: the identity's name when set, else the default name of the netuid."""
    identity = subnet_identity(state, netuid)
    if identity is not None and identity["subnet_name"]:
        return identity["subnet_name"]
    return default_subnet_name(netuid)


def subnet_identity(state: StateReader, netuid: int):
    return read(state, "SubnetIdentitiesV3", netuid, default=None)


def coldkey_identity(state: StateReader, coldkey: bytes):
    return read(state, "IdentitiesV2", coldkey, default=None)


def axon_info(state: StateReader, netuid: int, hotkey: bytes):
    found = read(state, "Axons", netuid, hotkey, default=None)
    return EMPTY_AXON if found is None else found


def prometheus_info(state: StateReader, netuid: int, hotkey: bytes):
    found = read(state, "Prometheus", netuid, hotkey, default=None)
    return EMPTY_PROMETHEUS if found is None else found


def hotkeys_of(state: StateReader, netuid: int) -> list[bytes]:
    return [S.Keys.get(state, netuid, uid) for uid in range(S.SubnetworkN.get(state, netuid))]


def hotkey_of(state: StateReader, netuid: int, uid: int) -> bytes | None:
    """`get_hotkey_for_net_and_uid`: Keys::try_get (None for a UID that does not exist)."""
    if not subnet_exists(state, netuid) or uid >= S.SubnetworkN.get(state, netuid):
        return None
    return S.Keys.get(state, netuid, uid)


def moving_price(state: StateReader, netuid: int) -> dict:
    found = read(state, "SubnetMovingPrice", netuid, default=None)
    if found is None:
        return {"bits": 0}
    return found if isinstance(found, dict) else {"bits": int(getattr(found, "bits", found))}


def alpha_dividends(state: StateReader, netuid: int, hotkey: bytes) -> int:
    return read(state, "AlphaDividendsPerSubnet", netuid, hotkey)


def pending_alpha_emission(state: StateReader, netuid: int) -> int:
    if item("PendingValidatorEmission") is not None:
        return read(state, "PendingValidatorEmission", netuid) + read(state, "PendingServerEmission", netuid)
    return S.PendingEmission.get(state, netuid)


def tao_weight_bits(state: StateReader) -> int:
    """TaoWeight as U64F64 bits (subtensor: a u64 scaled by 2^64 / u64::MAX); 0 where undeclared."""
    raw = read(state, "TaoWeight", default=0)
    return (raw << 64) // ((1 << 64) - 1)


def stake_weights(state: StateReader, netuid: int, hotkeys: list[bytes]) -> tuple[list[int], list[int], list[int]]:
    """`get_stake_weights_for_network` (no child keys on Agora): (total, alpha, tao) per UID, rao.

    alpha = the hotkey's alpha on the subnet, tao = its stake on root, total = alpha + tao * TaoWeight,
    each truncated to an integer as `fixed64_to_u64` does.
    """
    alpha = [S.TotalHotkeyAlpha.get(state, hk, netuid) for hk in hotkeys]
    if netuid == ROOT_NETUID or not subnet_exists(state, ROOT_NETUID):
        tao = [0] * len(hotkeys)
    else:
        tao = [S.TotalHotkeyAlpha.get(state, hk, ROOT_NETUID) for hk in hotkeys]
    weight = tao_weight_bits(state)
    total = [a + ((t * weight) >> 64) for a, t in zip(alpha, tao)]
    return total, alpha, tao


def netuids(state: StateReader) -> list[int]:
    """`get_all_subnet_netuids`: every added subnet, ascending."""
    return sorted(all_netuids(state))


class SubnetVectors:
    """The per-UID vectors of a subnet's last epoch, read once (mechanism 0)."""

    def __init__(self, state: StateReader, netuid: int, netuid_index: int | None = None):
        index = netuid if netuid_index is None else netuid_index
        self.active = S.Active.get(state, netuid)
        self.emission = S.Emission.get(state, netuid)
        self.incentive = S.Incentive.get(state, index)
        self.consensus = S.Consensus.get(state, netuid)
        self.validator_trust = S.ValidatorTrust.get(state, netuid)
        self.dividends = S.Dividends.get(state, netuid)
        self.last_update = S.LastUpdate.get(state, index)
        self.validator_permit = S.ValidatorPermit.get(state, netuid)
