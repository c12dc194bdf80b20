"""An import executing on the worker thread while a commit on the loop moves the best state under
it (the same block arriving from a second peer, say) reads two states at once: its transactions'
nonces look outdated. That is no verdict on the block: the chain runs it again instead of calling
it invalid, so the import queue never bans the peer that sent a good block (seen on a 4-validator
devnet under load: every peer banned, finality stalled)."""
from __future__ import annotations

import pytest
import trio

import node.chain as chain_module
from genesis.spec import dev_spec, genesis_storage
from node.authoring import StateMoved
from node.chain import Chain
from runtime.extrinsic import decode_extrinsic
from runtime.frame.dispatch import InvalidBlock
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, BOB, CHARLIE, transfer


@pytest.fixture
def storage():
    return genesis_storage(dev_spec())


def _block(storage):
    author = Chain(ChainStore(), storage)
    raws = [transfer(author, signer, 0) for signer in (ALICE, BOB, CHARLIE)]
    built = author.build_block(author.best_hash, now_ms=6000, slot=1,
                               transactions=[decode_extrinsic(r) for r in raws], author=ALICE)
    assert len(built.included) == 4, built.invalid
    return built.block


def _commit_during_execution(monkeypatch, importer: Chain, prepared) -> list:
    """The next execution starts on the best state, then `prepared` commits (as the loop would)."""
    real = chain_module.execute_block
    calls = []

    def execute(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            importer.commit_import(prepared)
        return real(*args, **kwargs)
    monkeypatch.setattr(chain_module, "execute_block", execute)
    return calls


def test_an_execution_the_best_state_moved_under_is_state_moved_not_invalid(storage, monkeypatch):
    block = _block(storage)
    importer = Chain(ChainStore(), storage)
    first = importer.prepare_import(block)
    _commit_during_execution(monkeypatch, importer, first)
    with pytest.raises(StateMoved):
        importer.prepare_import(block)
    assert importer.best_hash == block.hash


def test_the_off_loop_import_runs_it_again_and_finds_it_known(storage, monkeypatch):
    block = _block(storage)
    importer = Chain(ChainStore(), storage)
    first = importer.prepare_import(block)
    calls = _commit_during_execution(monkeypatch, importer, first)
    timings = trio.run(importer.import_block_off_loop, block)
    assert timings.signatures_verified == 0 and len(calls) == 1   # the retry found the block known
    assert importer.best_hash == block.hash


def test_a_bad_block_on_a_still_state_is_still_invalid(storage):
    block = _block(storage)
    importer = Chain(ChainStore(), storage)
    bad = chain_module.Block(dict(block.header, state_root=b"\x01" * 32), block.extrinsics, block.hash,
                             block.header_bytes)
    with pytest.raises(InvalidBlock):
        importer.prepare_import(bad)
