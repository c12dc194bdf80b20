"""The alpha share pool of a (hotkey, netuid): who owns how much of `TotalHotkeyAlpha`.

Subtensor's `share-pool` crate over `Alpha` (shares of a coldkey), `TotalHotkeyShares` (their sum)
and `TotalHotkeyAlpha` (the pool's value), all in U64F64 bits here (the layout subtensor used before
its lazy move to SafeFloat `AlphaV2`). Emission to a hotkey raises the value of every share
(`increase_for_all`); staking buys shares at the current value per share (`increase_for_one`).

Exactness: every change adds or subtracts the same share bits from a key and from the total, so
`TotalHotkeyShares == sum(Alpha)` holds in bits, and with values floored
(`value = TotalHotkeyAlpha * share // TotalHotkeyShares`) the coldkeys' values never add up to more
than `TotalHotkeyAlpha`. Removing a coldkey's whole value removes all of its shares (no dust shares);
a pool whose value reached 0 is reset before it is bought into again.
"""
from __future__ import annotations

from runtime.frame.state import Overlay, StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.fixed import F64

ZERO = {"bits": 0}


def _share(state: StateReader, hotkey: bytes, coldkey: bytes, netuid: int) -> int:
    return S.Alpha.get(state, hotkey, coldkey, netuid)["bits"]


def _set_share(state: Overlay, hotkey: bytes, coldkey: bytes, netuid: int, bits: int) -> None:
    if bits:
        S.Alpha.insert(state, hotkey, coldkey, netuid, {"bits": bits})
    else:
        S.Alpha.remove(state, hotkey, coldkey, netuid)


def _set_total(state: Overlay, hotkey: bytes, netuid: int, value: int, shares: int) -> None:
    if value:
        S.TotalHotkeyAlpha.insert(state, hotkey, netuid, value)
    else:
        S.TotalHotkeyAlpha.remove(state, hotkey, netuid)
    if shares:
        S.TotalHotkeyShares.insert(state, hotkey, netuid, {"bits": shares})
    else:
        S.TotalHotkeyShares.remove(state, hotkey, netuid)


def value_of_shares(state: StateReader, hotkey: bytes, netuid: int, share_bits: int) -> int:
    total = S.TotalHotkeyShares.get(state, hotkey, netuid)["bits"]
    if total == 0:
        return 0
    return S.TotalHotkeyAlpha.get(state, hotkey, netuid) * share_bits // total


def alpha_of(state: StateReader, hotkey: bytes, coldkey: bytes, netuid: int) -> int:
    """`get_stake_for_hotkey_and_coldkey_on_subnet`: the coldkey's alpha on the hotkey, floored."""
    return value_of_shares(state, hotkey, netuid, _share(state, hotkey, coldkey, netuid))


def hotkey_alpha(state: StateReader, hotkey: bytes, netuid: int) -> int:
    return S.TotalHotkeyAlpha.get(state, hotkey, netuid)


def increase_for_all(state: Overlay, hotkey: bytes, netuid: int, amount: int) -> None:
    """`increase_stake_for_hotkey_on_subnet`: add to the pool's value (every share gains)."""
    if amount > 0:
        S.TotalHotkeyAlpha.mutate(state, hotkey, netuid, lambda v: v + amount)


def _shares_for(state: StateReader, hotkey: bytes, netuid: int, amount: int) -> int | None:
    """Share bits that `amount` buys now; None when the pool is empty (it starts over)."""
    value = S.TotalHotkeyAlpha.get(state, hotkey, netuid)
    total = S.TotalHotkeyShares.get(state, hotkey, netuid)["bits"]
    if value == 0 or total == 0:
        return None
    return amount * total // value


def can_increase_for_one(state: StateReader, hotkey: bytes, netuid: int, amount: int) -> bool:
    """`try_increase_stake_for_hotkey_and_coldkey_on_subnet`: the amount buys at least one share bit."""
    shares = _shares_for(state, hotkey, netuid, amount)
    return shares is None or shares > 0


def _reset(state: Overlay, hotkey: bytes, netuid: int) -> None:
    """A pool worth 0: its leftover shares are worth nothing; drop them so the total stays their sum."""
    for (_hot, cold, net), _ in list(S.Alpha.iter(state, hotkey)):
        if net == netuid:
            S.Alpha.remove(state, hotkey, cold, netuid)
    S.TotalHotkeyShares.remove(state, hotkey, netuid)


def increase_for_one(state: Overlay, hotkey: bytes, coldkey: bytes, netuid: int, amount: int) -> None:
    """`increase_stake_for_hotkey_and_coldkey_on_subnet`: the coldkey buys `amount` of the pool."""
    if amount <= 0:
        return
    staking = S.StakingHotkeys.get(state, coldkey)
    if hotkey not in staking:
        S.StakingHotkeys.insert(state, coldkey, staking + [hotkey])
    value = S.TotalHotkeyAlpha.get(state, hotkey, netuid)
    shares = _shares_for(state, hotkey, netuid, amount)
    if shares is None:
        if value == 0:
            _reset(state, hotkey, netuid)
        shares, total = amount << F64, 0
        if value:  # shares exist nowhere but value does (emission to an empty pool): first key takes it
            shares = (amount + value) << F64
    else:
        total = S.TotalHotkeyShares.get(state, hotkey, netuid)["bits"]
    _set_share(state, hotkey, coldkey, netuid, _share(state, hotkey, coldkey, netuid) + shares)
    _set_total(state, hotkey, netuid, value + amount, total + shares)


def decrease_for_one(state: Overlay, hotkey: bytes, coldkey: bytes, netuid: int, amount: int) -> bool:
    """`decrease_stake_for_hotkey_and_coldkey_on_subnet`: sell `amount` of the coldkey's value back
    out of the pool; does nothing (returns False) if the coldkey holds less."""
    if amount <= 0:
        return True
    own = _share(state, hotkey, coldkey, netuid)
    held = value_of_shares(state, hotkey, netuid, own)
    if held < amount:
        return False
    value = S.TotalHotkeyAlpha.get(state, hotkey, netuid)
    total = S.TotalHotkeyShares.get(state, hotkey, netuid)["bits"]
    shares = own if held == amount else min(amount * total // value, own)
    _set_share(state, hotkey, coldkey, netuid, own - shares)
    _set_total(state, hotkey, netuid, value - amount, total - shares)
    return True


def stakers_of(state: StateReader, hotkey: bytes, netuid: int) -> list[tuple[bytes, int]]:
    """(coldkey, alpha) of everyone holding shares of the hotkey's pool on `netuid`."""
    out = []
    for (_hot, cold, net), share in S.Alpha.iter(state, hotkey):
        if net == netuid and share["bits"]:
            out.append((cold, value_of_shares(state, hotkey, netuid, share["bits"])))
    return out
