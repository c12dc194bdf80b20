"""The chain: genesis, building and importing blocks, state at any block.

Block building and import run the runtime's executive over the parent's state, then
compute the extrinsics root and the state root (incrementally, from the block's
changes) and commit everything in one write batch.
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from typing import Callable, Iterable, Iterator, Protocol

from consensus import fork_choice
from consensus.aura import Equivocation, EquivocationDetector
from node.metrics import ImportTimings
from runtime.block_execution import (
    Extrinsic, InvalidBlock, Runtime, StateReader, get_runtime, TransactionValidityError, apply_extrinsic, execute_block, finalize_block,
    inherent_extrinsics, initialize_block,
)
from runtime import api as runtime_api
from primitives import crypto
from primitives.hashing import blake2_256
from primitives.scale import ScaleError, decode_compact, encode_compact
from primitives.types import Header
from primitives.verified_signatures import VerifiedSignatures
from storage.chain_store import ChainStore
from storage.trie import EMPTY_ROOT, Trie, ordered_trie_root, trie_root

log = logging.getLogger("agora.chain")

class Signer(Protocol):
    def sign(self, message: bytes) -> bytes: ...


@dataclasses.dataclass
class Block:
    header: dict
    extrinsics: list[bytes]
    hash: bytes
    header_bytes: bytes

    @property
    def number(self) -> int:
        return self.header["number"]

    @property
    def parent_hash(self) -> bytes:
        return self.header["parent_hash"]

    def body_bytes(self) -> bytes:
        return encode_body(self.extrinsics)

    @staticmethod
    def from_parts(header_bytes: bytes, body: bytes) -> "Block":
        header = Header.decode(header_bytes)
        return Block(header, decode_body(body), blake2_256(header_bytes), header_bytes)


def encode_body(extrinsics: list[bytes]) -> bytes:
    return encode_compact(len(extrinsics)) + b"".join(extrinsics)


def decode_body(body: bytes) -> list[bytes]:
    count, pos = decode_compact(body, 0)
    out = []
    for _ in range(count):
        length, start = decode_compact(body, pos)
        end = start + length
        if end > len(body):
            raise ScaleError("block body: truncated extrinsic")
        out.append(body[pos:end])
        pos = end
    if pos != len(body):
        raise ScaleError("block body: trailing bytes")
    return out


def seal_pre_hash(header: dict) -> bytes:
    """Hash of the header without its seal: what the author signs."""
    return blake2_256(Header.encode(header))


class DatabaseMismatch(RuntimeError):
    pass


class UnknownParent(Exception):
    """The block's parent is not known yet: fetch the ancestry first (not a fault of the sender)."""


class StaleBlock(Exception):
    """The block does not descend from the finalized block: it can never be part of the chain."""


class Equivocated(Exception):
    """The block's author already sealed another block for the same slot (the second is rejected)."""

    def __init__(self, equivocation: Equivocation):
        super().__init__(f"equivocation: slot {equivocation.slot} by 0x{equivocation.author.hex()[:16]}…: "
                         f"0x{equivocation.first.hex()[:16]}… and 0x{equivocation.second.hex()[:16]}…")
        self.equivocation = equivocation


ReorgListener = Callable[[fork_choice.TreeRoute], None]


@dataclasses.dataclass
class BuiltBlock:
    block: Block
    included: list[Extrinsic]
    invalid: list[tuple[Extrinsic, TransactionValidityError]]
    changes: dict[bytes, bytes | None]
    timings: ImportTimings


