"""Transaction propagation: new pool transactions go to every peer that lacks them.

Outgoing transactions are batched (up to ``FLUSH_DELAY`` seconds, ``MAX_BATCH``
per message).  Incoming ones are submitted to our pool; those it accepts are passed
on, those it rejects cost the sender reputation (garbage bytes much more than a
transaction that merely became invalid).
"""
from __future__ import annotations

import logging
from typing import Any

import trio

from node.network import peers as rep
from node.network import protocol as proto
from node.network.peers import PeerSet
from node.txpool import RACE_REASONS, PoolError, TransactionPool
from primitives.hashing import blake2_256

log = logging.getLogger("agora.txpool")

FLUSH_DELAY = 0.05
MAX_BATCH = 512
MAX_ON_CONNECT = 2048


class TransactionService:
    def __init__(self, pool: TransactionPool, network: Any, peers: PeerSet, *, can_accept=lambda: True) -> None:
        self.pool = pool
        self.net = network
        self.peers = peers
        self.can_accept = can_accept
        self._queue: list[tuple[bytes, bytes, str | None]] = []   # (hash, raw, from_peer)
        self._wake = trio.Event()
        self.received = 0
        self.propagated = 0

    def propagate(self, raw: bytes, from_peer: str | None = None) -> None:
        self._queue.append((blake2_256(raw), raw, from_peer))
        self._wake.set()

    def handle(self, peer_id: str, payload: bytes) -> None:
        try:
            txs = proto.decode_transactions(payload)
        except proto.ProtocolError as exc:
            self.net.report_peer(peer_id, rep.FATAL, f"bad transactions message: {exc}")
            return
        peer = self.peers.get(peer_id)
        if not self.can_accept():
            return   # major syncing: our pool state is stale
        for raw in txs:
            tx_hash = blake2_256(raw)
            if peer is not None:
                peer.known_txs.add(tx_hash)
            self.received += 1
            try:
                self.pool.submit(raw)
            except PoolError as err:
                if err.code == 1001:
                    self.net.report_peer(peer_id, rep.GARBAGE_TRANSACTION, "undecodable transaction")
                elif err.code in (1010, 1011) and err.reason not in RACE_REASONS:
                    # a stale nonce or a spent balance is a race under load, not misbehaviour: penalising
                    # it got every peer banned within seconds of a transfer flood (finality stalled)
                    self.net.report_peer(peer_id, rep.BAD_TRANSACTION, f"invalid transaction: {err}")
                continue
            self.propagate(raw, peer_id)

    def on_peer_connected(self, peer_id: str) -> None:
        pending = self.pool.pending_extrinsics()[:MAX_ON_CONNECT]
        for raw in pending:
            self._queue.append((blake2_256(raw), raw, None))
        if pending:
            self._wake.set()

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            await self._wake.wait()
            await trio.sleep(FLUSH_DELAY)
            self._wake = trio.Event()
            queue, self._queue = self._queue, []
            for peer in self.peers.all():
                batch = []
                for tx_hash, raw, origin in queue:
                    if origin == peer.peer_id or tx_hash in peer.known_txs:
                        continue
                    peer.known_txs.add(tx_hash)
                    batch.append(raw)
                for i in range(0, len(batch), MAX_BATCH):
                    chunk = batch[i:i + MAX_BATCH]
                    if await self.net.send(peer.peer_id, proto.TRANSACTIONS, proto.encode_transactions(chunk)):
                        self.propagated += len(chunk)
