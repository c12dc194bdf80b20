"""set_weights: every check of `subnets/weights.rs internal_set_weights`, in its order.

    dispatch: CommitRevealEnabled (macros/dispatches.rs set_weights)
    1  signed (the hotkey)                           BadOrigin
    -  netuid != root                                CanNotSetRootNetworkWeights
    2  len(dests) == len(weights)                    WeightVecNotEqualSize
    3  subnet and mechanism exist                    MechanismDoesNotExist
    4  len(dests) <= SubnetworkN                     UidsLengthExceedUidsInSubNet
    5  hotkey registered on the subnet               HotKeyNotRegisteredInSubNet
    6  stake >= StakeThreshold (owner exempt)        NotEnoughStakeToSetWeights
    7  version_key >= WeightsVersionKey (or key 0)   IncorrectWeightVersionKey
    9  now - LastUpdate >= WeightsSetRateLimit       SettingWeightsTooFast   (never set: passes)
    10 validator permit, self-weight, or owner       NeuronNoValidatorPermit
    11 no duplicate uids                             DuplicateUids
    12 every uid exists                              UidVecContainInvalidOne
    13 len >= min(MinAllowedWeights, n) (self ok)    WeightVecLengthIsLow
    14 max-upscale to 65535 (epoch/math.rs vec_u16_max_upscale_to_u16, I32F32)
    15 normalised max <= MaxWeightsLimit/65535       MaxWeightExceeded (skipped at 65535 / self-weight)
    17 Weights[(netuid_index, uid)] = zip(dests, upscaled); LastUpdate[uid] = now; WeightsSet
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import ensure
from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import WeightsSet
from runtime.pallets.subtensor.neurons import set_last_update_for_uid
from runtime.pallets.subtensor.types import MECHANISM_STORAGE_STRIDE, U16_MAX

FRAC = 32
ONE = 1 << FRAC


# --- I32F32 helpers (bits are Python ints; every value here is non-negative) -------------------------
def _div(a: int, b: int) -> int:
    """I32F32 a / b (truncating), safe_div: 0 when b == 0."""
    return 0 if b == 0 else (a << FRAC) // b


def _round_to_int(bits: int) -> int:
    """I32F32::round (ties away from zero) then to u16 (saturating)."""
    return min((bits + (ONE >> 1)) >> FRAC, U16_MAX)


def max_upscale_to_u16(values: list[int]) -> list[int]:
    """`vec_u16_max_upscale_to_u16`: scale so the largest is 65535, in I32F32 as subtensor does."""
    if not values:
        return []
    u16_max = U16_MAX << FRAC
    vec = [v << FRAC for v in values]
    top = max(vec)
    if top == 0:
        return [min((e * u16_max) >> FRAC >> FRAC, U16_MAX) for e in vec]
    if top > (32768 << FRAC):
        ratio = _div(u16_max, top)
        return [_round_to_int((e * ratio) >> FRAC) for e in vec]
    return [_round_to_int(_div((e * u16_max) >> FRAC, top)) for e in vec]


def check_vec_max_limited(values: list[int], max_limit: int) -> bool:
    """`check_vec_max_limited`: max(normalise(values)) <= max_limit / 65535, in I32F32."""
    limit = _div(max_limit << FRAC, U16_MAX << FRAC)
    vec = [v << FRAC for v in values]
    total = sum(vec)
    if total:
        vec = [_div(v, total) for v in vec]
    return not vec or max(vec) <= limit


# --- predicates -----------------------------------------------------------------------------------
def is_self_weight(uid: int, uids: list[int], weights: list[int]) -> bool:
    return len(weights) == 1 and bool(uids) and uids[0] == uid


def owner_uid(state: StateReader, netuid: int) -> int | None:
    if not S.SubnetOwnerHotkey.contains(state, netuid):
        return None
    return S.Uids.get(state, netuid, S.SubnetOwnerHotkey.get(state, netuid))


def check_weights_min_stake(state: StateReader, netuid: int, hotkey: bytes, uid: int) -> bool:
    if owner_uid(state, netuid) == uid:
        return True
    return S.TotalHotkeyAlpha.get(state, hotkey, netuid) >= S.StakeThreshold.get(state)


def check_version_key(state: StateReader, netuid: int, version_key: int) -> bool:
    network_key = S.WeightsVersionKey.get(state, netuid)
    return network_key == 0 or version_key >= network_key


def check_rate_limit(state: StateReader, netuid: int, netuid_index: int, uid: int, now: int) -> bool:
    if uid >= S.SubnetworkN.get(state, netuid):
        return False
    updates = S.LastUpdate.get(state, netuid_index)
    last = updates[uid] if uid < len(updates) else 0
    return last == 0 or max(now - last, 0) >= S.WeightsSetRateLimit.get(state, netuid)


def check_validator_permit(state: StateReader, netuid: int, uid: int, uids: list[int], weights: list[int]) -> bool:
    if is_self_weight(uid, uids, weights) or owner_uid(state, netuid) == uid:
        return True
    permits = S.ValidatorPermit.get(state, netuid)
    return uid < len(permits) and permits[uid]


def check_length(state: StateReader, netuid: int, uid: int, uids: list[int], weights: list[int]) -> bool:
    min_allowed = min(S.SubnetworkN.get(state, netuid), S.MinAllowedWeights.get(state, netuid))
    return is_self_weight(uid, uids, weights) or len(weights) >= min_allowed


def max_weight_limited(state: StateReader, netuid: int, uid: int, uids: list[int], weights: list[int]) -> bool:
    if is_self_weight(uid, uids, weights):
        return True
    limit = S.MaxWeightsLimit.get(state, netuid)
    return limit == U16_MAX or check_vec_max_limited(weights, limit)


# --- the call -------------------------------------------------------------------------------------
def do_set_weights(ctx: BlockContext, hotkey: bytes, netuid: int, mecid: int, uids: list[int], values: list[int],
                   version_key: int) -> None:
    state = ctx.state
    netuid_index = netuid + mecid * MECHANISM_STORAGE_STRIDE
    ensure(netuid != 0, Error.CanNotSetRootNetworkWeights)
    ensure(len(uids) == len(values), Error.WeightVecNotEqualSize)
    ensure(S.NetworksAdded.get(state, netuid) and S.MechanismCountCurrent.get(state, netuid) > mecid,
           Error.MechanismDoesNotExist)
    n = S.SubnetworkN.get(state, netuid)
    ensure(len(uids) <= n, Error.UidsLengthExceedUidsInSubNet)
    uid = S.Uids.get(state, netuid, hotkey)
    ensure(uid is not None, Error.HotKeyNotRegisteredInSubNet)
    ensure(check_weights_min_stake(state, netuid, hotkey, uid), Error.NotEnoughStakeToSetWeights)
    ensure(check_version_key(state, netuid, version_key), Error.IncorrectWeightVersionKey)
    now = ctx.block_number
    commit_reveal = S.CommitRevealWeightsEnabled.get(state, netuid)
    if not commit_reveal:
        ensure(check_rate_limit(state, netuid, netuid_index, uid, now), Error.SettingWeightsTooFast)
    ensure(check_validator_permit(state, netuid, uid, uids, values), Error.NeuronNoValidatorPermit)
    ensure(len(set(uids)) == len(uids), Error.DuplicateUids)
    ensure(all(dest < n for dest in uids), Error.UidVecContainInvalidOne)
    ensure(check_length(state, netuid, uid, uids, values), Error.WeightVecLengthIsLow)
    upscaled = max_upscale_to_u16(values)
    ensure(max_weight_limited(state, netuid, uid, uids, upscaled), Error.MaxWeightExceeded)
    S.Weights.insert(state, netuid_index, uid, list(zip(uids, upscaled)))
    if not commit_reveal:
        set_last_update_for_uid(state, netuid_index, uid, now)
    ctx.deposit_event(WeightsSet(netuid_index, uid))
