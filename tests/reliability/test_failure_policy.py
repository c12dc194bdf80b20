"""Failure policy on consensus paths: environment faults abort, deterministic errors decide.

A pallet bug (KeyError, ZeroDivisionError...) raises the same way on every node and may become
a deterministic outcome: a failed call (DispatchError::Other), a skipped epoch, a rescheduled
market task. A fault of this node (MemoryError, OSError, a LevelDB or numba error) must not: it
aborts the block being authored, or the import, without changing state or blaming the peer.
Faults are injected with monkeypatch.
"""
from __future__ import annotations

import pytest

from genesis.spec import genesis_storage, local_spec
from node.chain import Chain
from node.network.import_queue import BlockImporter, Outcome
from runtime.frame.dispatch import DispatchError, is_environment_fault
from runtime.pallets import system
from runtime.pallets.market import hooks as market_hooks
from runtime.pallets.subtensor import epoch as subtensor_epoch
from runtime.pallets.subtensor import storage as S
from primitives.keys import Keypair
from storage.chain_store import ChainStore
from storage.kv import MemoryKV
from tests.reliability._signed import RT, apply, signed
from tests.runtime import helpers
from tests.runtime.subtensor_setup import subnet_with_validators

ALICE_KEY = Keypair.from_uri("//Alice")
REMARK = ("System", ("remark", {"remark": b"x"}))
# what plyvel and numba raise, as far as classification goes (their module is what marks them)
PlyvelCorruption = type("CorruptionError", (Exception,), {"__module__": "plyvel._plyvel"})
NumbaValueError = type("NumbaValueError", (ValueError,), {"__module__": "numba.core.errors"})
ENVIRONMENT_FAULTS = [MemoryError(), OSError(5, "Input/output error"), RecursionError(), PlyvelCorruption("bad block"),
                      NumbaValueError("cache")]
DETERMINISTIC = [KeyError("x"), ZeroDivisionError(), ValueError("x"), IndexError(), TypeError(), AssertionError()]


def test_classification():
    assert all(is_environment_fault(exc) for exc in ENVIRONMENT_FAULTS)
    assert not any(is_environment_fault(exc) for exc in DETERMINISTIC)
    assert not is_environment_fault(DispatchError("BadOrigin"))


def _raising(exc):
    def fn(*_args, **_kwargs):
        raise exc
    return fn


# --- the executive -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ENVIRONMENT_FAULTS, ids=lambda e: type(e).__name__)
def test_environment_fault_in_a_call_aborts_instead_of_failing_the_call(monkeypatch, fault):
    env = helpers.TestExternalities.dev()
    monkeypatch.setattr(RT.by_name["System"].calls["remark"], "fn", _raising(fault))
    with pytest.raises(type(fault)):
        apply(env, signed(ALICE_KEY, REMARK))


@pytest.mark.parametrize("bug", DETERMINISTIC, ids=lambda e: type(e).__name__)
def test_pallet_bug_fails_the_call_deterministically(monkeypatch, bug):
    env = helpers.TestExternalities.dev()
    monkeypatch.setattr(RT.by_name["System"].calls["remark"], "fn", _raising(bug))
    nonce = system.Account.get(env.state, ALICE_KEY.public_key).nonce
    outcome = apply(env, signed(ALICE_KEY, REMARK, nonce=nonce))
    assert not outcome.success and outcome.error.value == "Other" and outcome.fee > 0
    assert system.Account.get(env.state, ALICE_KEY.public_key).nonce == nonce + 1


def test_module_errors_stay_module_errors():
    env = helpers.TestExternalities.dev()
    bob = Keypair.from_uri("//Bob")
    outcome = apply(env, signed(bob, ("Sudo", ("sudo", {"call": REMARK}))))
    assert outcome.error.value == ("Module", {"index": 12, "error": bytes(4)})   # Sudo::RequireSudo


# --- subtensor epochs and market tasks ------------------------------------------------------------------
def _due_epoch():
    env, netuid = subnet_with_validators()
    while not subtensor_epoch.should_run_epoch(env.state, netuid, env.number + 1):
        env.next_block()
    env.next_block()   # the epoch ran in this block's initialization; run it again by hand below
    S.PendingEpochAt.insert(env.state, netuid, env.number)
    return env, netuid


