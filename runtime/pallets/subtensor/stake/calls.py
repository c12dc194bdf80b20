"""Staking calls with subtensor's call indices, argument names, check order and errors
(`macros/dispatches.rs`, `staking/add_stake.rs`, `staking/remove_stake.rs`, `staking/move_stake.rs`).

    add_stake 2, remove_stake 3, move_stake 85, transfer_stake 86, swap_stake 87,
    add_stake_limit 88, remove_stake_limit 89, swap_stake_limit 90

Limit prices are rao of TAO per alpha (`TaoBalance`); `allow_partial` executes the part that stays
within the limit instead of failing with SlippageTooHigh.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_signed, fail
from runtime.frame.pallet import CallWeight
from primitives.scale import U16, U64, Bool
from primitives.types import AccountId

from runtime.pallets import balances
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.errors import Error
from runtime.pallets.subtensor.events import StakeMoved, StakeSwapped, StakeTransferred
from runtime.pallets.subtensor.fixed import F64, U64_MAX, ratio
from runtime.pallets.subtensor.stake import core, pool
from runtime.pallets.subtensor.pallet import pallet
from runtime.pallets.subtensor.types import DEFAULT_MIN_STAKE

NETUID = ("netuid", U16, "NetUid")
HOTKEY = ("hotkey", AccountId, "T::AccountId")
LIMIT = [("limit_price", U64, "TaoBalance"), ("allow_partial", Bool, "bool")]
MOVE_NETS = [("origin_netuid", U16, "NetUid"), ("destination_netuid", U16, "NetUid"),
             ("alpha_amount", U64, "AlphaBalance")]
STAKE_WEIGHT = CallWeight(60_000_000)


def _max_add(state, netuid: int, limit_price: int) -> int:
    try:
        return swap.max_amount_add(state, netuid, limit_price)
    except swap.SwapRefused as refused:
        fail(core.swap_error(refused))


def _max_remove(state, netuid: int, limit_price: int) -> int:
    try:
        return swap.max_amount_remove(state, netuid, limit_price)
    except swap.SwapRefused as refused:
        fail(core.swap_error(refused))


def do_add_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, amount: int,
                 limit: tuple[int, bool] | None = None) -> int:
    state = ctx.state
    core.ensure_add_input_within_swap_limit(state, netuid, amount)
    if limit is None:
        core.validate_add_stake(ctx, coldkey, hotkey, netuid, amount, amount, False)
        return core.stake_into_subnet(ctx, hotkey, coldkey, netuid, amount)
    limit_price, allow_partial = limit
    max_amount = _max_add(state, netuid, limit_price)
    core.validate_add_stake(ctx, coldkey, hotkey, netuid, amount, max_amount, allow_partial)
    return core.stake_into_subnet(ctx, hotkey, coldkey, netuid, min(amount, max_amount), limit_price)


def do_remove_stake(ctx: BlockContext, coldkey: bytes, hotkey: bytes, netuid: int, alpha: int,
                    limit: tuple[int, bool] | None = None) -> int:
    state = ctx.state
    if limit is None:
        ensure(S.SubtokenEnabled.get(state, netuid), Error.SubtokenDisabled)
        alpha = min(alpha, core.stake_of(state, hotkey, coldkey, netuid))
        core.ensure_remove_input_within_swap_limit(state, netuid, alpha)
        core.validate_remove_stake(ctx, coldkey, hotkey, netuid, alpha, alpha, False)
        return core.unstake_from_subnet(ctx, hotkey, coldkey, netuid, alpha)
    limit_price, allow_partial = limit
    core.ensure_remove_input_within_swap_limit(state, netuid, alpha)
    max_amount = _max_remove(state, netuid, limit_price)
    core.validate_remove_stake(ctx, coldkey, hotkey, netuid, alpha, max_amount, allow_partial)
    return core.unstake_from_subnet(ctx, hotkey, coldkey, netuid, min(alpha, max_amount), limit_price)


@pallet.call(2, [HOTKEY, NETUID, ("amount_staked", U64, "TaoBalance")], weight=STAKE_WEIGHT)
def add_stake(ctx: BlockContext, origin: Origin, hotkey: bytes, netuid: int, amount_staked: int) -> None:
    """Buy alpha on `netuid` with `amount_staked` rao of the caller's (coldkey's) TAO, staked on `hotkey`."""
    do_add_stake(ctx, ensure_signed(origin), hotkey, netuid, amount_staked)


@pallet.call(3, [HOTKEY, NETUID, ("amount_unstaked", U64, "AlphaBalance")], weight=STAKE_WEIGHT)
def remove_stake(ctx: BlockContext, origin: Origin, hotkey: bytes, netuid: int, amount_unstaked: int) -> None:
    """Sell `amount_unstaked` alpha of the caller's stake on `hotkey` for TAO to its balance."""
    do_remove_stake(ctx, ensure_signed(origin), hotkey, netuid, amount_unstaked)


