"""Transactions from peers: a race under load (stale nonce, spent balance) costs no reputation;
a forged signature or garbage does (a flood of stale gossip once got every peer banned)."""
from __future__ import annotations

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.network import peers as rep
from node.network import protocol as proto
from node.network.peers import PeerSet
from node.network.transactions import TransactionService
from node.txpool import TransactionPool
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, BOB, produce, transfer


class _Net:
    def __init__(self):
        self.reports: list[tuple[str, int]] = []

    def report_peer(self, peer_id: str, change: int, reason: str) -> None:
        self.reports.append((peer_id, change))


def _service():
    chain = Chain(ChainStore(), genesis_storage(dev_spec()))
    pool = TransactionPool(chain)
    net = _Net()
    return chain, pool, net, TransactionService(pool, net, PeerSet())


def test_stale_transaction_from_a_peer_costs_nothing():
    chain, pool, net, service = _service()
    raw = transfer(chain, ALICE, 0)
    pool.submit(raw)
    produce(chain, pool)                        # included: the same transaction is now stale
    for _ in range(100):
        service.handle("peer", proto.encode_transactions([raw]))
    assert net.reports == [] and len(pool) == 0


def test_forged_and_garbage_transactions_cost_reputation():
    chain, pool, net, service = _service()
    service.handle("peer", proto.encode_transactions([transfer(chain, BOB, 0, corrupt=True)]))
    service.handle("peer", proto.encode_transactions([b"\x08\x01\x02"]))
    assert net.reports == [("peer", rep.BAD_TRANSACTION), ("peer", rep.GARBAGE_TRANSACTION)]
    assert len(pool) == 0