class Chain:
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

    # -- building -------------------------------------------------------------------------------
    def build_block(self, parent_hash: bytes, *, now_ms: int, slot: int, transactions: Iterable[Extrinsic],
                    author: Signer, deadline: float | None = None) -> BuiltBlock:
        """Author a block on `parent_hash` from the given (pool-ordered) transactions."""
        timings = ImportTimings()
        parent = self.header(parent_hash)
        if parent is None:
            raise ValueError("unknown parent")
        t0 = time.perf_counter()
        digest = {"logs": [("PreRuntime", (runtime_api.AURA_ENGINE_ID, slot.to_bytes(8, "little")))]}
        builder = initialize_block(self.runtime, self.state_at(parent_hash), parent["number"] + 1, parent_hash,
                                   digest, self.genesis_hash)
        included: list[Extrinsic] = []
        for inherent in inherent_extrinsics(now_ms):     # the runtime builds its inherents
            apply_extrinsic(builder, inherent)
            included.append(inherent)
        invalid: list[tuple[Extrinsic, TransactionValidityError]] = []
        for ext in transactions:
            if deadline is not None and time.monotonic() > deadline:
                break
            try:
                apply_extrinsic(builder, ext, verify_signature=False)  # the pool verified it
            except TransactionValidityError as err:
                if err.reason == "ExhaustsResources":
                    break
                if err.reason != "Future":
                    invalid.append((ext, err))
                continue
            included.append(ext)
        ctx = finalize_block(builder)
        timings.execute = time.perf_counter() - t0
        block, changes = self._seal_and_commit(ctx, parent_hash, parent, digest, [e.raw for e in included], author,
                                               timings)
        public = getattr(author, "public_key", None)
        if public is not None:
            self.equivocations.note(slot, public, block.hash)
        return BuiltBlock(block, included, invalid, changes, timings)

    def _roots(self, parent: dict, changes: dict, extrinsics: list[bytes], timings: ImportTimings):
        t0 = time.perf_counter()
        state_root, nodes = self.trie.at(parent["state_root"]).apply(changes)
        extrinsics_root = ordered_trie_root(extrinsics)
        timings.state_root = time.perf_counter() - t0
        return state_root, extrinsics_root, nodes

    def _seal_and_commit(self, ctx, parent_hash: bytes, parent: dict, digest: dict, extrinsics: list[bytes],
                         author, timings: ImportTimings) -> tuple[Block, dict]:
        changes = ctx.state.changes
        state_root, extrinsics_root, nodes = self._roots(parent, changes, extrinsics, timings)
        header = {"parent_hash": parent_hash, "number": parent["number"] + 1,
                  "state_root": state_root, "extrinsics_root": extrinsics_root,
                  "digest": {"logs": list(digest["logs"])}}
        signature = author.sign(seal_pre_hash(header))
        header["digest"]["logs"].append(("Seal", (runtime_api.AURA_ENGINE_ID, signature)))
        header_bytes = Header.encode(header)
        block = Block(header, extrinsics, blake2_256(header_bytes), header_bytes)
        self._commit(block, changes, nodes, timings)
        return block, changes

    # -- import ------------------------------------------------------------------------------
    def import_block(self, block: Block) -> ImportTimings:
        """Verify and execute a block from elsewhere; raises InvalidBlock."""
        timings = ImportTimings()
        if self.store.header(block.hash) is not None:
            return timings
        parent = self._recent.get(block.parent_hash) or self.header(block.parent_hash)
        if parent is None:
            raise UnknownParent(f"unknown parent 0x{block.parent_hash.hex()}")
        if block.number != parent["number"] + 1:
            raise InvalidBlock("block number is not parent + 1")
        parent_state = self.state_at(block.parent_hash)
        t0 = time.perf_counter()
        slot, author = self.verify_seal(block, parent_state)   # first: a bad seal is misbehaviour even on a stale fork
        self._check_descends_finalized(block.parent_hash, parent["number"])
        equivocation = self.equivocations.check(slot, author, block.hash)
        if equivocation is not None:
            raise Equivocated(equivocation)
        logs = block.header["digest"]["logs"]
        unsealed = dict(block.header, digest={"logs": [item for item in logs
                                                       if not (isinstance(item, tuple) and item[0] == "Seal")]})
        timings.decode = time.perf_counter() - t0

        def roots(changes: dict, extrinsics: list[bytes]):      # the host's trie, for the runtime's root checks
            return self._roots(parent, changes, extrinsics, timings)

        executed = execute_block(parent_state, unsealed, block.extrinsics, genesis_hash=self.genesis_hash,
                                 roots=roots, verified=self.verified_signatures, runtime=self.runtime)
        timings.decode += executed.decode_s
        timings.verify = executed.verify_s
        timings.execute = executed.execute_s
        timings.signatures_verified = executed.signatures_verified
        self._commit(block, executed.changes, executed.nodes, timings)
        self.equivocations.note(slot, author, block.hash)
        return timings

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
