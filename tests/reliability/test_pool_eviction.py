"""Pool limits that cannot be used to lock others out, as Substrate's pool enforces them.

A full future queue drops its oldest transaction for a newcomer; a full ready queue drops its
lowest-priority transaction (and that sender's later nonces) for a higher tip, and refuses an
equal or lower one; the ready/future counts are kept incrementally, not recomputed over the
pool on every submission.
"""
from __future__ import annotations

import pytest

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.txpool import PoolError, TransactionPool
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, BOB, CHARLIE, produce, transfer


@pytest.fixture
def chain():
    return Chain(ChainStore(), genesis_storage(dev_spec()))


def test_future_flood_cannot_lock_out_newcomers(chain):
    pool = TransactionPool(chain, max_future=8)
    flood = [pool.submit(transfer(chain, ALICE, nonce)) for nonce in range(10, 18)]
    assert pool.counts() == (0, 8)
    statuses = []
    newcomer = pool.submit(transfer(chain, BOB, 5), statuses.append)
    assert statuses == ["future"] and newcomer in pool.by_hash
    assert flood[0] not in pool.by_hash and all(h in pool.by_hash for h in flood[1:])
    assert pool.counts() == (0, 8)


def test_higher_tip_replaces_the_lowest_priority_ready(chain):
    pool = TransactionPool(chain, max_ready=3)
    dropped = []
    low = pool.submit(transfer(chain, ALICE, 0, tip=1), dropped.append)
    low_next = pool.submit(transfer(chain, ALICE, 1, tip=50), dropped.append)
    mid = pool.submit(transfer(chain, BOB, 0, tip=10))
    with pytest.raises(PoolError) as err:                # as low as the worst: not worth a swap
        pool.submit(transfer(chain, CHARLIE, 0, tip=1))
    assert err.value.code == 1016
    high = pool.submit(transfer(chain, CHARLIE, 0, tip=100))
    # Alice's nonce 0 had the lowest tip: it goes, with her nonce 1 that could not run without it
    assert low not in pool.by_hash and low_next not in pool.by_hash
    assert dropped == ["ready", "ready", "dropped", "dropped"]
    assert {mid, high} == set(pool.by_hash) and pool.counts() == (2, 0)
    assert [(e.signer, e.tip) for e in pool.ready()] == [(CHARLIE.public_key, 100), (BOB.public_key, 10)]


def test_counts_stay_right_through_gaps_replacements_and_blocks(chain):
    pool = TransactionPool(chain)
    pool.submit(transfer(chain, ALICE, 2))
    pool.submit(transfer(chain, ALICE, 0))
    assert pool.counts() == (1, 1)
    pool.submit(transfer(chain, ALICE, 1))           # fills the gap: the whole run is ready
    assert pool.counts() == (3, 0)
    pool.submit(transfer(chain, ALICE, 1, tip=9))    # usurps in place
    assert pool.counts() == (3, 0)
    pool.submit(transfer(chain, BOB, 1))
    assert pool.counts() == (3, 1)
    assert pool.remove_by_hash(pool.by_sender[ALICE.public_key][1].hash)   # breaks Alice's run
    assert pool.counts() == (1, 2)
    built = produce(chain, pool)
    assert len(built.included) == 2                  # the timestamp and Alice's nonce 0
    assert pool.counts() == (0, 2)                   # Alice 2 and Bob 1 still wait
    pool.submit(transfer(chain, ALICE, 1))
    assert pool.counts() == (2, 1)


def test_submission_does_no_work_over_the_whole_pool(chain, monkeypatch):
    pool = TransactionPool(chain, max_future=10_000)
    for nonce in range(1, 301):
        pool.submit(transfer(chain, ALICE, nonce))
    reads = []
    real = pool._chain_nonce
    monkeypatch.setattr(pool, "_chain_nonce", lambda sender: reads.append(sender) or real(sender))
    pool.submit(transfer(chain, BOB, 3))
    assert pool.counts() == (0, 301)
    assert reads == [BOB.public_key]                 # one state read for the new sender, none per pooled tx
