"""Block sync: serve block requests, catch up with peers in batches, fetch missing ancestry.

* **Serving**: ``/agora/sync/2`` answers a range of blocks (ascending by number on the
  canonical chain, or descending by parent hash from a block) with header, body and
  justification, bounded by count and bytes.
* **Catching up** (one peer at a time, the one with the highest best block): find a
  common block (probe our height, then step back exponentially, never below the
  finalized block), then download ascending batches while importing the previous one.
  While the best peer is more than ``MAJOR_SYNC_BLOCKS`` ahead the node is *major
  syncing* (no authoring, progress lines, ``isSyncing``).
* **Following**: announcements and finality votes may name blocks whose parents are
  unknown; :meth:`SyncService.fetch_chain` walks back by hash from the peer until it
  reaches a known block, then imports oldest first.
"""
from __future__ import annotations

import logging
import time
from typing import Any

import trio

from node.chain import Block, Chain
from node.network import peers as rep
from node.network import protocol as proto
from node.network.import_queue import BlockImporter, Outcome, decode_block
from node.network.peers import PeerSet, PeerState
from p2p import NetworkError, RequestRefused
from runtime.block_execution import InvalidBlock
from primitives.hashing import blake2_256

log = logging.getLogger("agora.sync")

MAJOR_SYNC_BLOCKS = 5
MAX_FETCH_AHEAD = 64          # fetch_chain serves blocks at most this far above our best...
MAX_FETCH_DEPTH = 1024        # ...and walks back by hash at most this many blocks
BATCH = 128
REQUEST_TIMEOUT = 20.0
PROBE_TIMEOUT = 5.0           # single-header requests of the ancestor search


