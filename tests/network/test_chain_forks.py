"""Fork choice in the chain (in process): reorgs roll state back, retracted transactions
return to the pool, finality constrains the best chain, equivocations are rejected."""
from __future__ import annotations

import logging
import pathlib

import pytest
import trio

from genesis.spec import genesis_storage, local_spec
from node.chain import Chain, StaleBlock
from node.chaingen import transfer
from node.metrics import NodeMetrics
from node.network.import_queue import BlockImporter, Outcome
from node.service import Node, NodeConfig
from runtime.extrinsic import decode_extrinsic
from runtime.pallets import system
from primitives.keys import Keypair
from storage.chain_store import ChainStore
from storage.kv import MemoryKV

SPEC = local_spec(validators=4)
STORAGE = genesis_storage(SPEC)
KEYS = [Keypair.from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie", "Dave")]
EVE, FERDIE = Keypair.from_uri("//Eve"), Keypair.from_uri("//Ferdie")


def new_chain() -> Chain:
    return Chain(ChainStore(MemoryKV()), STORAGE)


def build(chain: Chain, slots: list[int], txs_at: dict[int, list[bytes]] | None = None, parent: bytes | None = None):
    blocks = []
    parent = parent or chain.best_hash
    for slot in slots:
        txs = [decode_extrinsic(raw) for raw in (txs_at or {}).get(slot, [])]
        built = chain.build_block(parent, now_ms=slot * 2000, slot=slot, transactions=txs, author=KEYS[slot % 4])
        assert len(built.included) == len(txs) + 1, built.invalid
        blocks.append(built.block)
        parent = built.block.hash
    return blocks


def flat_state(chain: Chain) -> dict[bytes, bytes]:
    best = chain.store.best_state
    return {k: best.get(k) for k in best.iter_keys(b"")}


def forks():
    a_chain, b_chain = new_chain(), new_chain()
    tx = transfer(a_chain.genesis_hash, EVE, FERDIE.public_key, 5 * 10**9, 0)
    a = build(a_chain, [1, 2, 3], {2: [tx]})
    b = build(b_chain, [5, 6, 7, 8])
    return a_chain, a, b_chain, b, tx


def test_reorg_to_longer_fork_rolls_state_back():
    a_chain, a, b_chain, b, _ = forks()
    c = new_chain()
    for blk in a:
        c.import_block(blk)
    assert c.best_hash == a[-1].hash
    assert flat_state(c) == flat_state(a_chain)
    genesis_free = system.Account.get(new_chain().store.best_state, FERDIE.public_key).data.free
    assert system.Account.get(c.store.best_state, FERDIE.public_key).data.free == genesis_free + 5 * 10**9
    routes = []
    c.subscribe_reorg(routes.append)
    for blk in b[:3]:
        c.import_block(blk)
    assert c.best_hash == a[-1].hash                      # equal height: the first seen stays best
    c.import_block(b[3])
    assert c.best_hash == b[-1].hash and c.best_number == 4
    assert [h for h, _ in routes[0].retracted] == [x.hash for x in reversed(a)]
    assert [h for h, _ in routes[0].enacted] == [x.hash for x in b]
    assert flat_state(c) == flat_state(b_chain)           # the transfer is undone
    for n, blk in enumerate(b, 1):
        assert c.hash_at(n) == blk.hash
    assert system.Account.get(c.store.best_state, FERDIE.public_key).data.free == genesis_free
    # and back again once fork a is longer
    more = build(a_chain, [9, 10])
    for blk in more:
        c.import_block(blk)
    assert c.best_hash == more[-1].hash
    assert flat_state(c) == flat_state(a_chain)


def test_finality_pins_the_best_chain():
    _, a, _, b, _ = forks()
    c = new_chain()
    for blk in a + b:
        c.import_block(blk)
    assert c.best_hash == b[-1].hash
    newly = c.finalize(a[1].hash, b"justification")
    assert [h for h, _ in newly] == [a[0].hash, a[1].hash]
    assert c.best_hash == a[-1].hash                       # the best leaf above the finalized block
    assert c.justification(a[1].hash) == b"justification"
    with pytest.raises(StaleBlock):
        c.finalize(b[2].hash)
    b_chain = new_chain()
    for blk in b:
        b_chain.import_block(blk)
    b5 = build(b_chain, [11])[0]
    with pytest.raises(StaleBlock):
        c.import_block(b5)                                  # descends a fork finality ruled out
    assert c.finalize(a[1].hash) == []


def test_retracted_transactions_return_to_the_pool(tmp_path: pathlib.Path):
    _, a, _, b, tx = forks()
    node = Node(NodeConfig(spec=SPEC, base_path=tmp_path, listen_addrs=None, prometheus_port=None,
                           instant_finality=False))
    try:
        for blk in a:
            node.chain.import_block(blk)
        assert len(node.pool) == 0
        events = node.hub.subscribe()
        for blk in b:
            node.chain.import_block(blk)
        assert node.chain.best_hash == b[-1].hash
        assert [e.raw for e in node.pool.ready()] == [tx]   # back in the pool, ready again
        last = None
        while True:
            try:
                last = events.receive_nowait()
            except trio.WouldBlock:
                break
        assert last.is_new_best and last.hash == b[-1].hash and last.changes   # subscribers see the net change
        assert node.metrics.reorgs._value.get() == 1
    finally:
        node.close()


def test_equivocation_is_detected_reported_and_rejected(caplog):
    slot = 5
    x_chain, y_chain = new_chain(), new_chain()
    x = build(x_chain, [slot])[0]
    tx = transfer(y_chain.genesis_hash, EVE, FERDIE.public_key, 10**9, 0)
    y = build(y_chain, [slot], {slot: [tx]})[0]             # same slot, same author, other content
    assert x.hash != y.hash
    c = new_chain()
    metrics = NodeMetrics()
    reports = []
    importer = BlockImporter(c, lambda peer, delta, why: reports.append((peer, delta)), slot_ms=2000,
                             metrics=metrics)
    assert importer.import_block(x, "peer1") is Outcome.IMPORTED
    with caplog.at_level(logging.WARNING, logger="agora.sync"):
        assert importer.import_block(y, "peer2") is Outcome.EQUIVOCATION
    assert "Equivocation" in caplog.text
    assert not c.has_block(y.hash) and c.best_hash == x.hash
    assert metrics.equivocations.labels("aura")._value.get() == 1
    assert b"substrate_consensus_equivocations_total" in metrics.render()
    assert reports and reports[0][0] == "peer2" and reports[0][1] > -1000     # relaying is not a ban
    eq = importer.equivocations[0]
    assert (eq.slot, eq.author, eq.first, eq.second) == (slot, KEYS[slot % 4].public_key, x.hash, y.hash)


def test_future_and_unknown_parent_blocks_are_not_imported():
    a_chain = new_chain()
    import time

    far = int(time.time() * 1000) // 2000 + 10
    future = build(a_chain, [far])[0]
    c = new_chain()
    importer = BlockImporter(c, lambda *args: None, slot_ms=2000)
    assert importer.import_block(future, "p") is Outcome.FUTURE
    b_chain = new_chain()
    b = build(b_chain, [1, 2])
    assert importer.import_block(b[1], "p") is Outcome.UNKNOWN_PARENT

    async def many():
        return await importer.import_many([(blk, None) for blk in b], "p")

    assert trio.run(many) == (2, Outcome.IMPORTED)
