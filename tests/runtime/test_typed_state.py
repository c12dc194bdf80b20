"""System.Account and Balances.TotalIssuance kept as objects within a block (storage `Typed`, the
overlay's `get_typed`/`set_typed`): decoded once, encoded once at the block's end. A consensus
rule: the state, its root and the events are byte for byte those of the eager path (every write
encoded as it happens), which is what running with `typed` switched off gives."""
from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from runtime.executive import apply_extrinsic, finalize_block
from runtime.extrinsic import TransactionValidityError, decode_extrinsic
from runtime.frame.dispatch import Origin
from runtime.frame.state import DictState, Overlay
from runtime.pallets import balances, system
from primitives.scale import ScaleError
from primitives.types import AccountData, AccountInfo
from storage.trie import trie_root
from tests.runtime.test_executive import ACCOUNTS, ED, GENESIS, fee_by_hand, new_block, signed_transfer

ALICE = ACCOUNTS[0]


@contextlib.contextmanager
def eager():
    """The path before the typed cache: every read decodes, every write encodes."""
    saved = system.Account.typed, balances.TotalIssuance.typed
    system.Account.typed = balances.TotalIssuance.typed = None
    try:
        yield
    finally:
        system.Account.typed, balances.TotalIssuance.typed = saved


def _run_block(actions) -> tuple[dict, list, bytes, list]:
    builder = new_block()
    nonces = [0, 0, 0, 0]
    outcomes = []
    for sender, dest, value, tip, nonce_offset, keep_alive in actions:
        nonce = max(0, nonces[sender] + nonce_offset)
        call = "transfer_keep_alive" if keep_alive else "transfer_allow_death"
        if isinstance(value, tuple):   # all the sender has after the fee, but k: dust, reaping, keep-alive edges
            free = system.Account.get(builder.ctx.state, ACCOUNTS[sender]).data.free
            fee = fee_by_hand(len(signed_transfer(sender, dest, free, nonce=nonce, tip=tip, call=call)), tip)
            value = max(0, free - fee - value[1])
        raw = signed_transfer(sender, dest, value, nonce=nonce, tip=tip, call=call)
        try:
            outcome = apply_extrinsic(builder, decode_extrinsic(raw))
        except TransactionValidityError as err:   # the author leaves it out (unknown sender, nonce, fee)
            outcomes.append(err.reason)
            continue
        nonces[sender] = nonce + 1
        outcomes.append(outcome.error.value if outcome.error else "ok")
    ctx = finalize_block(builder)
    changes = dict(ctx.state.changes)
    state = dict(GENESIS)
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    return changes, list(ctx.events), trie_root(state), outcomes


# senders and recipients 0..3 (3 does not exist at genesis); values: small (below ED: dust and
# refused endowments), mid, overdrafts, and "all but k"
action = st.tuples(
    st.integers(0, 3), st.integers(0, 3),
    st.one_of(st.integers(0, 3 * ED), st.integers(0, 2 * 10**6), st.integers(10**14, 2 * 10**15),
              st.tuples(st.just("leave"), st.sampled_from([0, 1, ED - 1, ED, ED + 1, 600_000, 2_000_000]))),
    st.sampled_from([0, 0, 1, 10**6]), st.sampled_from([-1, 0, 0, 0, 1]), st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=1, max_size=30))
def test_a_block_of_random_transfers_is_byte_identical_with_and_without_the_cache(actions):
    typed = _run_block(actions)
    with eager():
        reference = _run_block(actions)
    changes, events, root, outcomes = typed
    assert outcomes == reference[3]
    assert events == reference[1]
    assert changes == reference[0]          # every key, every byte (System.Events included)
    assert root == reference[2]


def test_the_random_blocks_reach_the_failure_paths():
    """The strategy's edges, fixed: the byte comparison above covers each of these outcomes."""
    actions = [(0, 1, 10**6, 0, 0, False),                 # ok
               (1, 0, 2 * 10**15, 0, 0, False),            # overdraft: Token::FundsUnavailable
               (0, 3, 10, 0, 0, False),                    # below ED to a new account: ExistentialDeposit
               (2, 0, ("leave", 1), 0, 0, False),          # leaves dust: reaped, DustLost
               (1, 0, ("leave", 1), 0, 0, True),           # keep-alive refuses: Expendability
               (3, 0, 10**6, 0, 0, False)]                 # unknown sender: never in the block
    typed = _run_block(actions)
    with eager():
        reference = _run_block(actions)
    assert typed == reference
    outcomes = typed[3]
    assert outcomes[0] == "ok" and outcomes[5] == "Payment"
    assert outcomes[1] == ("Token", "FundsUnavailable")
    assert {o[0] for o in outcomes[2:5] if isinstance(o, tuple)} == {"Module"}
    names = {type(event).__name__ for _phase, (_pallet, event), _topics in typed[1]}
    assert {"DustLost", "KilledAccount", "ExtrinsicFailed", "Transfer", "Withdraw"} <= names