class SyncService:
    def __init__(self, chain: Chain, network: Any, importer: BlockImporter, peers: PeerSet, metrics=None) -> None:
        self.chain = chain
        self.net = network
        self.importer = importer
        self.peers = peers
        self.metrics = metrics
        self.starting_block = chain.best_number
        self._wake = trio.Event()
        self._fetching: set[bytes] = set()
        self._major = False
        self.batch = BATCH
        self.stats: dict = {"import": 0.0, "wait": 0.0, "blocks": 0}

    # -- status ---------------------------------------------------------------------------------
    @property
    def target(self) -> int:
        return max(self.peers.best_seen(), self.chain.best_number)

    def is_major_syncing(self) -> bool:
        return self.target > self.chain.best_number + MAJOR_SYNC_BLOCKS

    def wake(self) -> None:
        self._wake.set()

    def _update_major(self) -> None:
        major = self.is_major_syncing()
        if major != self._major:
            self._major = major
            self.importer.log_imports = not major
            if major:
                self.starting_block = self.chain.best_number
            if self.metrics is not None:
                self.metrics.is_major_syncing.set(1 if major else 0)

    # -- serving ----------------------------------------------------------------------------------
    async def serve(self, peer_id: str, payload: bytes) -> bytes:
        try:
            req = proto.decode_block_request(payload)
        except proto.ProtocolError as exc:
            self.net.report_peer(peer_id, rep.FATAL, f"bad block request: {exc}")
            raise RequestRefused("bad request") from None
        return proto.encode_block_response(self.collect(req))

    def collect(self, req: proto.BlockRequest) -> list[proto.BlockData]:
        chain, store = self.chain, self.chain.store
        if isinstance(req.start, int):
            block_hash = chain.hash_at(req.start)
        else:
            block_hash = req.start if chain.has_block(req.start) else None
        out: list[proto.BlockData] = []
        size = 0
        number = None
        while block_hash is not None and len(out) < req.max_blocks:
            header = store.header(block_hash)
            if header is None:
                break
            body = store.body(block_hash) if req.fields & proto.FIELD_BODY else None
            just = store.justification(block_hash) if req.fields & proto.FIELD_JUSTIFICATION else None
            size += len(header) + (len(body) if body else 0) + (len(just) if just else 0) + 16
            if out and size > proto.MAX_SYNC_RESPONSE * 3 // 4:
                break
            out.append((header, body, just))
            if req.direction == proto.ASC:
                if number is None:
                    number = chain.meta(block_hash)[1]  # type: ignore[index]
                number += 1
                block_hash = chain.hash_at(number)
            else:
                m = chain.meta(block_hash)
                if m is None or m[1] == 0:
                    break
                block_hash = m[0]
        return out

    # -- requesting -------------------------------------------------------------------------------
    async def request_blocks(self, peer: str, start: int | bytes, *, direction: int = proto.ASC,
                             max_blocks: int = BATCH, fields: int = 7,
                             timeout: float = REQUEST_TIMEOUT) -> list[proto.BlockData] | None:
        """Blocks from ``peer``; None when the request failed (the peer is judged here)."""
        try:
            raw = await self.net.request(peer, proto.SYNC, proto.encode_block_request(
                start, direction=direction, max_blocks=max_blocks, fields=fields), timeout=timeout)
        except NetworkError as exc:
            log.debug("block request to %s failed: %r", peer, exc)
            return None
        try:
            blocks = proto.decode_block_response(raw)
        except proto.ProtocolError as exc:
            self.net.report_peer(peer, rep.FATAL, f"bad block response: {exc}")
            return None
        if len(blocks) > max_blocks:
            self.net.report_peer(peer, rep.FATAL, "more blocks than requested")
            return None
        return blocks

    def _decode_all(self, peer: str, data: list[proto.BlockData]) -> list[tuple[Block, bytes | None]] | None:
        out = []
        for item in data:
            try:
                out.append((decode_block(item), item[2]))
            except InvalidBlock as exc:
                self.net.report_peer(peer, rep.FATAL, str(exc))
                return None
        return out

    # -- following: fetch a block and the ancestry we lack -----------------------------------------
    async def fetch_chain(self, peer: str, block_hash: bytes, number: int) -> Outcome:
        """Download ``block_hash`` and whatever ancestors we lack from ``peer``; import them."""
        if self.chain.has_block(block_hash):
            return Outcome.KNOWN
        if block_hash in self._fetching or number <= self.chain.finalized_number:
            return Outcome.STALE
        if number > self.chain.best_number + MAX_FETCH_AHEAD:
            self.wake()          # far ahead: that is the catch-up loop's job, by number
            return Outcome.UNKNOWN_PARENT
        self._fetching.add(block_hash)
        try:
            pending: list[tuple[Block, bytes | None]] = []
            cursor = block_hash
            limit = min(number - self.chain.finalized_number, MAX_FETCH_DEPTH)
            while len(pending) < limit:
                data = await self.request_blocks(peer, cursor, direction=proto.DESC,
                                                 max_blocks=min(self.batch, limit - len(pending)))
                if not data:
                    return Outcome.UNKNOWN_PARENT
                blocks = self._decode_all(peer, data)
                if blocks is None:
                    return Outcome.INVALID
                expected = cursor
                for block, _ in blocks:
                    if block.hash != expected:
                        self.net.report_peer(peer, rep.FATAL, "blocks do not link")
                        return Outcome.INVALID
                    expected = block.parent_hash
                pending += blocks
                cursor = pending[-1][0].parent_hash
                if self.chain.has_block(cursor):
                    break
            else:
                return Outcome.STALE
            pending.reverse()
            _, outcome = await self.importer.import_many(pending, peer)
            return outcome
        finally:
            self._fetching.discard(block_hash)

    # -- catching up ----------------------------------------------------------------------------------
    def _pick_peer(self) -> PeerState | None:
        best = self.chain.best_number
        now = time.monotonic()
        candidates = [p for p in self.peers.all() if p.best_number > best and p.useful_for_sync(now)
                      and not self.chain.has_block(p.best_hash)]
        return max(candidates, key=lambda p: p.best_number, default=None)

    async def _find_common(self, peer: PeerState) -> int | None:
        fin = self.chain.finalized_number
        probe = min(self.chain.best_number, peer.best_number)
        step = 1
        while True:
            probe = max(probe, fin)
            data = await self.request_blocks(peer.peer_id, probe, max_blocks=1, fields=proto.FIELD_HEADER,
                                             timeout=PROBE_TIMEOUT)
            if data is None:
                return None
            if data and self.chain.has_block(blake2_256(data[0][0])):
                return probe
            if probe == fin:
                # the peer does not have our finalized block: another chain
                self.net.report_peer(peer.peer_id, rep.STALE, "not on our finalized chain")
                return None
            probe -= step
            step *= 2

    async def sync_from(self, peer: PeerState) -> int:
        """Catch up from ``peer``; returns how many of its blocks were imported (or already known)."""
        self.stats = stats = {"import": 0.0, "wait": 0.0, "blocks": 0}
        common = await self._find_common(peer)
        if common is None:
            return 0
        send, recv = trio.open_memory_channel(2)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._download, peer, common + 1, send)
            async with recv:
                t = time.perf_counter()
                async for blocks in recv:
                    t1 = time.perf_counter()
                    stats["wait"] += t1 - t
                    done, outcome = await self.importer.import_many(blocks, peer.peer_id)
                    t = time.perf_counter()
                    stats["import"] += t - t1
                    stats["blocks"] += done
                    self._update_major()
                    if not outcome.ok:
                        stats["aborted"] = outcome is Outcome.ABORTED
                        if outcome is Outcome.UNKNOWN_PARENT:
                            log.debug("peer %s reorganized under us; searching again", peer.peer_id)
                        nursery.cancel_scope.cancel()
                        break
        return stats["blocks"]

    async def _download(self, peer: PeerState, start: int, send: trio.MemorySendChannel) -> None:
        async with send:
            while start <= peer.best_number and self.net.is_connected(peer.peer_id):
                count = min(self.batch, peer.best_number - start + 1)
                data = await self.request_blocks(peer.peer_id, start, max_blocks=count)
                if not data:
                    return
                blocks = self._decode_all(peer.peer_id, data)
                if blocks is None:
                    return
                for block, _ in blocks:
                    if block.number != start:
                        self.net.report_peer(peer.peer_id, rep.FATAL, "blocks out of order")
                        return
                    start += 1
                await send.send(blocks)

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        while True:
            with trio.move_on_after(1.0):
                await self._wake.wait()
            self._wake = trio.Event()
            self._update_major()
            peer = self._pick_peer()
            if peer is None:
                continue
            started = time.monotonic()
            before = self.chain.best_number
            delivered = 0
            try:
                delivered = await self.sync_from(peer)
            except Exception:  # top of the sync task: nothing half-imported survives (each block commits atomically); retry
                log.exception("sync with %s failed", peer.peer_id)
                await trio.sleep(1)
            if delivered or self.chain.has_block(peer.best_hash):
                peer.sync_succeeded()
            elif self.stats.get("aborted"):
                await trio.sleep(1)   # our own fault stopped the import: retry later, the peer is not to blame
            else:
                # no progress: it claims blocks it does not serve (or we cannot use them); try others
                peer.sync_failed(time.monotonic())
                log.debug("no progress syncing from %s (failure %d)", peer.peer_id, peer.sync_failures)
            self._update_major()
            if self.chain.best_number - before > BATCH:
                elapsed = time.monotonic() - started
                log.info("⚙️  Synced #%d..#%d from %s in %.1fs (%.0f bps; importing %.1fs, waiting %.1fs)", before,
                         self.chain.best_number, peer.peer_id[-8:], elapsed,
                         (self.chain.best_number - before) / max(elapsed, 1e-6), self.stats["import"],
                         self.stats["wait"])