@pytest.mark.parametrize("fault", [MemoryError(), PlyvelCorruption("x"), NumbaValueError("cache index")],
                         ids=lambda e: type(e).__name__)
def test_environment_fault_in_an_epoch_aborts_the_block(monkeypatch, fault):
    env, netuid = _due_epoch()
    monkeypatch.setattr(subtensor_epoch, "epoch_for_subnet", _raising(fault))
    with pytest.raises(type(fault)):
        subtensor_epoch.run_due_epochs(env.ctx, [netuid])


def test_deterministic_epoch_bug_skips_the_epoch(monkeypatch):
    env, netuid = _due_epoch()
    monkeypatch.setattr(subtensor_epoch, "epoch_for_subnet", _raising(ZeroDivisionError()))
    assert subtensor_epoch.run_due_epochs(env.ctx, [netuid]) == []
    assert any(type(e).__name__ == "EpochSkipped" for e in env.events())


def test_market_task_fault_aborts_and_bug_reschedules(monkeypatch):
    env = helpers.TestExternalities.dev()
    rescheduled = []
    monkeypatch.setattr(market_hooks, "schedule", lambda ctx, at, task: rescheduled.append((at, task)))
    monkeypatch.setattr(market_hooks, "run_task", _raising(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        market_hooks._guarded(env.ctx, "task", env.number)
    assert rescheduled == []
    monkeypatch.setattr(market_hooks, "run_task", _raising(KeyError("lease")))
    market_hooks._guarded(env.ctx, "task", env.number)
    assert [task for _, task in rescheduled] == ["task"]


# --- authoring and import ---------------------------------------------------------------------------------
SPEC = local_spec(validators=1)
STORAGE = genesis_storage(SPEC)
AUTHOR = Keypair.from_uri("//Alice")


def _chain() -> Chain:
    return Chain(ChainStore(MemoryKV()), STORAGE)


def _timestamp_hook_raising(monkeypatch, exc):
    pallet = RT.by_name["Timestamp"]
    monkeypatch.setattr(pallet, "on_finalize", _raising(exc))


def test_authoring_fault_commits_nothing(monkeypatch):
    chain = _chain()
    best, stored = chain.best_hash, dict(chain.store.kv._data)
    _timestamp_hook_raising(monkeypatch, MemoryError())
    with pytest.raises(MemoryError):
        chain.build_block(chain.best_hash, now_ms=2000, slot=1, transactions=[], author=AUTHOR)
    assert chain.best_hash == best and chain.best_number == 0
    assert dict(chain.store.kv._data) == stored


def test_import_aborted_by_a_local_fault_blames_no_one_and_can_be_retried(monkeypatch):
    block = _chain().build_block(_chain().genesis_hash, now_ms=2000, slot=1, transactions=[],
                                 author=AUTHOR).block
    local = _chain()
    reports = []
    importer = BlockImporter(local, lambda peer, delta, why: reports.append((peer, delta, why)), slot_ms=2000)
    with monkeypatch.context() as patch:
        patch.setattr(local, "state_at", _raising(PlyvelCorruption("Corruption: block checksum mismatch")))
        assert importer.import_block(block, "peer1") is Outcome.ABORTED
    assert reports == [] and not local.has_block(block.hash) and local.best_number == 0
    assert importer.import_block(block, "peer1") is Outcome.IMPORTED    # the block was fine all along
    assert reports == []


def test_import_hitting_a_deterministic_bug_is_an_invalid_block(monkeypatch):
    block = _chain().build_block(_chain().genesis_hash, now_ms=2000, slot=1, transactions=[],
                                 author=AUTHOR).block
    local = _chain()
    reports = []
    importer = BlockImporter(local, lambda peer, delta, why: reports.append((peer, delta)), slot_ms=2000)
    _timestamp_hook_raising(monkeypatch, KeyError("bug"))
    assert importer.import_block(block, "peer1") is Outcome.INVALID
    assert reports and reports[0][0] == "peer1"
