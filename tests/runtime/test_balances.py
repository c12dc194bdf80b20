"""Balances through the test externality: transfers, ED, keep-alive, issuance conservation."""
import pytest
from hypothesis import given, settings, strategies as st

from runtime.frame.dispatch import TokenError
from runtime.pallets import balances, system
from tests.runtime.helpers import ALICE, BOB, FERDIE, TestExternalities

import nacl.signing

NEWBIE = bytes(nacl.signing.SigningKey(b"\x07" * 32).verify_key)


def total(ext):
    return sum(info.data.free + info.data.reserved for _, info in system.Account.iter(ext.state))


def test_transfer_moves_exact_amount():
    ext = TestExternalities.dev()
    a, b = balances.free_balance(ext.ctx, ALICE), balances.free_balance(ext.ctx, BOB)
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", BOB), value=1234)
    assert balances.free_balance(ext.ctx, ALICE) == a - 1234
    assert balances.free_balance(ext.ctx, BOB) == b + 1234
    assert balances.Transfer(ALICE, BOB, 1234) in ext.events()


def test_insufficient_balance_is_noop():
    """Current FRAME (fungible::Mutate::transfer) answers Token(FundsUnavailable), not a Balances error."""
    ext = TestExternalities.dev()
    with ext.assert_noop(TokenError):
        ext.call(FERDIE, "Balances", "transfer_allow_death", dest=("Id", BOB), value=10**30)
    with pytest.raises(TokenError) as raised:
        ext.call(FERDIE, "Balances", "transfer_keep_alive", dest=("Id", BOB), value=10**30)
    assert raised.value.value == ("Token", "FundsUnavailable")


def test_locks_reserves_holds_freezes_exist_and_are_empty():
    """FRAME's storage for them, with its types, so wallets and Sidecar can read them; nothing places one."""
    ext = TestExternalities.dev()
    for item in (balances.Locks, balances.Reserves, balances.Holds, balances.Freezes):
        assert item.get(ext.ctx.state, ALICE) == []
        assert item.default_bytes == b"\x00"
    lock = balances.Locks.codec.encode([{"id": b"staking ", "amount": 5, "reasons": "All"}])
    assert lock == b"\x04" + b"staking " + (5).to_bytes(16, "little") + b"\x02"


def test_new_account_needs_existential_deposit():
    ext = TestExternalities.dev()
    with ext.assert_noop(balances.Error.ExistentialDeposit):
        ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", NEWBIE), value=balances.EXISTENTIAL_DEPOSIT - 1)
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", NEWBIE), value=balances.EXISTENTIAL_DEPOSIT)
    assert system.Account.get(ext.state, NEWBIE).providers == 1


def test_keep_alive_refuses_to_kill_and_allow_death_reaps():
    ext = TestExternalities.dev()
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", NEWBIE), value=1000)
    with ext.assert_noop(balances.Error.Expendability):
        ext.call(NEWBIE, "Balances", "transfer_keep_alive", dest=("Id", BOB), value=600)
    issuance = balances.TotalIssuance.get(ext.state)
    ext.call(NEWBIE, "Balances", "transfer_allow_death", dest=("Id", BOB), value=600)
    assert not system.Account.contains(ext.state, NEWBIE)
    assert balances.TotalIssuance.get(ext.state) == issuance - 400  # the dust is burned
    assert system.KilledAccount(NEWBIE) in ext.events()


def test_force_set_balance_requires_root():
    from runtime.frame.dispatch import BadOrigin

    ext = TestExternalities.dev()
    with ext.assert_noop(BadOrigin):
        ext.call(ALICE, "Balances", "force_set_balance", who=("Id", BOB), new_free=5)
    ext.call(None, "Balances", "force_set_balance", who=("Id", BOB), new_free=10**12)
    assert balances.free_balance(ext.ctx, BOB) == 10**12
    assert balances.TotalIssuance.get(ext.state) == total(ext)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([ALICE, BOB, FERDIE, NEWBIE]), st.sampled_from([ALICE, BOB, FERDIE, NEWBIE]),
                          st.integers(0, 2 * 10**15), st.booleans()), max_size=25))
def test_total_issuance_is_conserved(actions):
    ext = TestExternalities.dev()
    for source, dest, amount, keep_alive in actions:
        name = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
        try:
            ext.call(source, "Balances", name, dest=("Id", dest), value=amount)
        except Exception as err:  # failed calls must be no-ops; checked by the invariant below
            assert type(err).__name__ in ("ModuleError", "DispatchError", "TokenError"), err
        assert balances.TotalIssuance.get(ext.state) == total(ext)
