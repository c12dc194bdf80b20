"""The node's ledger: headers, bodies, canonical index, trie nodes and the best state.

Everything is bytes: the node encodes and decodes. One imported block is committed as
one atomic write batch, so a crash at any moment leaves either the old or the new best
block, never a mixture. Key schema (one-byte table prefix):

    M  meta (genesis, best, finalized hashes)       H  header by hash
    B  body by hash (SCALE Vec of extrinsics)      N  canonical hash by number (u32 BE)
    J  justification by hash                        T  trie node by node hash
    S  flat state of the best block, by storage key
    C  a block's state changes (for reorgs)        U  undo record: previous values of what it changed
"""
from __future__ import annotations

import struct
from typing import Iterator

import msgpack

from storage.kv import KV, MemoryKV
from storage.trie import Trie

META_GENESIS = b"Mgenesis"
META_BEST = b"Mbest"
META_FINALIZED = b"Mfinalized"
META_SCHEMA = b"Mschema"
SCHEMA_VERSION = b"1"

_CACHE_LIMIT = 1 << 20


def _num(n: int) -> bytes:
    return struct.pack(">I", n)


class _TrieNodes:
    """Trie node store view over the KV, including nodes not yet committed."""

    def __init__(self, kv: KV):
        self.kv = kv
        self.pending: dict[bytes, bytes] = {}

    def get(self, node_hash: bytes) -> bytes | None:
        node = self.pending.get(node_hash)
        return node if node is not None else self.kv.get(b"T" + node_hash)


class BestState:
    """The flat state of the best block (reads: cache, then LevelDB)."""

    def __init__(self, kv: KV):
        self.kv = kv
        self.cache: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        try:
            return self.cache[key]
        except KeyError:
            value = self.kv.get(b"S" + key)
            if len(self.cache) > _CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = value
            return value

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        for key in self.kv.iter_keys(b"S" + prefix, None if start_after is None else b"S" + start_after):
            yield key[1:]


class TrieState:
    """State of any block, read through its state root (historic queries, forks)."""

    def __init__(self, trie: Trie):
        self.trie = trie

    def get(self, key: bytes) -> bytes | None:
        return self.trie.get(key)

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        return iter(self.trie.keys(prefix, start_after))