@pallet.call(88, [HOTKEY, NETUID, ("amount_staked", U64, "TaoBalance"), *LIMIT], weight=STAKE_WEIGHT)
def add_stake_limit(ctx: BlockContext, origin: Origin, hotkey: bytes, netuid: int, amount_staked: int,
                    limit_price: int, allow_partial: bool) -> None:
    """As `add_stake`, buying only while the alpha price stays at or below `limit_price`."""
    do_add_stake(ctx, ensure_signed(origin), hotkey, netuid, amount_staked, (limit_price, allow_partial))


@pallet.call(89, [HOTKEY, NETUID, ("amount_unstaked", U64, "AlphaBalance"), *LIMIT], weight=STAKE_WEIGHT)
def remove_stake_limit(ctx: BlockContext, origin: Origin, hotkey: bytes, netuid: int, amount_unstaked: int,
                       limit_price: int, allow_partial: bool) -> None:
    """As `remove_stake`, selling only while the alpha price stays at or above `limit_price`."""
    do_remove_stake(ctx, ensure_signed(origin), hotkey, netuid, amount_unstaked, (limit_price, allow_partial))


# --- moves (staking/move_stake.rs) -----------------------------------------------------------------
def max_amount_move(state, origin_netuid: int, destination_netuid: int, limit_price: int) -> int:
    """`get_max_amount_move`: the most alpha that moves while origin/destination price >= limit."""
    origin_dynamic = swap.is_dynamic(state, origin_netuid)
    destination_dynamic = swap.is_dynamic(state, destination_netuid)
    if not origin_dynamic and not destination_dynamic:
        return 0 if limit_price > swap.RAO else U64_MAX
    if not origin_dynamic:
        if limit_price == 0:
            return U64_MAX
        destination_price = ((((1 << F64) * swap.RAO) // limit_price) * swap.RAO) >> F64
        return _max_add(state, destination_netuid, destination_price)
    if not destination_dynamic:
        return _max_remove(state, origin_netuid, limit_price)
    tao_1, tao_2 = S.SubnetTAO.get(state, origin_netuid), S.SubnetTAO.get(state, destination_netuid)
    alpha_1, alpha_2 = S.SubnetAlphaIn.get(state, origin_netuid), S.SubnetAlphaIn.get(state, destination_netuid)
    if not (tao_1 and tao_2 and alpha_1 and alpha_2):
        return 0
    limit = ratio(limit_price, swap.RAO)
    current = (swap.current_alpha_price(state, origin_netuid) << F64) // max(
        swap.current_alpha_price(state, destination_netuid), 1)
    if limit > current:
        return 0
    if limit_price == 0:
        return U64_MAX
    total = tao_1 + tao_2
    t1, t2 = ratio(tao_1, total), ratio(tao_2, total)
    first = ((alpha_2 * t1) << F64) // limit        # alpha_2 * t1 / limit, in U64F64 bits
    result = first - alpha_1 * t2
    return min(max(result, 0) >> F64, U64_MAX)


def validate_stake_transition(ctx: BlockContext, origin_coldkey: bytes, destination_coldkey: bytes,
                              origin_hotkey: bytes, destination_hotkey: bytes, origin_netuid: int,
                              destination_netuid: int, alpha: int, max_amount: int, allow_partial: bool | None,
                              check_transfer_toggle: bool) -> None:
    state = ctx.state
    if origin_coldkey == destination_coldkey and origin_hotkey == destination_hotkey:
        ensure(origin_netuid != destination_netuid, Error.SameNetuid)
    ensure(S.NetworksAdded.get(state, origin_netuid), Error.SubnetNotExists)
    if origin_netuid != destination_netuid:
        ensure(S.NetworksAdded.get(state, destination_netuid), Error.SubnetNotExists)
    ensure(S.SubtokenEnabled.get(state, origin_netuid), Error.SubtokenDisabled)
    ensure(S.SubtokenEnabled.get(state, destination_netuid), Error.SubtokenDisabled)
    ensure(core.hotkey_account_exists(state, origin_hotkey), Error.HotKeyAccountNotExists)
    ensure(core.hotkey_account_exists(state, destination_hotkey), Error.HotKeyAccountNotExists)
    ensure(alpha <= core.stake_of(state, origin_hotkey, origin_coldkey, origin_netuid), Error.NotEnoughStakeToWithdraw)
    if origin_netuid != destination_netuid:
        try:
            tao_equivalent = swap.quote(state, origin_netuid, False, alpha).amount_paid_out
        except swap.SwapRefused:
            fail(Error.InsufficientLiquidity)
        ensure(tao_equivalent > DEFAULT_MIN_STAKE, Error.AmountTooLow)
        if allow_partial is False:
            ensure(alpha <= max_amount, Error.SlippageTooHigh)
    if check_transfer_toggle:
        ensure(S.TransferToggle.get(state, origin_netuid), Error.TransferDisallowed)
        if origin_netuid != destination_netuid:
            ensure(S.TransferToggle.get(state, destination_netuid), Error.TransferDisallowed)


def transition_stake(ctx: BlockContext, origin_coldkey: bytes, destination_coldkey: bytes, origin_hotkey: bytes,
                     destination_hotkey: bytes, origin_netuid: int, destination_netuid: int, alpha: int,
                     limit_price: int | None, allow_partial: bool | None, check_transfer_toggle: bool) -> int:
    """`transition_stake_internal`; returns the TAO the moved stake was worth."""
    state = ctx.state
    alpha = min(alpha, core.stake_of(state, origin_hotkey, origin_coldkey, origin_netuid))
    if origin_netuid != destination_netuid and limit_price is not None:
        max_amount = max_amount_move(state, origin_netuid, destination_netuid, limit_price)
    else:
        max_amount = alpha
    validate_stake_transition(ctx, origin_coldkey, destination_coldkey, origin_hotkey, destination_hotkey,
                              origin_netuid, destination_netuid, alpha, max_amount, allow_partial,
                              check_transfer_toggle)
    amount = min(alpha, max_amount)
    if origin_netuid == destination_netuid:
        return transfer_within_subnet(ctx, origin_coldkey, origin_hotkey, destination_coldkey, destination_hotkey,
                                      origin_netuid, amount)
    # fees once: on the destination, or on the origin when it is root (as subtensor)
    drop_origin = origin_netuid == 0
    tao = core.unstake_from_subnet(ctx, origin_hotkey, origin_coldkey, origin_netuid, amount,
                                   swap.MIN_PRICE, drop_fees=drop_origin, pay_out=False)
    if tao >= DEFAULT_MIN_STAKE:
        core.stake_tao_from_pool(ctx, destination_hotkey, destination_coldkey, destination_netuid, tao,
                                 drop_fees=not drop_origin)
    else:
        balances.mint(ctx, destination_coldkey, tao)      # too little to restake: paid out
        core.sync_total_issuance(ctx)
    return tao


def transfer_within_subnet(ctx: BlockContext, origin_coldkey: bytes, origin_hotkey: bytes, destination_coldkey: bytes,
                           destination_hotkey: bytes, netuid: int, alpha: int) -> int:
    """`transfer_stake_within_subnet`: move alpha between share pools without a swap or fee."""
    from runtime.pallets.subtensor.events import StakeAdded, StakeRemoved

    state = ctx.state
    tao_equivalent = min((swap.current_price_bits(state, netuid) * alpha) >> F64, U64_MAX)
    ensure(tao_equivalent >= DEFAULT_MIN_STAKE, Error.AmountTooLow)
    ensure(pool.decrease_for_one(state, origin_hotkey, origin_coldkey, netuid, alpha), Error.NotEnoughStakeToWithdraw)
    pool.increase_for_one(state, destination_hotkey, destination_coldkey, netuid, alpha)
    ctx.deposit_event(StakeRemoved(origin_coldkey, origin_hotkey, tao_equivalent, alpha, netuid, 0))
    ctx.deposit_event(StakeAdded(destination_coldkey, destination_hotkey, tao_equivalent, alpha, netuid, 0))
    return tao_equivalent


@pallet.call(85, [("origin_hotkey", AccountId, "T::AccountId"), ("destination_hotkey", AccountId, "T::AccountId"),
                  *MOVE_NETS], weight=CallWeight(90_000_000))
def move_stake(ctx: BlockContext, origin: Origin, origin_hotkey: bytes, destination_hotkey: bytes,
               origin_netuid: int, destination_netuid: int, alpha_amount: int) -> None:
    """Move the caller's stake from (origin_hotkey, origin_netuid) to (destination_hotkey, destination_netuid)."""
    coldkey = ensure_signed(origin)
    tao = transition_stake(ctx, coldkey, coldkey, origin_hotkey, destination_hotkey, origin_netuid,
                           destination_netuid, alpha_amount, None, None, False)
    ctx.deposit_event(StakeMoved(coldkey, origin_hotkey, origin_netuid, destination_hotkey, destination_netuid, tao))


@pallet.call(86, [("destination_coldkey", AccountId, "T::AccountId"), HOTKEY, *MOVE_NETS],
             weight=CallWeight(90_000_000))
def transfer_stake(ctx: BlockContext, origin: Origin, destination_coldkey: bytes, hotkey: bytes,
                   origin_netuid: int, destination_netuid: int, alpha_amount: int) -> None:
    """Give the caller's stake on `hotkey` to `destination_coldkey` (optionally onto another subnet)."""
    coldkey = ensure_signed(origin)
    tao = transition_stake(ctx, coldkey, destination_coldkey, hotkey, hotkey, origin_netuid, destination_netuid,
                           alpha_amount, None, None, True)
    ctx.deposit_event(StakeTransferred(coldkey, destination_coldkey, hotkey, origin_netuid, destination_netuid, tao))


@pallet.call(87, [HOTKEY, *MOVE_NETS], weight=CallWeight(90_000_000))
def swap_stake(ctx: BlockContext, origin: Origin, hotkey: bytes, origin_netuid: int, destination_netuid: int,
               alpha_amount: int) -> None:
    """Move the caller's stake on `hotkey` from one subnet to another (sell, then buy)."""
    coldkey = ensure_signed(origin)
    tao = transition_stake(ctx, coldkey, coldkey, hotkey, hotkey, origin_netuid, destination_netuid, alpha_amount,
                           None, None, False)
    ctx.deposit_event(StakeSwapped(coldkey, hotkey, origin_netuid, destination_netuid, tao))


@pallet.call(90, [HOTKEY, *MOVE_NETS, *LIMIT], weight=CallWeight(90_000_000))
def swap_stake_limit(ctx: BlockContext, origin: Origin, hotkey: bytes, origin_netuid: int, destination_netuid: int,
                     alpha_amount: int, limit_price: int, allow_partial: bool) -> None:
    """As `swap_stake`, while origin price / destination price stays at or above `limit_price`."""
    coldkey = ensure_signed(origin)
    tao = transition_stake(ctx, coldkey, coldkey, hotkey, hotkey, origin_netuid, destination_netuid, alpha_amount,
                           limit_price, allow_partial, False)
    ctx.deposit_event(StakeSwapped(coldkey, hotkey, origin_netuid, destination_netuid, tao))
