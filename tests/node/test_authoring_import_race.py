"""The author builds its slot's block on the worker thread while an import's commit lands on the
loop. Before, the import released the worker before its commit: the build started on the best
state, the commit moved it, and the author dropped its block ("the best state moved while #N was
built"): every such slot lost 2 s of throughput on a devnet under load. Now an off-loop execution
holds the chain's executor up to its commit, so the build runs after the import, whole."""
from __future__ import annotations

import threading

import pytest
import trio

import node.authoring as authoring_module
from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from runtime.extrinsic import decode_extrinsic
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, BOB, CHARLIE, transfer


@pytest.fixture
def storage():
    return genesis_storage(dev_spec())


def _block(storage):
    other = Chain(ChainStore(), storage)
    raws = [transfer(other, signer, 0) for signer in (ALICE, BOB)]
    built = other.build_block(other.best_hash, now_ms=6000, slot=1,
                              transactions=[decode_extrinsic(r) for r in raws], author=ALICE)
    return built.block


def _widen_the_race(monkeypatch, chain: Chain) -> None:
    """The worst interleaving, made certain: the import, its execution done, commits only once the
    build is on the worker with its parent's state in hand (or after 1 s), and the build goes on only
    once the import committed (or after 1 s)."""
    building, committed = threading.Event(), threading.Event()
    chain.subscribe(lambda block, new_best: committed.set())
    real_initialize, real_run_sync = authoring_module.initialize_block, trio.to_thread.run_sync

    def initialize(*args, **kwargs):
        building.set()
        committed.wait(1.0)
        return real_initialize(*args, **kwargs)

    async def run_sync(fn, *args, **kwargs):
        result = await real_run_sync(fn, *args, **kwargs)
        if getattr(fn, "__name__", "") == "prepare_import":
            with trio.move_on_after(1.0):
                while not building.is_set():
                    await trio.sleep(0.005)
        return result
    monkeypatch.setattr(authoring_module, "initialize_block", initialize)
    monkeypatch.setattr(trio.to_thread, "run_sync", run_sync)


@pytest.mark.parametrize("parent", ["genesis", "best"])
def test_an_import_committing_while_the_author_builds_does_not_drop_the_block(storage, monkeypatch, parent):
    block = _block(storage)
    chain = Chain(ChainStore(), storage)
    genesis = chain.best_hash
    _widen_the_race(monkeypatch, chain)
    own = [decode_extrinsic(transfer(chain, CHARLIE, 0))]

    async def main():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(chain.import_block_off_loop, block)
            while not chain.executor.borrowed_tokens:   # the import takes the worker first
                await trio.sleep(0)
            return await chain.build_block_off_loop(genesis if parent == "genesis" else None, now_ms=8000,
                                                    slot=2, transactions=own, author=ALICE)

    built = trio.run(main)
    assert chain.has_block(block.hash) and chain.has_block(built.block.hash)
    assert len(built.included) == 2 and not built.invalid       # the timestamp and CHARLIE's transfer
    if parent == "best":    # the parent is the best block once the worker is the author's: the import's
        assert built.block.parent_hash == block.hash
        assert chain.best_hash == built.block.hash
    else:                   # a fixed parent, still a legal one: a sibling of the import, built on its own state
        assert built.block.parent_hash == genesis
