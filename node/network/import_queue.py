"""Importing blocks that came from peers: decode, check the slot, import, judge the sender.

Every block from the network goes through :meth:`BlockImporter.import_block`, which
turns the chain's exceptions into an outcome and a reputation change for the peer:
an invalid block or undecodable bytes get the sender banned; an unknown parent asks
for the ancestry; stale or future blocks are dropped with a small penalty; an
equivocation is logged, counted and rejected. A fault of this node while importing
(MemoryError, OSError, a LevelDB error) aborts the import and charges no one: the
block may be fine, and a later attempt can import it.
"""
from __future__ import annotations

import enum
import logging
import time
from collections import deque
from typing import Callable

import trio

from consensus import aura as aura_slots
from node.chain import Block, Chain, Equivocated, StaleBlock, UnknownParent
from node.network import peers as rep
from node.network.protocol import BlockData
from runtime.block_execution import InvalidBlock, is_environment_fault
from runtime import api as runtime_api

log = logging.getLogger("agora.sync")

Reporter = Callable[[str, int, str], None]          # (peer_id, delta, reason)
JustificationSink = Callable[[Block, bytes, "str | None"], None]


class Outcome(enum.Enum):
    IMPORTED = "imported"
    KNOWN = "known"
    UNKNOWN_PARENT = "unknown-parent"
    STALE = "stale"
    FUTURE = "future"
    EQUIVOCATION = "equivocation"
    INVALID = "invalid"
    ABORTED = "aborted"        # a fault of this node (memory, disk, database): nothing imported, nobody blamed

    @property
    def ok(self) -> bool:
        return self in (Outcome.IMPORTED, Outcome.KNOWN)


def decode_block(data: BlockData) -> Block:
    """A block from a sync response / announcement; raises InvalidBlock on bad bytes."""
    header, body, _ = data
    if body is None:
        raise InvalidBlock("block without a body")
    try:
        return Block.from_parts(header, body)
    except Exception as exc:  # pure decoding of peer bytes: whatever it raises, the bytes are bad
        raise InvalidBlock(f"undecodable block: {type(exc).__name__}: {exc}") from None


