"""add_stake / remove_stake: exact balance moves, bookkeeping, every error."""
import nacl.signing

from runtime.frame.dispatch import BadOrigin
from runtime.pallets import balances, system
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.types import DEFAULT_MIN_STAKE
from tests.runtime.helpers import ALICE, BOB, FERDIE
from tests.runtime.subtensor_setup import TAO, assert_issuance_conserved, call, ext_with, hot, register, register_subnet

NEWBIE = bytes(nacl.signing.SigningKey(b"\x0b" * 32).verify_key)


def setup():
    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"])
    return ext, netuid


def test_add_and_remove_stake_move_exact_amounts():
    ext, netuid = setup()
    free = balances.free_balance(ext.ctx, FERDIE)
    issuance = balances.TotalIssuance.get(ext.state)
    total = S.TotalIssuance.get(ext.state)
    call(ext, FERDIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=7 * TAO)   # a nominator
    assert balances.free_balance(ext.ctx, FERDIE) == free - 7 * TAO
    assert balances.TotalIssuance.get(ext.state) == issuance - 7 * TAO
    assert S.TotalIssuance.get(ext.state) == total                       # moved, not created
    assert S.Alpha.get(ext.state, hot("Bob"), FERDIE, netuid) == 7 * TAO
    assert S.TotalHotkeyAlpha.get(ext.state, hot("Bob"), netuid) == 7 * TAO
    assert S.SubnetTAO.get(ext.state, netuid) == S.SubnetLocked.get(ext.state, netuid) + 7 * TAO
    assert hot("Bob") in S.StakingHotkeys.get(ext.state, FERDIE)
    assert events.StakeAdded(FERDIE, hot("Bob"), 7 * TAO, 7 * TAO, netuid, 0) in ext.events()
    call(ext, FERDIE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=3 * TAO)
    assert balances.free_balance(ext.ctx, FERDIE) == free - 4 * TAO
    assert S.Alpha.get(ext.state, hot("Bob"), FERDIE, netuid) == 4 * TAO
    call(ext, FERDIE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=4 * TAO)
    assert not S.Alpha.contains(ext.state, hot("Bob"), FERDIE, netuid)
    assert not S.TotalHotkeyAlpha.contains(ext.state, hot("Bob"), netuid)
    assert balances.free_balance(ext.ctx, FERDIE) == free
    assert S.TotalIssuance.get(ext.state) == total
    assert events.StakeRemoved(FERDIE, hot("Bob"), 4 * TAO, 4 * TAO, netuid, 0) in ext.events()
    assert_issuance_conserved(ext)


def test_add_stake_errors_in_order():
    ext, netuid = setup()
    with ext.assert_noop(BadOrigin):
        call(ext, None, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=TAO)
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=3, amount_staked=0)
    with ext.assert_noop(Error.AmountTooLow):
        call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=DEFAULT_MIN_STAKE - 1)
    with ext.assert_noop(Error.NotEnoughBalanceToStake):
        call(ext, BOB, "add_stake", hotkey=hot("Nobody"), netuid=netuid, amount_staked=10**9 * TAO)
    with ext.assert_noop(Error.HotKeyAccountNotExists):
        call(ext, BOB, "add_stake", hotkey=hot("Nobody"), netuid=netuid, amount_staked=TAO)
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=DEFAULT_MIN_STAKE)


def test_remove_stake_errors_in_order():
    ext, netuid = setup()
    call(ext, BOB, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=TAO)
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=3, amount_unstaked=TAO)
    with ext.assert_noop(Error.AmountTooLow):
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=0)
    with ext.assert_noop(Error.NotEnoughStakeToWithdraw):
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=TAO + 1)
    with ext.assert_noop(Error.NotEnoughStakeToWithdraw):
        call(ext, ALICE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=1)
    with ext.assert_noop(Error.AmountTooLow):     # a partial unstake below the minimum stake
        call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=DEFAULT_MIN_STAKE - 1)
    call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=TAO - 1000)
    call(ext, BOB, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=1000)   # the rest: allowed
    assert_issuance_conserved(ext)


def test_staking_a_whole_balance_reaps_the_coldkey():
    ext, netuid = setup()
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", NEWBIE), value=5 * TAO)
    call(ext, NEWBIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=5 * TAO)
    assert not system.Account.contains(ext.state, NEWBIE)          # Preservation::Expendable, as subtensor
    assert S.Alpha.get(ext.state, hot("Bob"), NEWBIE, netuid) == 5 * TAO
    call(ext, NEWBIE, "remove_stake", hotkey=hot("Bob"), netuid=netuid, amount_unstaked=5 * TAO)
    assert balances.free_balance(ext.ctx, NEWBIE) == 5 * TAO
    assert_issuance_conserved(ext)
