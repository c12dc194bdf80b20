"""Staking through the subnet pools: add/remove (+ limits), moves, root 1:1, exact amounts, every error."""
import nacl.signing

from runtime.frame.dispatch import BadOrigin
from runtime.pallets import balances, swap as swap_pallet, system
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.stake import pool
from runtime.pallets.subtensor.types import DEFAULT_MIN_STAKE
from tests.runtime.helpers import ALICE, BOB, FERDIE
from tests.runtime.subtensor_setup import TAO, assert_issuance_conserved, call, ext_with, hot, register, register_subnet

NEWBIE = bytes(nacl.signing.SigningKey(b"\x0b" * 32).verify_key)
ED = balances.EXISTENTIAL_DEPOSIT


def setup():
    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"])
    return ext, netuid


def reserves(ext, netuid):
    return S.SubnetTAO.get(ext.state, netuid), S.SubnetAlphaIn.get(ext.state, netuid)


def test_add_stake_buys_alpha_through_the_pool():
    ext, netuid = setup()
    free = balances.free_balance(ext.ctx, FERDIE)
    issuance = S.TotalIssuance.get(ext.state)
    tao, alpha = reserves(ext, netuid)
    rate = swap_pallet.FeeRate.get(ext.state, netuid)
    assert rate == 33
    fee = swap.fee_amount(7 * TAO, rate)
    bought = alpha * (7 * TAO - fee) // (tao + 7 * TAO - fee)                 # x*y = k, the fee stays in the pool
    call(ext, FERDIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=7 * TAO)   # a nominator
    assert balances.free_balance(ext.ctx, FERDIE) == free - 7 * TAO
    assert S.TotalIssuance.get(ext.state) == issuance                      # moved, not created
    assert reserves(ext, netuid) == (tao + 7 * TAO, alpha - bought)
    assert S.TotalHotkeyAlpha.get(ext.state, hot("Bob"), netuid) == bought
    assert pool.alpha_of(ext.state, hot("Bob"), FERDIE, netuid) == bought
    assert hot("Bob") in S.StakingHotkeys.get(ext.state, FERDIE)
    assert events.StakeAdded(FERDIE, hot("Bob"), 7 * TAO, bought, netuid, fee) in ext.events()
    assert swap.current_alpha_price(ext.state, netuid) > 10**9              # buying raised the price
    assert_issuance_conserved(ext)


def test_remove_stake_sells_alpha_and_round_trips_minus_fees_and_slippage():
    ext, netuid = setup()
    free = balances.free_balance(ext.ctx, FERDIE)
    call(ext, FERDIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=7 * TAO)
    held = pool.alpha_of(ext.state, hot("Bob"), FERDIE, netuid)
    tao, alpha = reserves(ext, netuid)
    fee = swap.fee_amount(held // 2, 33)
    out = tao * (held // 2 - fee) // (alpha + held // 2 - fee)
    call(ext, FERDIE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=held // 2)
    assert balances.free_balance(ext.ctx, FERDIE) == free - 7 * TAO + out
    assert events.StakeRemoved(FERDIE, hot("Bob"), out, held // 2 - fee, netuid, fee) in ext.events()
    call(ext, FERDIE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=10**18)  # capped: all
    assert not S.Alpha.contains(ext.state, hot("Bob"), FERDIE, netuid)
    assert not S.TotalHotkeyAlpha.contains(ext.state, hot("Bob"), netuid)
    assert free - 7 * TAO < balances.free_balance(ext.ctx, FERDIE) < free    # fees stayed in the pool
    assert_issuance_conserved(ext)


def test_root_stake_is_tao_one_to_one():
    ext, _ = setup()
    assert S.NetworksAdded.get(ext.state, 0) and swap.current_alpha_price(ext.state, 0) == 10**9
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=0, amount_staked=50 * TAO)
    assert pool.alpha_of(ext.state, hot("Bob"), BOB, 0) == 50 * TAO
    assert S.SubnetTAO.get(ext.state, 0) == S.SubnetAlphaOut.get(ext.state, 0) == 50 * TAO
    call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=0, amount_unstaked=20 * TAO)
    assert pool.alpha_of(ext.state, hot("Bob"), BOB, 0) == 30 * TAO
    assert_issuance_conserved(ext)


def test_add_stake_errors_in_order():
    ext, netuid = setup()
    with ext.assert_noop(BadOrigin):
        call(ext, None, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=TAO)
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=3, amount_staked=0)
    with ext.assert_noop(Error.InsufficientLiquidity):          # more than 1000x the pool's TAO
        call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=10**9 * TAO)
    with ext.assert_noop(Error.AmountTooLow):
        call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=DEFAULT_MIN_STAKE)
    with ext.assert_noop(Error.NotEnoughBalanceToStake):
        call(ext, NEWBIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=TAO)
    with ext.assert_noop(Error.HotKeyAccountNotExists):
        call(ext, BOB, "add_stake", hotkey=hot("Nobody"), netuid=netuid, amount_staked=TAO)
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=DEFAULT_MIN_STAKE + 2000)