class BlockImporter:
    def __init__(self, chain: Chain, report: Reporter, *, slot_ms: int, metrics=None,
                 on_justification: JustificationSink | None = None, max_drift_slots: int = 1) -> None:
        self.chain = chain
        self.report = report
        self.slot_ms = slot_ms
        self.metrics = metrics
        self.on_justification = on_justification
        self.max_drift_slots = max_drift_slots
        self.on_fault: Callable[[str], None] | None = None      # a local fault aborted an import (node.fault)
        self.on_recovered: Callable[[], None] | None = None     # an import succeeded again
        self.log_imports = True          # off while major syncing (one line per block would flood)
        self.imported_total = 0
        self.equivocations: list[aura_slots.Equivocation] = []
        self._stamps: deque[tuple[float, int]] = deque()   # (monotonic, imported_total) for bps

    # -- one block -----------------------------------------------------------------------------
    def import_block(self, block: Block, peer: str | None, justification: bytes | None = None) -> Outcome:
        """Import on this thread (tests, tools); the node uses `import_block_async`."""
        early = self._before(block, peer, justification)
        if early is not None:
            return early
        try:
            timings = self.chain.import_block(block)
        except Exception as exc:  # classified by `_failed`: the block's fault, or ours
            return self._failed(block, peer, exc)
        return self._imported(block, peer, justification, timings)

    async def import_block_async(self, block: Block, peer: str | None, justification: bytes | None = None) -> Outcome:
        """Import with the block's execution on the chain's worker thread: the event loop (RPC,
        slot timer, networking) keeps running while a heavy block executes."""
        early = self._before(block, peer, justification)
        if early is not None:
            return early
        try:
            timings = await self.chain.import_block_off_loop(block)
        except Exception as exc:  # classified by `_failed`: the block's fault, or ours
            return self._failed(block, peer, exc)
        return self._imported(block, peer, justification, timings)

    def _before(self, block: Block, peer: str | None, justification: bytes | None) -> Outcome | None:
        chain = self.chain
        if chain.has_block(block.hash):
            if justification is not None and self.on_justification is not None:
                self.on_justification(block, justification, peer)
            return Outcome.KNOWN
        try:
            slot = runtime_api.aura_slot_from_digest(block.header["digest"])
        except InvalidBlock as exc:
            return self._invalid(block, peer, str(exc))
        if slot is not None and aura_slots.is_future_slot(slot, int(time.time() * 1000), self.slot_ms,
                                                          self.max_drift_slots):
            if peer:
                self.report(peer, rep.STALE, "block from a future slot")
            log.debug("dropping #%d from a future slot %d", block.number, slot)
            return Outcome.FUTURE
        return None

    def _failed(self, block: Block, peer: str | None, exc: Exception) -> Outcome:
        if isinstance(exc, UnknownParent):
            return Outcome.UNKNOWN_PARENT
        if isinstance(exc, StaleBlock):
            if peer:
                self.report(peer, rep.STALE, str(exc))
            return Outcome.STALE
        if isinstance(exc, Equivocated):
            self.equivocations.append(exc.equivocation)
            log.warning("⚠️  Equivocation detected: %s (rejected the second block)", exc)
            if self.metrics is not None:
                self.metrics.equivocations.labels("aura").inc()
            if peer:
                self.report(peer, rep.EQUIVOCATION, "relayed an equivocating block")
            return Outcome.EQUIVOCATION
        if isinstance(exc, InvalidBlock):
            return self._invalid(block, peer, str(exc))
        # a runtime bug on this block is the block's; anything else (memory, disk, database) is ours
        if is_environment_fault(exc):
            log.error("⚠️  Import of #%d 0x%s aborted by a local fault (%s: %s); the peer is not blamed",
                      block.number, block.hash.hex()[:16], type(exc).__name__, exc)
            if self.on_fault is not None:
                self.on_fault(f"block import failed at #{block.number}: {type(exc).__name__}: {exc}")
            return Outcome.ABORTED
        log.error("importing #%d 0x%s raised", block.number, block.hash.hex()[:16], exc_info=exc)
        return self._invalid(block, peer, f"{type(exc).__name__}: {exc}")

    def _imported(self, block: Block, peer: str | None, justification: bytes | None, timings) -> Outcome:
        chain = self.chain
        if self.on_recovered is not None:
            self.on_recovered()
        self.imported_total += 1
        if self.log_imports and chain.best_hash == block.hash:
            log.info("✨ Imported #%d (0x%s…%s)", block.number, block.hash.hex()[:4], block.hash.hex()[-4:])
        if self.metrics is not None:
            self.metrics.imported_blocks.inc()
            self.metrics.observe_import(timings)
        if justification is not None and self.on_justification is not None:
            self.on_justification(block, justification, peer)
        return Outcome.IMPORTED

    def _invalid(self, block: Block, peer: str | None, reason: str) -> Outcome:
        log.warning("💔 Error importing block #%d 0x%s from %s: %s", block.number, block.hash.hex()[:16],
                    peer or "local", reason)
        if peer:
            self.report(peer, rep.FATAL, f"invalid block: {reason}")
        return Outcome.INVALID

    # -- many blocks (oldest first) ----------------------------------------------------------
    async def import_many(self, blocks: list[tuple[Block, bytes | None]], peer: str | None,
                          yield_every: float = 0.05) -> tuple[int, Outcome]:
        """Import in order until one fails; returns (how many were imported or known, last outcome)."""
        done = 0
        outcome = Outcome.KNOWN
        last_yield = time.monotonic()
        with self.chain.bulk():
            for block, justification in blocks:
                outcome = await self.import_block_async(block, peer, justification)
                if not outcome.ok:
                    break
                done += 1
                if time.monotonic() - last_yield > yield_every:
                    await trio.sleep(0)
                    last_yield = time.monotonic()
        self.note_progress()
        return done, outcome

    # -- progress ---------------------------------------------------------------------------------
    def note_progress(self) -> None:
        now = time.monotonic()
        self._stamps.append((now, self.imported_total))
        while self._stamps and now - self._stamps[0][0] > 10:
            self._stamps.popleft()

    def blocks_per_second(self, window: float = 5.0) -> float:
        now = time.monotonic()
        self.note_progress()
        old = next(((t, n) for t, n in self._stamps if now - t <= window), None)
        if old is None or now - old[0] < 0.5:
            return 0.0
        return (self.imported_total - old[1]) / (now - old[0])
