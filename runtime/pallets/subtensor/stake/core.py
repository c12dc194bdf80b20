"""Staking through the subnet pools (`staking/stake_utils.rs`, `staking/helpers.rs`, `coinbase/tao.rs`).

Stake is alpha: `stake_into_subnet` takes TAO from the coldkey (never below the existential deposit,
as subtensor's `transfer_tao_to_subnet` with `Preservation::Preserve`), buys alpha through the
pool and credits it to the (hotkey, coldkey) share pool; `unstake_from_subnet` sells the alpha and
pays the TAO to the coldkey. On root (netuid 0) and stable subnets alpha is TAO 1:1.

Value bookkeeping: TAO in pools is withdrawn from Balances (its TotalIssuance falls) and counted in
`TotalStake` (== sum of SubnetTAO); `SubtensorModule.TotalIssuance` is always
`Balances.TotalIssuance + TotalStake` (`sync_total_issuance`).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import ensure, fail
from runtime.frame.state import StateReader
from runtime.pallets import balances
from runtime.pallets import swap as swap_pallet

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import StakeAdded, StakeRemoved
from runtime.pallets.subtensor.fixed import F64, U64_MAX
from runtime.pallets.subtensor.stake import pool
from runtime.pallets.subtensor.types import DEFAULT_MIN_STAKE


# --- accounts (staking/helpers.rs) -----------------------------------------------------------------
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


def sync_total_issuance(ctx: BlockContext) -> int:
    """TotalIssuance := Balances.TotalIssuance + TotalStake (fees and dust burned by other pallets
    show up here at the next sync; every value-moving call of this pallet syncs)."""
    total = balances.TotalIssuance.get(ctx.state) + S.TotalStake.get(ctx.state)
    S.TotalIssuance.put(ctx.state, min(total, U64_MAX))
    return total


def stake_of(state: StateReader, hotkey: bytes, coldkey: bytes, netuid: int) -> int:
    return pool.alpha_of(state, hotkey, coldkey, netuid)


def total_hotkey_stake(state: StateReader, hotkey: bytes, netuid: int) -> int:
    return S.TotalHotkeyAlpha.get(state, hotkey, netuid)


def spendable(ctx: BlockContext, coldkey: bytes) -> int:
    """`reducible_balance(Preserve)`: what leaves the account without reaping it."""
    return max(balances.free_balance(ctx, coldkey) - balances.EXISTENTIAL_DEPOSIT, 0)


def swap_error(refused: swap.SwapRefused):
    """The Swap pallet's error for a refused swap (subtensor propagates the swap pallet's error)."""
    return swap_pallet.Error[refused.error]


def _tao_equivalent(state: StateReader, netuid: int, alpha: int) -> int:
    return min((swap.current_price_bits(state, netuid) * alpha) >> F64, U64_MAX)


# --- moving value -----------------------------------------------------------------------------------
def stake_into_subnet(ctx: BlockContext, hotkey: bytes, coldkey: bytes, netuid: int, tao: int,
                      limit_price: int | None = None, drop_fees: bool = False) -> int:
    """Take up to `tao` from the coldkey, buy alpha with it, credit it to (hotkey, coldkey).
    Returns the alpha bought. Checks everything before writing."""
    state = ctx.state
    tao_staked = min(tao, spendable(ctx, coldkey))
    ensure(tao_staked > 0, Error.InsufficientBalance)
    try:
        quote = swap.quote(state, netuid, True, tao_staked, limit_price, drop_fees)
    except swap.SwapRefused as refused:
        fail(swap_error(refused))
    ensure(quote.amount_paid_out > 0, Error.AmountTooLow)
    ensure(pool.can_increase_for_one(state, hotkey, netuid, quote.amount_paid_out), Error.InsufficientLiquidity)
    balances.withdraw(ctx, coldkey, quote.total_in, keep_alive=True)
    result = swap.swap_tao_for_alpha(state, netuid, tao_staked, limit_price, drop_fees)   # == quote
    pool.increase_for_one(state, hotkey, coldkey, netuid, result.amount_paid_out)
    S.SubnetTaoFlow.mutate(state, netuid, lambda v: v + result.total_in)
    sync_total_issuance(ctx)
    ctx.deposit_event(StakeAdded(coldkey, hotkey, result.total_in, result.amount_paid_out, netuid, result.fee_paid))
    return result.amount_paid_out


def unstake_from_subnet(ctx: BlockContext, hotkey: bytes, coldkey: bytes, netuid: int, alpha: int,
                        limit_price: int | None = None, drop_fees: bool = False, pay_out: bool = True) -> int:
    """Sell `alpha` of (hotkey, coldkey)'s stake and pay the TAO to the coldkey (with `pay_out=False`
    the TAO is only returned: a move restakes it). Only the part the limit allows is sold."""
    state = ctx.state
    try:
        quote = swap.quote(state, netuid, False, alpha, limit_price, drop_fees)
    except swap.SwapRefused as refused:
        fail(swap_error(refused))
    sold = quote.total_in
    ensure(pool.decrease_for_one(state, hotkey, coldkey, netuid, sold), Error.NotEnoughStakeToWithdraw)
    result = swap.swap_alpha_for_tao(state, netuid, sold, limit_price, drop_fees)
    if pay_out:
        balances.mint(ctx, coldkey, result.amount_paid_out)
    S.SubnetTaoFlow.mutate(state, netuid, lambda v: v - result.amount_paid_out)
    sync_total_issuance(ctx)
    ctx.deposit_event(StakeRemoved(coldkey, hotkey, result.amount_paid_out, result.amount_paid_in, netuid,
                                   result.fee_paid))
    return result.amount_paid_out


def stake_tao_from_pool(ctx: BlockContext, hotkey: bytes, coldkey: bytes, netuid: int, tao: int,
                        drop_fees: bool) -> int:
    """Buy alpha with TAO that just left another pool (moves): no balance is touched."""
    state = ctx.state
    try:
        quote = swap.quote(state, netuid, True, tao, None, drop_fees)
    except swap.SwapRefused as refused:
        fail(swap_error(refused))
    ensure(quote.amount_paid_out > 0, Error.AmountTooLow)
    ensure(pool.can_increase_for_one(state, hotkey, netuid, quote.amount_paid_out), Error.InsufficientLiquidity)
    result = swap.swap_tao_for_alpha(state, netuid, tao, None, drop_fees)
    refund = tao - result.total_in
    if refund:
        balances.mint(ctx, coldkey, refund)
    pool.increase_for_one(state, hotkey, coldkey, netuid, result.amount_paid_out)
    S.SubnetTaoFlow.mutate(state, netuid, lambda v: v + result.total_in)
    sync_total_issuance(ctx)
    ctx.deposit_event(StakeAdded(coldkey, hotkey, result.total_in, result.amount_paid_out, netuid, result.fee_paid))
    return result.amount_paid_out


# --- validation (stake_utils.rs validate_*) ------------------------------------------------------------
def min_add_amount(state: StateReader, netuid: int) -> int:
    """DefaultMinStake plus the fee a swap of it would pay."""
    try:
        fee = swap.quote(state, netuid, True, DEFAULT_MIN_STAKE).fee_paid
    except swap.SwapRefused:
        fee = swap.fee_amount(DEFAULT_MIN_STAKE, swap.fee_rate(state, netuid)) if swap.is_dynamic(state, netuid) else 0
    return DEFAULT_MIN_STAKE + fee


def validate_add_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, amount: int,
                       max_amount: int, allow_partial: bool) -> None:
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid), Error.SubnetNotExists)
    ensure(S.SubtokenEnabled.get(state, netuid), Error.SubtokenDisabled)
    ensure(amount >= min_add_amount(state, netuid), Error.AmountTooLow)
    if not allow_partial:
        ensure(amount <= max_amount, Error.SlippageTooHigh)
    else:
        amount = min(amount, max_amount)
    ensure(amount <= balances.free_balance(ctx, coldkey), Error.NotEnoughBalanceToStake)
    ensure(hotkey_account_exists(state, hotkey), Error.HotKeyAccountNotExists)
    try:
        sim = swap.quote(state, netuid, True, amount)
    except swap.SwapRefused:
        fail(Error.InsufficientLiquidity)
    ensure(sim.amount_paid_in >= DEFAULT_MIN_STAKE, Error.AmountTooLow)
    ensure(sim.amount_paid_out > 0, Error.InsufficientLiquidity)
    ensure(pool.can_increase_for_one(state, hotkey, netuid, sim.amount_paid_out), Error.InsufficientLiquidity)


def validate_remove_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, alpha: int,
                          max_amount: int, allow_partial: bool) -> None:
    state = ctx.state
    ensure(S.NetworksAdded.get(state, netuid), Error.SubnetNotExists)
    ensure(alpha > 0, Error.AmountTooLow)
    held = stake_of(state, hotkey, coldkey, netuid)
    ensure(held >= alpha, Error.NotEnoughStakeToWithdraw)
    try:
        sim = swap.quote(state, netuid, False, alpha)
    except swap.SwapRefused:
        fail(Error.InsufficientLiquidity)
    if held - alpha:
        ensure(sim.amount_paid_out >= DEFAULT_MIN_STAKE, Error.AmountTooLow)
    if not allow_partial:
        ensure(alpha <= max_amount, Error.SlippageTooHigh)
    ensure(hotkey_account_exists(state, hotkey), Error.HotKeyAccountNotExists)


def ensure_add_input_within_swap_limit(state: StateReader, netuid: int, amount: int) -> None:
    if swap.is_dynamic(state, netuid):
        limit = S.SubnetTAO.get(state, netuid) * swap.MAX_SWAP_INPUT_RESERVE_MULTIPLIER
        ensure(amount <= limit, Error.InsufficientLiquidity)


def ensure_remove_input_within_swap_limit(state: StateReader, netuid: int, alpha: int) -> None:
    if swap.is_dynamic(state, netuid):
        limit = S.SubnetAlphaIn.get(state, netuid) * swap.MAX_SWAP_INPUT_RESERVE_MULTIPLIER
        ensure(alpha <= limit, Error.InsufficientLiquidity)