def test_remove_stake_errors_in_order():
    ext, netuid = setup()
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=TAO)
    held = pool.alpha_of(ext.state, hot("Bob"), BOB, netuid)
    with ext.assert_noop(Error.SubtokenDisabled):
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=3, amount_unstaked=TAO)
    with ext.assert_noop(Error.AmountTooLow):
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=0)
    with ext.assert_noop(Error.AmountTooLow):                   # nothing held: capped to 0
        call(ext, ALICE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=1)
    with ext.assert_noop(Error.AmountTooLow):                   # a partial unstake worth under the minimum
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=DEFAULT_MIN_STAKE // 2)
    call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=held - 1000)
    call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=1000)   # the rest: allowed
    assert_issuance_conserved(ext)


def test_limit_orders_refuse_or_fill_partially():
    ext, netuid = setup()
    price = swap.current_alpha_price(ext.state, netuid)
    limit = price * 101 // 100                                   # at most 1% above the current price
    with ext.assert_noop(Error.SlippageTooHigh):
        call(ext, BOB, "add_stake_limit", hotkey=hot("Bob"), netuid=netuid, amount_staked=50 * TAO,
             limit_price=limit, allow_partial=False)
    free = balances.free_balance(ext.ctx, BOB)
    call(ext, BOB, "add_stake_limit", hotkey=hot("Bob"), netuid=netuid, amount_staked=50 * TAO,
         limit_price=limit, allow_partial=True)
    spent = free - balances.free_balance(ext.ctx, BOB)
    assert 0 < spent < 50 * TAO
    assert price < swap.current_alpha_price(ext.state, netuid) <= limit
    held = pool.alpha_of(ext.state, hot("Bob"), BOB, netuid)
    floor = swap.current_alpha_price(ext.state, netuid) * 995 // 1000
    with ext.assert_noop(Error.SlippageTooHigh):
        call(ext, BOB, "remove_stake_limit", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=held,
             limit_price=floor, allow_partial=False)
    call(ext, BOB, "remove_stake_limit", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=held,
         limit_price=floor, allow_partial=True)
    assert 0 < pool.alpha_of(ext.state, hot("Bob"), BOB, netuid) < held
    assert swap.current_alpha_price(ext.state, netuid) >= floor
    assert_issuance_conserved(ext)


def test_move_transfer_and_swap_stake():
    ext, netuid = setup()
    other = register_subnet(ext, BOB, hot("Bob"))
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=20 * TAO)
    held = pool.alpha_of(ext.state, hot("Bob"), BOB, netuid)
    # same subnet, another coldkey: no swap, no fee
    call(ext, BOB, "transfer_stake", destination_coldkey=FERDIE, hotkey=hot("Bob"), origin_netuid=netuid,
         destination_netuid=netuid, alpha_amount=held // 4)
    assert pool.alpha_of(ext.state, hot("Bob"), FERDIE, netuid) in (held // 4, held // 4 - 1)
    # another subnet: sold on one pool, bought on the other
    tao_before = S.SubnetTAO.get(ext.state, other)
    call(ext, BOB, "swap_stake", hotkey=hot("Bob"), origin_netuid=netuid, destination_netuid=other,
         alpha_amount=held // 4)
    assert S.SubnetTAO.get(ext.state, other) > tao_before
    assert pool.alpha_of(ext.state, hot("Bob"), BOB, other) > 0
    moved = [e for e in ext.events() if isinstance(e, events.StakeSwapped)]
    assert moved and moved[-1].tao > 0
    # to another hotkey
    call(ext, BOB, "move_stake", origin_hotkey=hot("Bob"), destination_hotkey=hot("Alice"), origin_netuid=netuid,
         destination_netuid=netuid, alpha_amount=held // 8)
    assert pool.alpha_of(ext.state, hot("Alice"), BOB, netuid) > 0
    with ext.assert_noop(Error.SameNetuid):
        call(ext, BOB, "swap_stake", hotkey=hot("Bob"), origin_netuid=netuid, destination_netuid=netuid,
             alpha_amount=1000)
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, BOB, "swap_stake", hotkey=hot("Bob"), origin_netuid=netuid, destination_netuid=9,
             alpha_amount=1000)
    with ext.assert_noop(Error.HotKeyAccountNotExists):
        call(ext, BOB, "move_stake", origin_hotkey=hot("Bob"), destination_hotkey=hot("Nobody"),
             origin_netuid=netuid, destination_netuid=netuid, alpha_amount=1000)
    assert_issuance_conserved(ext)


def test_staking_never_reaps_the_coldkey():
    ext, netuid = setup()
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", NEWBIE), value=5 * TAO)
    call(ext, NEWBIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=5 * TAO)
    assert system.Account.contains(ext.state, NEWBIE)            # Preservation::Preserve, as subtensor
    assert balances.free_balance(ext.ctx, NEWBIE) == ED
    assert pool.alpha_of(ext.state, hot("Bob"), NEWBIE, netuid) > 0
    assert_issuance_conserved(ext)
