"""The chain: genesis, the block tree (best and finalized blocks, leaves, reorgs), importing
blocks, state at any block.

Import checks the Aura seal, then hands the block to the runtime (`execute_block`), which
decides its validity over the parent's state, with the chain's trie computing the roots it
checks; the chain commits everything in one write batch. The block format is `node/block.py`,
authoring `node/authoring.py`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import Callable, Iterator

import trio

from consensus import fork_choice
from consensus.aura import EquivocationDetector
from node.authoring import BlockAuthoring, StateMoved
from node.block import (  # noqa: F401  (the block format's names, imported from here by many)
    Block, BuiltBlock, DatabaseMismatch, Equivocated, Signer, StaleBlock, UnknownParent, decode_body, encode_body,
    seal_pre_hash,
)
from node.metrics import ImportTimings
from runtime.block_execution import ExecutedBlock, InvalidBlock, Runtime, StateReader, execute_block, get_runtime
from runtime import api as runtime_api
from primitives import crypto
from primitives.hashing import blake2_256
from primitives.types import Header
from primitives.verified_signatures import VerifiedSignatures
from storage.chain_store import ChainStore
from storage.trie import EMPTY_ROOT, Trie, ordered_trie_root, trie_root

log = logging.getLogger("agora.chain")

ReorgListener = Callable[[fork_choice.TreeRoute], None]


@dataclasses.dataclass
class PreparedImport:
    """A block executed (valid) and not yet committed."""

    block: Block
    parent: dict
    slot: int
    author: bytes
    executed: ExecutedBlock
    timings: ImportTimings
    best_state_epoch: int | None     # the epoch of the best state it ran on; None: it ran on a trie snapshot


class Chain(BlockAuthoring):
    def __init__(self, store: ChainStore, genesis_storage: dict[bytes, bytes], runtime: Runtime | None = None):
        self.store = store
        self.runtime = runtime or get_runtime()
        self._listeners: list[Callable[[Block, bool], None]] = []
        self._reorg_listeners: list[ReorgListener] = []
        self._meta_cache: dict[bytes, tuple[bytes, int]] = {}
        self._recent: dict[bytes, dict] = {}            # headers of the last blocks committed
        self.equivocations = EquivocationDetector()
        # signatures the pool verified: importing the block that includes them skips them
        self.verified_signatures = VerifiedSignatures()
        self._init_genesis(genesis_storage)
        self._best_hash: bytes = self.store.best_hash  # type: ignore[assignment]
        self._finalized_hash: bytes = self.store.finalized_hash  # type: ignore[assignment]
        best_header = self.header(self._best_hash)
        assert best_header is not None
        self._best_number = best_header["number"]
        fin = self.meta(self._finalized_hash)
        self._finalized_number = fin[1] if fin else 0
        # leaves of the block tree (in memory: after a restart only the best block is one)
        self._leaves: dict[bytes, int] = {self._best_hash: self._best_number}
        self.trie = Trie(store.nodes, best_header["state_root"])
        # block execution off the event loop: one worker at a time (the trie's node cache and the
        # best state are read by one execution at a time); commits stay on the loop's thread. An
        # off-loop execution holds `executor` from its start to its commit, so no other off-loop
        # commit (an import) moves the best state under a block being built or executed.
        self.executor = trio.CapacityLimiter(1)
        # the thread token of that execution (taken inside `executor`, which it cannot borrow twice):
        # its own, so a block never queues behind RPC work on trio's shared default thread limiter
        self._worker = trio.CapacityLimiter(1)
        self._best_state_epoch = 0      # bumped whenever the best (flat) state changes

    # -- genesis -----------------------------------------------------------------------------
    def _init_genesis(self, genesis_storage: dict[bytes, bytes]) -> None:
        state_root = trie_root(genesis_storage)
        header = {"parent_hash": b"\0" * 32, "number": 0, "state_root": state_root,
                  "extrinsics_root": ordered_trie_root([]), "digest": {"logs": []}}
        header_bytes = Header.encode(header)
        genesis_hash = blake2_256(header_bytes)
        existing = self.store.genesis_hash
        if existing is None:
            nodes: dict[bytes, bytes] = {}
            root, nodes = Trie(self.store.nodes, EMPTY_ROOT).apply(genesis_storage)
            if root != state_root:
                raise AssertionError("incremental and from-scratch genesis roots differ")
            self.store.commit_genesis(genesis_hash, header_bytes, genesis_storage, nodes)
        elif existing != genesis_hash:
            raise DatabaseMismatch(
                f"the database was created for genesis 0x{existing.hex()}, but the chain spec's genesis is "
                f"0x{genesis_hash.hex()}: use another --base-path or `purge-chain`")
        self.genesis_hash = genesis_hash

    # -- reads -------------------------------------------------------------------------------
    @property
    def best_hash(self) -> bytes:
        return self._best_hash

    @property
    def best_number(self) -> int:
        return self._best_number

    @property
    def finalized_hash(self) -> bytes:
        return self._finalized_hash

    @property
    def finalized_number(self) -> int:
        return self._finalized_number

    def meta(self, block_hash: bytes) -> tuple[bytes, int] | None:
        """(parent_hash, number) of a known block, cached (what fork choice and finality walk)."""
        m = self._meta_cache.get(block_hash)
        if m is None:
            raw = self.store.header(block_hash)
            if raw is None:
                return None
            header = Header.decode(raw)
            m = (header["parent_hash"], header["number"])
            if len(self._meta_cache) > 200_000:
                self._meta_cache.clear()
            self._meta_cache[block_hash] = m
        return m

    def has_block(self, block_hash: bytes) -> bool:
        return block_hash in self._meta_cache or self.store.header(block_hash) is not None

    def is_canonical(self, block_hash: bytes, number: int) -> bool:
        return self.store.canonical_hash(number) == block_hash

    def leaves(self) -> dict[bytes, int]:
        return dict(self._leaves)

    def justification(self, block_hash: bytes) -> bytes | None:
        return self.store.justification(block_hash)

    def header(self, block_hash: bytes) -> dict | None:
        raw = self.store.header(block_hash)
        return None if raw is None else Header.decode(raw)

    def header_bytes(self, block_hash: bytes) -> bytes | None:
        return self.store.header(block_hash)

    def block(self, block_hash: bytes) -> Block | None:
        header = self.store.header(block_hash)
        body = self.store.body(block_hash)
        if header is None or body is None:
            return None
        return Block.from_parts(header, body)

    def hash_at(self, number: int) -> bytes | None:
        return self.store.canonical_hash(number)

    def state_at(self, block_hash: bytes) -> StateReader | None:
        if block_hash == self.best_hash:
            return self.store.best_state
        header = self.header(block_hash)
        if header is None:
            return None
        return self.store.state_at_root(header["state_root"])

    def iter_ancestry(self, block_hash: bytes) -> Iterator[dict]:
        header = self.header(block_hash)
        while header is not None:
            yield header
            if header["number"] == 0:
                return
            header = self.header(header["parent_hash"])

    def subscribe(self, listener: Callable[[Block, bool], None]) -> None:
        """`listener(block, is_new_best)` after every committed block."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[Block, bool], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def subscribe_reorg(self, listener: ReorgListener) -> None:
        """`listener(route)` when the best chain switches forks (before the block listeners run)."""
        self._reorg_listeners.append(listener)

    @contextlib.contextmanager
    def bulk(self) -> Iterator[None]:
        """Many imports in a row (sync): one fsync at the end instead of one per block."""
        deferred = getattr(self.store.kv, "deferred_sync", None)
        if deferred is None:
            yield
            return
        with deferred():
            yield

    def _roots(self, parent: dict, changes: dict, extrinsics: list[bytes], timings: ImportTimings):
        t0 = time.perf_counter()
        state_root, nodes = self.trie.at(parent["state_root"]).apply(changes)
        extrinsics_root = ordered_trie_root(extrinsics)
        timings.state_root = time.perf_counter() - t0
        return state_root, extrinsics_root, nodes

    # -- import ------------------------------------------------------------------------------
    def import_block(self, block: Block) -> ImportTimings:
        """Verify and execute a block from elsewhere, on this thread; raises InvalidBlock."""
        prepared = self.prepare_import(block)
        return ImportTimings() if prepared is None else self.commit_import(prepared)

    async def import_block_off_loop(self, block: Block) -> ImportTimings:
        """`import_block` with the execution on the chain's worker thread (one at a time), so a
        heavy block (a large epoch, a big body) does not stall RPC answers or the slot timer; the
        commit runs here, on the event loop, so readers never see a half-written state."""
        for _attempt in range(3):
            try:
                async with self.executor:   # held to the commit: see `__init__`
                    prepared = await trio.to_thread.run_sync(self.prepare_import, block, limiter=self._worker)
                    if prepared is None:
                        return ImportTimings()
                    return self.commit_import(prepared)
            except StateMoved:      # the best state moved under the execution (a reorg by finality): run it again
                continue
        return self.import_block(block)

    def prepare_import(self, block: Block) -> PreparedImport | None:
        """Seal check and `execute_block` over the parent's state: reads the chain, writes nothing
        (safe on the worker thread). None if the block is known already."""
        timings = ImportTimings()
        if self.store.header(block.hash) is not None:
            return None
        parent = self._recent.get(block.parent_hash) or self.header(block.parent_hash)
        if parent is None:
            raise UnknownParent(f"unknown parent 0x{block.parent_hash.hex()}")
        if block.number != parent["number"] + 1:
            raise InvalidBlock("block number is not parent + 1")
        epoch = self._best_state_epoch
        parent_state = self.state_at(block.parent_hash)
        try:
            executed, slot, author = self._verify_and_execute(block, parent, parent_state, timings)
        except InvalidBlock:
            # On the worker thread, a commit on the loop (this very block, imported meanwhile from
            # another peer, or any other) can move the best state under the checks: their reads then
            # mix two states (the parent's slot or timestamp look like this block's, nonces look
            # outdated, roots mismatch). That is no verdict on the block, and its peer must not be
            # banned for it: run it again on a still state.
            if parent_state is self.store.best_state and epoch != self._best_state_epoch:
                raise StateMoved(f"the best state moved while #{block.number} executed") from None
            raise
        timings.decode += executed.decode_s
        timings.verify = executed.verify_s
        timings.execute = executed.execute_s
        timings.signatures_verified = executed.signatures_verified
        on_best = parent_state is self.store.best_state
        return PreparedImport(block, parent, slot, author, executed, timings, epoch if on_best else None)

    def _verify_and_execute(self, block: Block, parent: dict, parent_state: StateReader,
                            timings: ImportTimings) -> tuple[ExecutedBlock, int, bytes]:
        t0 = time.perf_counter()
        slot, author = self.verify_seal(block, parent_state)   # first: a bad seal is misbehaviour even on a stale fork
        self._check_descends_finalized(block.parent_hash, parent["number"])
        self._check_equivocation(slot, author, block.hash)
        logs = block.header["digest"]["logs"]
        unsealed = dict(block.header, digest={"logs": [item for item in logs
                                                       if not (isinstance(item, tuple) and item[0] == "Seal")]})
        timings.decode = time.perf_counter() - t0

        def roots(changes: dict, extrinsics: list[bytes]):      # the host's trie, for the runtime's root checks
            return self._roots(parent, changes, extrinsics, timings)

        executed = execute_block(parent_state, unsealed, block.extrinsics, genesis_hash=self.genesis_hash,
                                 roots=roots, verified=self.verified_signatures, runtime=self.runtime)
        return executed, slot, author

    def commit_import(self, prepared: PreparedImport) -> ImportTimings:
        """Commit a prepared block (on the thread that owns the chain). Raises StateMoved if the
        best state it executed on changed meanwhile."""
        block = prepared.block
        if prepared.best_state_epoch is not None and prepared.best_state_epoch != self._best_state_epoch:
            raise StateMoved(f"the best state moved while #{block.number} executed")
        if self.store.header(block.hash) is not None:
            return prepared.timings
        self._check_descends_finalized(block.parent_hash, prepared.parent["number"])   # finality may have moved
        self._check_equivocation(prepared.slot, prepared.author, block.hash)
        self._commit(block, prepared.executed.changes, prepared.executed.nodes, prepared.timings)
        self.equivocations.note(prepared.slot, prepared.author, block.hash)
        return prepared.timings

    def _check_equivocation(self, slot: int, author: bytes, block_hash: bytes) -> None:
        equivocation = self.equivocations.check(slot, author, block_hash)
        if equivocation is not None:
            raise Equivocated(equivocation)

    def _check_descends_finalized(self, parent_hash: bytes, parent_number: int) -> None:
        fin_hash, fin_number = self._finalized_hash, self._finalized_number
        if parent_number < fin_number:
            raise StaleBlock(f"block #{parent_number + 1} is below the finalized block #{fin_number}")
        if parent_hash == fin_hash or self.store.canonical_hash(parent_number) == parent_hash:
            return  # the canonical chain always contains the finalized block
        if fork_choice.ancestor_at(self.meta, parent_hash, fin_number) != fin_hash:
            raise StaleBlock("the block does not descend from the finalized block")

    def verify_seal(self, block: Block, parent_state: StateReader) -> tuple[int, bytes]:
        """Check the Aura seal; returns (slot, author)."""
        logs = block.header["digest"]["logs"]
        if not logs or not (isinstance(logs[-1], tuple) and logs[-1][0] == "Seal"):
            raise InvalidBlock("header is not sealed")
        engine, signature = logs[-1][1]
        if engine != runtime_api.AURA_ENGINE_ID or len(signature) != 64:
            raise InvalidBlock("bad seal")
        slot = runtime_api.aura_slot_from_digest({"logs": logs[:-1]})
        if slot is None:
            raise InvalidBlock("no Aura pre-digest")
        authorities = runtime_api.aura_authorities(parent_state)
        if not authorities:
            raise InvalidBlock("no authorities")
        expected = authorities[slot % len(authorities)]
        unsealed = dict(block.header, digest={"logs": logs[:-1]})
        if not crypto.verify_sr25519(signature, seal_pre_hash(unsealed), expected):
            raise InvalidBlock(f"bad seal: slot {slot} belongs to 0x{expected.hex()[:16]}…")
        return slot, expected

    # -- commit --------------------------------------------------------------------------------
    def _commit(self, block: Block, changes: dict, nodes: dict, timings: ImportTimings) -> None:
        t0 = time.perf_counter()
        extends_best = block.parent_hash == self.best_hash
        self.store.commit_block(block.hash, block.number, block.header_bytes, block.body_bytes(), changes, nodes,
                                new_best=extends_best)
        self._meta_cache[block.hash] = (block.parent_hash, block.number)
        self._recent[block.hash] = block.header
        if len(self._recent) > 64:
            del self._recent[next(iter(self._recent))]
        self._leaves.pop(block.parent_hash, None)
        self._leaves[block.hash] = block.number
        route = None
        if extends_best:
            self._best_state_epoch += 1
            self._best_number = block.number
            self._best_hash = block.hash
        elif fork_choice.is_better((block.hash, block.number), (self._best_hash, self._best_number)):
            route = self._reorg_to(block.hash)
        timings.commit = time.perf_counter() - t0
        if route is not None:
            self._notify_reorg(route)
        new_best = self._best_hash == block.hash
        for listener in list(self._listeners):
            try:
                listener(block, new_best)
            except Exception:  # the block is committed: a listener (pool, RPC) must never break import
                log.exception("block listener failed")

    def _reorg_to(self, target: bytes) -> fork_choice.TreeRoute:
        """Make `target` the best block (the flat state follows: undo, then redo)."""
        route = fork_choice.tree_route(self.meta, self._best_hash, target)
        self.store.reorg(route.retracted, route.enacted)
        self._best_state_epoch += 1
        self._best_hash, self._best_number = route.enacted[-1]
        if route.retracted:
            log.info("♻️  Reorg on #%d,0x%s to #%d,0x%s, common ancestor #%d,0x%s", route.retracted[0][1],
                     route.retracted[0][0].hex()[:8], self._best_number, self._best_hash.hex()[:8],
                     route.common[1], route.common[0].hex()[:8])
        return route

    def _notify_reorg(self, route: fork_choice.TreeRoute) -> None:
        for listener in list(self._reorg_listeners):
            try:
                listener(route)
            except Exception:  # the reorg is committed; a listener (pool, RPC) must not undo or stop it
                log.exception("reorg listener failed")

    def finalize(self, block_hash: bytes, justification: bytes | None = None) -> list[tuple[bytes, int]]:
        """Finalize `block_hash` (and its ancestors); returns the newly finalized (hash, number), oldest first.

        The block must descend from the current finalized block. If it is not on the best
        chain, the best block becomes the highest leaf that descends from it.
        """
        m = self.meta(block_hash)
        if m is None:
            raise KeyError(f"unknown block 0x{block_hash.hex()}")
        number = m[1]
        old = (self._finalized_hash, self._finalized_number)
        if block_hash == old[0]:
            if justification is not None and self.store.justification(block_hash) is None:
                self.store.set_finalized(block_hash, justification)
            return []
        if number <= old[1] or fork_choice.ancestor_at(self.meta, block_hash, old[1]) != old[0]:
            raise StaleBlock(f"#{number} 0x{block_hash.hex()[:16]}… does not descend the finalized block")
        route = None
        if self.store.canonical_hash(number) != block_hash:
            target = fork_choice.best_leaf(self.meta, self._leaves.items(), (block_hash, number)) or (block_hash, number)
            route = self._reorg_to(target[0])
        self.store.set_finalized(block_hash, justification)
        self._finalized_hash, self._finalized_number = block_hash, number
        newly = []
        h, n = block_hash, number
        while n > old[1]:
            newly.append((h, n))
            h = self.meta(h)[0]  # type: ignore[index]
            n -= 1
        newly.reverse()
        for leaf in [leaf for leaf, n in self._leaves.items()
                     if leaf != self._best_hash and fork_choice.ancestor_at(self.meta, leaf, number) != block_hash]:
            del self._leaves[leaf]
        if route is not None:
            self._notify_reorg(route)
            head = self.block(self._best_hash)
            for listener in list(self._listeners):
                try:
                    listener(head, True)
                except Exception:  # finality is committed; a listener must not stop it
                    log.exception("block listener failed")
        return newly