# --- the overlay's typed values ------------------------------------------------------------------
def _overlay_with_alice() -> Overlay:
    return Overlay(DictState(GENESIS))


def test_readers_get_copies_and_writes_are_snapshots():
    state = _overlay_with_alice()
    info = system.Account.get(state, ALICE)
    info.data.free = 1          # mutated, never written: the state does not see it
    assert system.Account.get(state, ALICE).data.free == 10**15
    info = system.Account.get(state, ALICE)
    info.nonce = 7
    system.Account.insert(state, ALICE, info)
    info.nonce = 8              # mutated after the write: the written value stays
    assert system.Account.get(state, ALICE).nonce == 7
    eager_bytes = system.AccountInfoType.encode(AccountInfo(7, 0, 1, 0, AccountData(10**15)))
    assert state.get(system.Account.key(ALICE)) == eager_bytes
    assert state.changes[system.Account.key(ALICE)] == eager_bytes


def test_rollback_restores_typed_values_at_every_depth():
    state = _overlay_with_alice()
    key = system.Account.key(ALICE)
    system.Account.mutate(state, ALICE, lambda i: (setattr(i, "nonce", 1), i)[1])
    state.start_transaction()
    system.Account.mutate(state, ALICE, lambda i: (setattr(i, "nonce", 2), i)[1])
    state.start_transaction()
    system.Account.remove(state, ALICE)
    assert not system.Account.contains(state, ALICE)
    state.rollback_transaction()
    assert system.Account.get(state, ALICE).nonce == 2
    state.get(key)              # bytes asked for inside the layer: the rollback still restores
    state.rollback_transaction()
    assert system.Account.get(state, ALICE).nonce == 1 and system.Account.contains(state, ALICE)
    assert state.changes[key] == system.AccountInfoType.encode(AccountInfo(1, 0, 1, 0, AccountData(10**15)))


@pytest.mark.parametrize("bad", [
    AccountInfo(0, 0, 1, 0, AccountData(2**128)), AccountInfo(2**32, 0, 1, 0, AccountData(1)),
    AccountInfo(0, 0, 1, 0, AccountData(-1)), AccountInfo(0, 0, 1.0, 0, AccountData(1))])   # type: ignore[arg-type]
def test_a_value_the_codec_refuses_fails_at_the_write_as_before(bad):
    """Out of range or not an int: the write raises at once (the call fails, its layer rolls back),
    never later when the block's bytes are taken."""
    for mode in (contextlib.nullcontext, eager):
        with mode():
            state = _overlay_with_alice()
            with pytest.raises(ScaleError):
                system.Account.insert(state, ALICE, bad)
            assert system.Account.get(state, ALICE).data.free == 10**15


@pytest.mark.parametrize("bad", [2**128, -1, True, 1.0])
def test_total_issuance_the_codec_refuses_fails_the_write(bad):
    for mode in (contextlib.nullcontext, eager):
        with mode():
            state = _overlay_with_alice()
            with pytest.raises(ScaleError):
                balances.TotalIssuance.put(state, bad)
            balances.TotalIssuance.put(state, 5)
            assert state.changes[balances.TotalIssuance.key] == (5).to_bytes(16, "little")


def test_a_failed_dispatch_leaves_no_typed_trace():
    builder = new_block()
    ctx = builder.ctx
    before = system.Account.get(ctx.state, ALICE)
    mark = ctx.start_transaction()
    balances.transfer(ctx, ALICE, ACCOUNTS[1], 10**6, keep_alive=True)
    assert system.Account.get(ctx.state, ALICE).data.free == before.data.free - 10**6
    ctx.rollback_transaction(mark)
    assert system.Account.get(ctx.state, ALICE) == before
    assert ctx.runtime.dispatch(ctx, ("Balances", ("transfer_keep_alive", {"dest": ("Id", ACCOUNTS[1]),
                                                                          "value": 10**6})),
                                Origin.signed(ALICE)) is None
