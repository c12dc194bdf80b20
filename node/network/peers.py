"""What the node knows about each connected peer: its chain status and the blocks it has."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from node.network.protocol import Status

# Reputation changes the node reports (p2p bans below -1000).
FATAL = -(1 << 12)            # invalid block, bad justification, undecodable message: banned at once
BAD_TRANSACTION = -50         # a transaction our pool rejects (may be a race: not fatal)
GARBAGE_TRANSACTION = -400    # bytes that are not an extrinsic at all
STALE = -20                   # blocks/votes that cannot be used (fork below our finality, future slot)
EQUIVOCATION = -100           # relayed an equivocating block (the author is at fault, not necessarily the peer)
USEFUL = 10                   # a block we imported


class KnownSet:
    """A bounded set of hashes (oldest forgotten first)."""

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._items: OrderedDict[bytes, None] = OrderedDict()

    def add(self, item: bytes) -> None:
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __contains__(self, item: bytes) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class PeerState:
    peer_id: str
    role: str
    best_number: int
    best_hash: bytes
    finalized_number: int
    finalized_hash: bytes
    known_blocks: KnownSet = field(default_factory=KnownSet)
    known_txs: KnownSet = field(default_factory=lambda: KnownSet(8192))
    known_votes: KnownSet = field(default_factory=lambda: KnownSet(4096))
    sync_failures: int = 0
    sync_backoff_until: float = 0.0      # monotonic time; until then the peer is not synced from

    def useful_for_sync(self, now: float) -> bool:
        return now >= self.sync_backoff_until

    def sync_failed(self, now: float) -> None:
        self.sync_failures += 1
        self.sync_backoff_until = now + min(60.0, 10.0 * 2 ** min(self.sync_failures - 1, 3))

    def sync_succeeded(self) -> None:
        self.sync_failures = 0
        self.sync_backoff_until = 0.0

    @staticmethod
    def from_status(peer_id: str, role: str, status: Status) -> "PeerState":
        p = PeerState(peer_id, role, status.best_number, status.best_hash, status.finalized_number,
                      status.finalized_hash)
        p.known_blocks.add(status.best_hash)
        return p

    def note_best(self, number: int, block_hash: bytes) -> None:
        self.known_blocks.add(block_hash)
        if number >= self.best_number:
            self.best_number, self.best_hash = number, block_hash

    def note_finalized(self, number: int, block_hash: bytes) -> None:
        if number > self.finalized_number:
            self.finalized_number, self.finalized_hash = number, block_hash


class PeerSet:
    def __init__(self) -> None:
        self._peers: dict[str, PeerState] = {}

    def add(self, peer: PeerState) -> None:
        self._peers[peer.peer_id] = peer

    def remove(self, peer_id: str) -> None:
        self._peers.pop(peer_id, None)

    def get(self, peer_id: str) -> PeerState | None:
        return self._peers.get(peer_id)

    def all(self) -> list[PeerState]:
        return list(self._peers.values())

    def __len__(self) -> int:
        return len(self._peers)

    def best_seen(self) -> int:
        """The highest best block of the peers we can sync from (not those that failed us lately)."""
        now = time.monotonic()
        return max((p.best_number for p in self._peers.values() if p.useful_for_sync(now)), default=0)
