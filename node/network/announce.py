"""Block announcements: tell peers about our new best blocks; act on theirs.

An announcement carries the SCALE header and, for blocks up to ``INLINE_BODY`` bytes,
the body too, so a block usually travels in one message.  Each peer gets a block at
most once (we remember what it has, from its announcements and ours).
"""
from __future__ import annotations

import logging
from typing import Any

import trio

from node.chain import Block, Chain
from node.network import peers as rep
from node.network import protocol as proto
from node.network.import_queue import BlockImporter, Outcome, decode_block
from node.network.peers import PeerSet
from node.network.sync import MAJOR_SYNC_BLOCKS, SyncService
from runtime.block_execution import InvalidBlock
from primitives.hashing import blake2_256
from primitives.types import Header

log = logging.getLogger("agora.sync")

INLINE_BODY = 1024 * 1024


class AnnounceService:
    def __init__(self, chain: Chain, network: Any, peers: PeerSet, importer: BlockImporter,
                 sync: SyncService) -> None:
        self.chain = chain
        self.net = network
        self.peers = peers
        self.importer = importer
        self.sync = sync
        self._out_send, self._out_recv = trio.open_memory_channel(1024)
        self._in_send, self._in_recv = trio.open_memory_channel(256)

    # -- outgoing -----------------------------------------------------------------------------------
    def on_block(self, block: Block, is_new_best: bool) -> None:
        """Chain listener: queue new best blocks for announcement."""
        if not is_new_best:
            return
        try:
            self._out_send.send_nowait(block)
        except trio.WouldBlock:
            pass

    async def _announcer(self) -> None:
        async for block in self._out_recv:
            if self.sync.is_major_syncing() or self.chain.best_hash != block.hash:
                continue   # superseded, or catching up: peers have better things to do
            body = block.body_bytes()
            payload = proto.encode_announce(block.header_bytes, True, body if len(body) <= INLINE_BODY else None)
            for peer in self.peers.all():
                if block.hash in peer.known_blocks:
                    continue
                peer.known_blocks.add(block.hash)
                await self.net.send(peer.peer_id, proto.BLOCK_ANNOUNCES, payload)

    # -- incoming -----------------------------------------------------------------------------------
    def handle(self, peer_id: str, payload: bytes) -> None:
        """Notification handler: decode (a bad message bans the peer), then queue."""
        try:
            ann = proto.decode_announce(payload)
            header = Header.decode(ann.header)
        except Exception as exc:  # pure decoding of peer bytes: whatever it raises, the bytes are bad
            self.net.report_peer(peer_id, rep.FATAL, f"bad block announcement: {exc}")
            return
        block_hash = blake2_256(ann.header)
        peer = self.peers.get(peer_id)
        if peer is not None:
            if ann.best:
                peer.note_best(header["number"], block_hash)
            else:
                peer.known_blocks.add(block_hash)
        try:
            self._in_send.send_nowait((peer_id, ann, header, block_hash))
        except trio.WouldBlock:
            self.sync.wake()   # overloaded: the sync loop will catch up by number

    async def _receiver(self) -> None:
        async for peer_id, ann, header, block_hash in self._in_recv:
            try:
                await self._process(peer_id, ann, header, block_hash)
            except Exception:  # top of the announcement task: imports classify their own faults; go on
                log.exception("processing an announcement from %s failed", peer_id)

    async def _process(self, peer_id: str, ann: proto.Announce, header: dict, block_hash: bytes) -> None:
        chain = self.chain
        number = header["number"]
        if chain.has_block(block_hash) or number <= chain.finalized_number:
            return
        if number > chain.best_number + MAJOR_SYNC_BLOCKS + 1:
            self.sync.wake()
            return
        if ann.body is not None and chain.has_block(header["parent_hash"]):
            try:
                block = decode_block((ann.header, ann.body, None))
            except InvalidBlock as exc:
                self.net.report_peer(peer_id, rep.FATAL, str(exc))
                return
            outcome = await self.importer.import_block_async(block, peer_id)
            if outcome is not Outcome.UNKNOWN_PARENT:
                return
        await self.sync.fetch_chain(peer_id, block_hash, number)

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._announcer)
            nursery.start_soon(self._receiver)
            task_status.started()
