"""Stake: TAO a coldkey puts behind a hotkey on a subnet (`staking/add_stake.rs`, `remove_stake.rs`,
`stake_utils.rs validate_add_stake / validate_remove_stake`, `staking/helpers.rs`).

Value moves withdraw/mint-style through the Balances pallet: `add_stake` withdraws from the
coldkey (Balances.TotalIssuance falls) and adds to `Alpha`/`TotalStake`; `remove_stake`
mints back. `TotalIssuance` of this pallet is Balances.TotalIssuance + TotalStake, so the
sum is conserved exactly (`sync_total_issuance` below). This is subtensor's design
too (its stake is not part of the balances pallet's issuance).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import ensure
from runtime.frame.state import StateReader
from runtime.pallets import balances

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import StakeAdded, StakeRemoved
from runtime.pallets.subtensor.types import DEFAULT_MIN_STAKE, U64_MAX


# --- accounts (staking/helpers.rs) ---------------------------------------------------------------
def hotkey_account_exists(state: StateReader, hotkey: bytes) -> bool:
    return S.Owner.contains(state, hotkey)


def coldkey_owns_hotkey(state: StateReader, coldkey: bytes, hotkey: bytes) -> bool:
    return hotkey_account_exists(state, hotkey) and S.Owner.get(state, hotkey) == coldkey


def create_account_if_non_existent(ctx: BlockContext, coldkey: bytes, hotkey: bytes) -> None:
    state = ctx.state
    if hotkey_account_exists(state, hotkey):
        return
    S.Owner.insert(state, hotkey, coldkey)
    owned = S.OwnedHotkeys.get(state, coldkey)
    if hotkey not in owned:
        S.OwnedHotkeys.insert(state, coldkey, owned + [hotkey])
    staking = S.StakingHotkeys.get(state, coldkey)
    if hotkey not in staking:
        S.StakingHotkeys.insert(state, coldkey, staking + [hotkey])


# --- stake bookkeeping --------------------------------------------------------------------------
def stake_of(state: StateReader, hotkey: bytes, coldkey: bytes, netuid: int) -> int:
    return S.Alpha.get(state, hotkey, coldkey, netuid)


def total_hotkey_stake(state: StateReader, hotkey: bytes, netuid: int) -> int:
    return S.TotalHotkeyAlpha.get(state, hotkey, netuid)


def _put_or_kill(item, state, *keys_and_value) -> None:
    *keys, value = keys_and_value
    if value:
        item.insert(state, *keys, value)
    else:
        item.remove(state, *keys)


def increase_stake(ctx: BlockContext, hotkey: bytes, coldkey: bytes, netuid: int, amount: int) -> None:
    """Credit `amount` of stake that already left the balances (or is newly emitted)."""
    if amount <= 0:
        return
    state = ctx.state
    S.Alpha.insert(state, hotkey, coldkey, netuid, min(stake_of(state, hotkey, coldkey, netuid) + amount, U64_MAX))
    S.TotalHotkeyAlpha.insert(state, hotkey, netuid, total_hotkey_stake(state, hotkey, netuid) + amount)
    S.SubnetTAO.mutate(state, netuid, lambda v: v + amount)
    S.TotalStake.mutate(state, lambda v: v + amount)
    staking = S.StakingHotkeys.get(state, coldkey)
    if hotkey not in staking:
        S.StakingHotkeys.insert(state, coldkey, staking + [hotkey])


def decrease_stake(ctx: BlockContext, hotkey: bytes, coldkey: bytes, netuid: int, amount: int) -> None:
    state = ctx.state
    current = stake_of(state, hotkey, coldkey, netuid)
    assert amount <= current
    _put_or_kill(S.Alpha, state, hotkey, coldkey, netuid, current - amount)
    _put_or_kill(S.TotalHotkeyAlpha, state, hotkey, netuid, total_hotkey_stake(state, hotkey, netuid) - amount)
    S.SubnetTAO.mutate(state, netuid, lambda v: v - amount)
    S.TotalStake.mutate(state, lambda v: v - amount)


def stakers_of(state: StateReader, hotkey: bytes, netuid: int) -> list[tuple[bytes, int]]:
    """(coldkey, stake) of everyone staked to `hotkey` on `netuid`, in storage order."""
    return [(cold, value) for (_hot, cold, net), value in S.Alpha.iter(state, hotkey)
            if net == netuid and value > 0]


def sync_total_issuance(ctx: BlockContext) -> int:
    """TotalIssuance := Balances.TotalIssuance + TotalStake (fees and dust burned by other pallets
    show up here at the next sync; every value-moving call of this pallet syncs)."""
    total = balances.TotalIssuance.get(ctx.state) + S.TotalStake.get(ctx.state)
    S.TotalIssuance.put(ctx.state, min(total, U64_MAX))
    return total


# --- calls --------------------------------------------------------------------------------------
def do_add_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, amount: int) -> None:
    """validate_add_stake's checks in order, then withdraw from the coldkey and stake."""
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid), Error.SubnetNotExists)
    ensure(amount >= DEFAULT_MIN_STAKE, Error.AmountTooLow)
    ensure(amount <= balances.free_balance(ctx, coldkey), Error.NotEnoughBalanceToStake)
    ensure(hotkey_account_exists(state, hotkey), Error.HotKeyAccountNotExists)
    # Preservation::Expendable, as subtensor's remove_balance_from_coldkey_account.
    balances.withdraw(ctx, coldkey, amount, keep_alive=False)
    increase_stake(ctx, hotkey, coldkey, netuid, amount)
    sync_total_issuance(ctx)
    ctx.deposit_event(StakeAdded(coldkey, hotkey, amount, amount, netuid, 0))


def do_remove_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, amount: int) -> None:
    """validate_remove_stake's checks in order, then unstake and mint back to the coldkey."""
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid), Error.SubnetNotExists)
    ensure(amount > 0, Error.AmountTooLow)
    current = stake_of(state, hotkey, coldkey, netuid)
    ensure(current >= amount, Error.NotEnoughStakeToWithdraw)       # calculate_reduced_stake_on_subnet
    ensure(current == amount or amount >= DEFAULT_MIN_STAKE, Error.AmountTooLow)
    ensure(hotkey_account_exists(state, hotkey), Error.HotKeyAccountNotExists)
    decrease_stake(ctx, hotkey, coldkey, netuid, amount)
    balances.mint(ctx, coldkey, amount)
    sync_total_issuance(ctx)
    ctx.deposit_event(StakeRemoved(coldkey, hotkey, amount, amount, netuid, 0))
