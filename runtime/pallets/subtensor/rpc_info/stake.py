"""StakeInfoRuntimeApi and DelegateInfoRuntimeApi (`rpc_info/stake_info.rs`, `delegate_info.rs`)."""
from __future__ import annotations

from fractions import Fraction

from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.rpc_info.reads import ROOT_NETUID, alpha_dividends, at, netuids
from runtime.pallets.subtensor.rpc_info.swap import approx_fee_amount
from runtime.pallets.subtensor.stake.core import stake_of

BLOCKS_PER_DAY = 7200


def _registered(state: StateReader, netuid: int, hotkey: bytes) -> bool:
    return S.Uids.get(state, netuid, hotkey) is not None


def _stake_info(state: StateReader, hotkey: bytes, coldkey: bytes, netuid: int, alpha: int) -> dict:
    return {"hotkey": hotkey, "coldkey": coldkey, "netuid": netuid, "stake": alpha, "locked": 0,
            "emission": alpha_dividends(state, netuid, hotkey), "tao_emission": 0, "drain": 0,
            "is_registered": _registered(state, netuid, hotkey)}


def _for_coldkey(state: StateReader, coldkey: bytes, subnets: list[int]) -> list[dict]:
    hotkeys = S.StakingHotkeys.get(state, coldkey)
    out = []
    for netuid in subnets:
        for hotkey in hotkeys:
            alpha = stake_of(state, hotkey, coldkey, netuid)
            if alpha:
                out.append(_stake_info(state, hotkey, coldkey, netuid, alpha))
    return out


def get_stake_info_for_coldkey(state: StateReader, coldkey_account: bytes) -> list[dict]:
    return _for_coldkey(state, coldkey_account, netuids(state))


def get_stake_info_for_coldkeys(state: StateReader, coldkey_accounts: list[bytes]) -> list[tuple]:
    subnets = netuids(state)
    return [(coldkey, _for_coldkey(state, coldkey, subnets)) for coldkey in coldkey_accounts]


def get_stake_info_for_hotkey_coldkey_netuid(state: StateReader, hotkey_account: bytes, coldkey_account: bytes,
                                             netuid: int) -> dict:
    """Always `Some`, as upstream: a zero stake on a missing subnet is still an answer."""
    return _stake_info(state, hotkey_account, coldkey_account, netuid,
                       stake_of(state, hotkey_account, coldkey_account, netuid))


def get_stake_fee(state: StateReader, origin, origin_coldkey_account: bytes, destination,
                  destination_coldkey_account: bytes, amount: int) -> int:
    """0 when origin == destination; else the swap fee on `amount` in the destination's (else the
    origin's) subnet."""
    if origin == destination:
        return 0
    netuid = (destination or origin or (None, ROOT_NETUID))[1]
    return approx_fee_amount(state, netuid, amount)


def get_coldkey_lock(state: StateReader, coldkey: bytes, netuid: int) -> dict | None:
    """Agora has no stake locks: no coldkey holds one."""
    return None


# --- delegates ------------------------------------------------------------------------------------
def _return_per_1000(take: int, total_stake: int, emissions_per_day: Fraction) -> int:
    if total_stake <= 0:
        return 0
    without_take = 1 - Fraction(take, 0xFFFF)
    return int(emissions_per_day * without_take / (Fraction(total_stake) / Fraction(1000 * 10**9)))


def _delegate(state: StateReader, delegate: bytes, skip_nominators: bool) -> dict:
    nominators: dict[bytes, list] = {}
    if not skip_nominators:
        for (_, nominator, netuid), _ in S.Alpha.iter(state, delegate):
            stake = stake_of(state, delegate, nominator, netuid)
            if stake:
                nominators.setdefault(nominator, []).append((netuid, stake))
    registrations = [netuid for netuid in netuids(state) if _registered(state, netuid, delegate)]
    permits, per_day = [], Fraction(0)
    for netuid in registrations:
        uid = S.Uids.get(state, netuid, delegate)
        if at(S.ValidatorPermit.get(state, netuid), uid, False):
            permits.append(netuid)
        tempo = S.Tempo.get(state, netuid)
        if tempo > 0:
            per_day += Fraction(at(S.Emission.get(state, netuid), uid)) * Fraction(BLOCKS_PER_DAY, tempo)
    take = S.Delegates.get(state, delegate)
    return {
        "delegate_ss58": delegate, "take": take, "nominators": sorted(nominators.items()),
        "owner_ss58": S.Owner.get(state, delegate), "registrations": registrations, "validator_permits": permits,
        "return_per_1000": _return_per_1000(take, S.TotalHotkeyAlpha.get(state, delegate, ROOT_NETUID), per_day),
        "total_daily_return": int(per_day),
    }


def _delegate_keys(state: StateReader) -> list[bytes]:
    return [key[0] for key, _ in S.Delegates.iter(state)]


def get_delegates(state: StateReader) -> list[dict]:
    return [_delegate(state, delegate, False) for delegate in _delegate_keys(state)]


def get_delegate(state: StateReader, delegate_account: bytes) -> dict | None:
    if not S.Delegates.contains(state, delegate_account):
        return None
    return _delegate(state, delegate_account, False)


def get_delegated(state: StateReader, delegatee_account: bytes) -> list[tuple]:
    out = []
    for delegate in _delegate_keys(state):
        for (_, _, netuid), _ in S.Alpha.iter(state, delegate, delegatee_account):
            out.append((_delegate(state, delegate, True),
                        (netuid, stake_of(state, delegate, delegatee_account, netuid))))
    return out