class ChainStore:
    def __init__(self, kv: KV | None = None):
        self.kv = kv if kv is not None else MemoryKV()
        self.nodes = _TrieNodes(self.kv)
        self.best_state = BestState(self.kv)
        schema = self.kv.get(META_SCHEMA)
        if schema is not None and schema != SCHEMA_VERSION:
            raise RuntimeError(f"database schema {schema!r} is not supported (expected {SCHEMA_VERSION!r})")

    # -- meta -------------------------------------------------------------------------------
    @property
    def genesis_hash(self) -> bytes | None:
        return self.kv.get(META_GENESIS)

    @property
    def best_hash(self) -> bytes | None:
        return self.kv.get(META_BEST)

    @property
    def finalized_hash(self) -> bytes | None:
        return self.kv.get(META_FINALIZED)

    # -- blocks -----------------------------------------------------------------------------
    def header(self, block_hash: bytes) -> bytes | None:
        return self.kv.get(b"H" + block_hash)

    def body(self, block_hash: bytes) -> bytes | None:
        return self.kv.get(b"B" + block_hash)

    def justification(self, block_hash: bytes) -> bytes | None:
        return self.kv.get(b"J" + block_hash)

    def canonical_hash(self, number: int) -> bytes | None:
        if not 0 <= number < 2**32:
            return None
        return self.kv.get(b"N" + _num(number))

    def changes(self, block_hash: bytes) -> dict[bytes, bytes | None]:
        raw = self.kv.get(b"C" + block_hash)
        return {} if raw is None else dict(msgpack.unpackb(raw, use_list=False))

    # -- state ------------------------------------------------------------------------------
    def trie_at(self, state_root: bytes) -> Trie:
        return Trie(self.nodes, state_root)

    def state_at_root(self, state_root: bytes) -> TrieState:
        return TrieState(self.trie_at(state_root))

    # -- writes -----------------------------------------------------------------------------
    def commit_genesis(self, block_hash: bytes, header: bytes, state: dict[bytes, bytes],
                       trie_nodes: dict[bytes, bytes]) -> None:
        ops: list[tuple[bytes, bytes | None]] = [(META_SCHEMA, SCHEMA_VERSION)]
        ops += [(b"T" + h, n) for h, n in trie_nodes.items()]
        ops += [(b"S" + k, v) for k, v in state.items()]
        ops += [(b"H" + block_hash, header), (b"B" + block_hash, b"\x00"), (b"N" + _num(0), block_hash),
                (META_GENESIS, block_hash), (META_BEST, block_hash), (META_FINALIZED, block_hash)]
        self.kv.write(ops)
        self.best_state.cache.clear()

    def commit_block(self, block_hash: bytes, number: int, header: bytes, body: bytes,
                     changes: dict[bytes, bytes | None], trie_nodes: dict[bytes, bytes], *,
                     new_best: bool, justification: bytes | None = None) -> None:
        """Store a block; if `new_best`, it must extend the current best block and becomes best."""
        ops: list[tuple[bytes, bytes | None]] = [(b"T" + h, n) for h, n in trie_nodes.items()]
        ops += [(b"H" + block_hash, header), (b"B" + block_hash, body),
                (b"C" + block_hash, msgpack.packb(list(changes.items())))]
        if justification is not None:
            ops.append((b"J" + block_hash, justification))
        if new_best:
            undo = [(key, self.best_state.get(key)) for key in changes]
            ops.append((b"U" + block_hash, msgpack.packb(undo)))
            ops += [(b"S" + key, value) for key, value in changes.items()]
            ops += [(b"N" + _num(number), block_hash), (META_BEST, block_hash)]
        self.kv.write(ops)
        if new_best:
            cache = self.best_state.cache
            for key, value in changes.items():
                cache[key] = value

    def set_finalized(self, block_hash: bytes, justification: bytes | None = None) -> None:
        ops: list[tuple[bytes, bytes | None]] = [(META_FINALIZED, block_hash)]
        if justification is not None:
            ops.append((b"J" + block_hash, justification))
        self.kv.write(ops)

    def reorg(self, retract: list[tuple[bytes, int]], enact: list[tuple[bytes, int]]) -> None:
        """Move the best chain: undo `retract` (best first), then apply `enact` (oldest first).

        Both lists hold (hash, number). Atomic: one write batch.
        """
        overlay: dict[bytes, bytes | None] = {}
        ops: list[tuple[bytes, bytes | None]] = []
        for block_hash, number in retract:
            raw = self.kv.get(b"U" + block_hash)
            if raw is None:
                raise RuntimeError(f"no undo record for block 0x{block_hash.hex()}")
            for key, old in msgpack.unpackb(raw, use_list=False):
                overlay[key] = old
            ops += [(b"U" + block_hash, None), (b"N" + _num(number), None)]

        def current(key: bytes) -> bytes | None:
            return overlay[key] if key in overlay else self.best_state.get(key)

        for block_hash, number in enact:
            changes = self.changes(block_hash)
            ops.append((b"U" + block_hash, msgpack.packb([(k, current(k)) for k in changes])))
            overlay.update(changes)
            ops.append((b"N" + _num(number), block_hash))
        ops += [(b"S" + k, v) for k, v in overlay.items()]
        new_best = enact[-1][0] if enact else None
        if new_best is None:
            raise ValueError("reorg needs at least one block to enact")
        ops.append((META_BEST, new_best))
        self.kv.write(ops)
        self.best_state.cache.clear()

    def close(self) -> None:
        self.kv.close()
