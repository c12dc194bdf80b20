"""Authoring: a block built on a parent from the pool's transactions, sealed with the author's key.

The runtime builds it (`initialize_block`, its inherents, `apply_extrinsic` per transaction,
`finalize_block`); the chain computes the roots, seals the header and commits (`Chain`)."""
from __future__ import annotations

import dataclasses
import functools
import time
from typing import Any, Iterable

import trio

from node.block import Block, BuiltBlock, Signer, seal_pre_hash
from node.metrics import ImportTimings
from runtime import api as runtime_api
from runtime.block_execution import (
    Extrinsic, TransactionValidityError, apply_extrinsic, finalize_block, inherent_extrinsics, initialize_block,
)
from primitives.hashing import blake2_256
from primitives.types import Header


class StateMoved(Exception):
    """The best state changed while a block executed on it off the loop: execute it again."""


@dataclasses.dataclass
class PreparedBuild:
    """A sealed block, built and not yet committed."""

    built: BuiltBlock
    nodes: Any
    slot: int
    author: bytes | None
    best_state_epoch: int | None     # the epoch of the best state it ran on; None: it ran on a trie snapshot


class BlockAuthoring:
    """`Chain`'s authoring half (a mixin: it uses the chain's state, roots and commit)."""

    # -- building -------------------------------------------------------------------------------
    def build_block(self, parent_hash: bytes, *, now_ms: int, slot: int, transactions: Iterable[Extrinsic],
                    author: Signer, deadline: float | None = None) -> BuiltBlock:
        """Author a block on `parent_hash` from the given (pool-ordered) transactions, on this thread."""
        return self.commit_built(self.prepare_build(parent_hash, now_ms=now_ms, slot=slot,
                                                    transactions=transactions, author=author, deadline=deadline))

    async def build_block_off_loop(self, parent_hash: bytes | None, *, now_ms: int, slot: int,
                                   transactions: list[Extrinsic], author: Signer,
                                   deadline: float | None = None) -> BuiltBlock:
        """`build_block` with the execution on the chain's worker thread (see `import_block_off_loop`);
        the commit runs on the caller's (event loop) thread. `parent_hash` None: the best block once
        the worker is ours (an import that committed while we waited for it is built upon).

        The build holds the chain's `executor` from the start of its execution to its commit, as
        imports do: an import that arrives meanwhile executes and commits after it, so the best state
        the block is built on cannot move under it (it did, and the slot's block was dropped: 2 s of
        throughput lost each time under load)."""
        async with self.executor:
            parent = self.best_hash if parent_hash is None else parent_hash
            prepared = await trio.to_thread.run_sync(
                functools.partial(self.prepare_build, parent, now_ms=now_ms, slot=slot, transactions=transactions,
                                  author=author, deadline=deadline), limiter=self._worker)
            return self.commit_built(prepared)

    def prepare_build(self, parent_hash: bytes, *, now_ms: int, slot: int, transactions: Iterable[Extrinsic],
                      author: Signer, deadline: float | None = None) -> PreparedBuild:
        """Build and seal the block; reads the chain, writes nothing (safe on the worker thread)."""
        timings = ImportTimings()
        parent = self.header(parent_hash)
        if parent is None:
            raise ValueError("unknown parent")
        epoch = self._best_state_epoch
        parent_state = self.state_at(parent_hash)
        t0 = time.perf_counter()
        digest = {"logs": [("PreRuntime", (runtime_api.AURA_ENGINE_ID, slot.to_bytes(8, "little")))]}
        builder = initialize_block(self.runtime, parent_state, parent["number"] + 1, parent_hash,
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
        changes = ctx.state.changes
        extrinsics = [e.raw for e in included]
        state_root, extrinsics_root, nodes = self._roots(parent, changes, extrinsics, timings)
        header = {"parent_hash": parent_hash, "number": parent["number"] + 1,
                  "state_root": state_root, "extrinsics_root": extrinsics_root,
                  "digest": {"logs": list(digest["logs"])}}
        signature = author.sign(seal_pre_hash(header))
        header["digest"]["logs"].append(("Seal", (runtime_api.AURA_ENGINE_ID, signature)))
        header_bytes = Header.encode(header)
        block = Block(header, extrinsics, blake2_256(header_bytes), header_bytes)
        built = BuiltBlock(block, included, invalid, changes, timings)
        on_best = parent_state is self.store.best_state
        return PreparedBuild(built, nodes, slot, getattr(author, "public_key", None), epoch if on_best else None)

    def commit_built(self, prepared: PreparedBuild) -> BuiltBlock:
        built = prepared.built
        if prepared.best_state_epoch is not None and prepared.best_state_epoch != self._best_state_epoch:
            raise StateMoved(f"the best state moved while #{built.block.number} was built: the slot's block is dropped")
        self._commit(built.block, built.changes, prepared.nodes, built.timings)
        if prepared.author is not None:
            self.equivocations.note(prepared.slot, prepared.author, built.block.hash)
        return built
