"""`Trie`: a view of the state trie at one root, backed by a node store.

Nodes are loaded lazily from the store (hash -> encoded node) and kept decoded:
in a `NodeCache` keyed by hash, and linked from their parents once loaded, so
a trie kept in memory (e.g. the node's head state) walks object links only.
`apply` never changes a view; it returns the new root and the nodes to
persist, and `at(new_root)` opens the new view from the cache at no cost.
Old nodes are never deleted, so every historic root stays readable (archive).
"""
from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Protocol

from .codec import (
    EMPTY_NODE, EMPTY_ROOT, HASH_LEN, HEX, NIBBLE, Layout, LayoutV1, Node, ValueRef,
    blake2_256, decode_node, encode_node,
)
from .errors import BadNode, MissingNode, ProofError
from .mutate import apply_changes

# values at most this long are memoized in their ValueRef once read
_MEMO_VALUE_MAX = 16 * 1024


class TrieNodeStore(Protocol):
    def get(self, hash: bytes, /) -> bytes | None:
        """Encoded node (or hashed value) with this blake2_256 hash."""


class NodeCache:
    """Decoded nodes by hash, bounded; the oldest entries go first."""

    def __init__(self, capacity: int = 1 << 20) -> None:
        self.capacity = capacity
        self._nodes: dict[bytes, Node] = {}

    def get(self, hash: bytes) -> Node | None:
        return self._nodes.get(hash)

    def put(self, hash: bytes, node: Node) -> None:
        nodes = self._nodes
        if len(nodes) >= self.capacity and hash not in nodes:
            for old in list(islice(iter(nodes), max(1, self.capacity // 16))):
                del nodes[old]
        nodes[hash] = node

    def put_many(self, nodes: list[Node]) -> None:
        if len(self._nodes) + len(nodes) > self.capacity:
            for node in nodes:
                self.put(node.hash, node)
        else:
            self._nodes.update({node.hash: node for node in nodes})

    def __len__(self) -> int:
        return len(self._nodes)


class Trie:
    """Read access and batch updates of the trie at `root`."""

    def __init__(self, store: TrieNodeStore, root: bytes = EMPTY_ROOT,
                 layout: Layout = LayoutV1, cache: NodeCache | None = None) -> None:
        if len(root) != HASH_LEN:
            raise ValueError("trie root must be 32 bytes")
        self.store = store
        self.layout = layout
        self.cache = cache if cache is not None else NodeCache()
        self._root_hash = bytes(root)
        self._root: Node | None = None
        self._root_loaded = root == EMPTY_ROOT

    @property
    def root(self) -> bytes:
        return self._root_hash

    def at(self, root: bytes, layout: Layout | None = None) -> Trie:
        """View of another root in the same store, sharing the node cache."""
        return Trie(self.store, root, self.layout if layout is None else layout, self.cache)

    # ------------------------------------------------------------ loading

    def _load(self, hash: bytes) -> Node:
        node = self.cache.get(hash)
        if node is None:
            enc = self.store.get(hash)
            if enc is None:
                raise MissingNode(hash)
            node = decode_node(bytes(enc), hash)
            if node is None:
                raise BadNode(f"empty-trie node referenced as node 0x{hash.hex()}")
            self.cache.put(hash, node)
        return node

    def _root_node(self) -> Node | None:
        if not self._root_loaded:
            self._root = self._load(self._root_hash)
            self._root_loaded = True
        return self._root

    def _value(self, value) -> bytes:
        if type(value) is bytes:
            return value
        data = value.data
        if data is None:
            data = self.store.get(value.hash)
            if data is None:
                raise MissingNode(value.hash)
            data = bytes(data)
            if len(data) <= _MEMO_VALUE_MAX:
                value.data = data
        return data

    # ------------------------------------------------------------ reading

    def _find(self, key: bytes, visit=None):
        """The value slot for `key` (None when absent); `visit(node, by_hash)`
        sees every node on the way."""
        path = key.hex()
        end = len(path)
        pos = 0
        node = self._root_node()
        by_hash = True
        while node is not None:
            if visit is not None:
                visit(node, by_hash)
            p = node.partial
            if not path.startswith(p, pos):
                return None
            pos += len(p)
            children = node.children
            if pos == end:
                return node.value
            if children is None:
                return None
            idx = NIBBLE[path[pos]]
            pos += 1
            child = children[idx]
            if type(child) is bytes:
                child = children[idx] = self._load(child)
                by_hash = True
            elif child is not None:
                by_hash = len(child.enc) >= HASH_LEN
            node = child
        return None

    def get(self, key: bytes) -> bytes | None:
        value = self._find(key)
        return None if value is None else self._value(value)

    def __contains__(self, key: bytes) -> bool:
        return self._find(key) is not None

    def items(self, prefix: bytes = b"", start_after: bytes | None = None,
              limit: int | None = None) -> Iterator[tuple[bytes, bytes]]:
        """(key, value) pairs under `prefix`, strictly after `start_after`, in
        lexicographic key order, at most `limit` of them."""
        it = ((bytes.fromhex(k), self._value(v))
              for k, v in self._iter_slots(prefix.hex(), None if start_after is None else start_after.hex()))
        return it if limit is None else islice(it, limit)

    def keys(self, prefix: bytes = b"", start_after: bytes | None = None,
             limit: int | None = None) -> Iterator[bytes]:
        """Keys under `prefix`, strictly after `start_after`, in lexicographic
        order, at most `limit` of them (`state_getKeysPaged`)."""
        it = (bytes.fromhex(k)
              for k, _ in self._iter_slots(prefix.hex(), None if start_after is None else start_after.hex()))
        return it if limit is None else islice(it, limit)

    def _iter_slots(self, prefix: str, after: str | None) -> Iterator[tuple[str, object]]:
        node = self._root_node()
        path = ""
        # descend to the highest node whose subtree holds only prefixed keys
        while node is not None:
            full = path + node.partial
            if len(full) >= len(prefix):
                if full.startswith(prefix):
                    yield from self._walk(node, path, after)
                return
            if not prefix.startswith(full) or node.children is None:
                return
            idx = NIBBLE[prefix[len(full)]]
            child = node.children[idx]
            if type(child) is bytes:
                child = node.children[idx] = self._load(child)
            node = child
            path = full + HEX[idx]

    def closest_descendant_merkle_value(self, prefix: bytes) -> bytes | None:
        """The Merkle value (hash, or the encoding itself when shorter than a hash) of the
        highest node whose key starts with `prefix`; None when no key does. chainHead_v1
        clients compare it between blocks to learn whether anything under `prefix` changed."""
        wanted = prefix.hex()
        node = self._root_node()
        path = ""
        is_root = True
        while node is not None:
            full = path + node.partial
            if len(full) >= len(wanted):
                if not full.startswith(wanted):
                    return None
                if is_root:
                    return self._root_hash
                return node.hash if node.hash is not None else node.enc
            if not wanted.startswith(full) or node.children is None:
                return None
            idx = NIBBLE[wanted[len(full)]]
            child = node.children[idx]
            if type(child) is bytes:
                child = node.children[idx] = self._load(child)
            node, path, is_root = child, full + HEX[idx], False
        return None

    def _walk(self, node: Node, path: str, after: str | None) -> Iterator[tuple[str, object]]:
        """Entries of the subtree at `node` (reached by `path`) in order, only
        those with keys > `after` when it is given."""
        full = path + node.partial
        n = len(full)
        if after is not None:
            bound = after[:n]
            if full < bound:
                return
            if full > bound:
                after = None
        if node.value is not None and after is None:
            yield full, node.value
        children = node.children
        if children is None:
            return
        # with `after` still set, `full` is a prefix of it
        first = 0
        if after is not None and len(after) > n:
            first = NIBBLE[after[n]]
        for i in range(first, 16):
            child = children[i]
            if child is None:
                continue
            if type(child) is bytes:
                child = children[i] = self._load(child)
            yield from self._walk(child, full + HEX[i], after if i == first else None)

    # ------------------------------------------------------------ writing

    def apply(self, changes: Mapping[bytes, bytes | None] | Iterable[tuple[bytes, bytes | None]]
              ) -> tuple[bytes, dict[bytes, bytes]]:
        """Applies a change set (value None = delete) and returns
        `(new_root, new_nodes)`: the caller persists `new_nodes` (hash ->
        encoded node or hashed value; `{EMPTY_ROOT: EMPTY_NODE}` when the trie
        becomes empty).  This view is left unchanged; open the new state with
        `at(new_root)`."""
        if not isinstance(changes, Mapping):
            changes = dict(changes)
        limit = self.layout.max_inline_value
        if limit is None:
            limit = 1 << 62
        ch = [(k.hex(), v if v is None or (type(v) is bytes and len(v) <= limit) else _value_slot(v, limit))
              for k, v in changes.items()]
        root = self._root_node()
        # a block allocates tens of thousands of containers, none in a cycle:
        # pausing the cyclic collector spares the collections they would set off
        paused = gc.isenabled()
        gc.disable()
        try:
            if ch:
                ch.sort(key=_first)
                root = apply_changes(root, ch, 0, self._load)
            return self._commit(root)
        finally:
            if paused:
                gc.enable()

    def _commit(self, root: Node | None) -> tuple[bytes, dict[bytes, bytes]]:
        out: dict[bytes, bytes] = {}
        if root is None:
            out[EMPTY_ROOT] = EMPTY_NODE
            return EMPTY_ROOT, out
        if root.enc is None or root.hash is None:
            fresh: list[Node] = []
            enc = root.enc if root.enc is not None else encode_node(root, out, fresh)
            if root.hash is None:
                root.hash = blake2_256(enc)
            out[root.hash] = enc
            fresh.append(root)
            self.cache.put_many(fresh)
        return root.hash, out

    # ------------------------------------------------------------ proofs

    def read_proof(self, keys: Iterable[bytes]) -> list[bytes]:
        """The encoded nodes (and hashed values) read when looking up `keys`,
        as `state_getReadProof` returns them: unique, sorted."""
        nodes: set[bytes] = set()

        def visit(node: Node, by_hash: bool) -> None:
            if by_hash:
                nodes.add(node.enc)

        for key in keys:
            value = self._find(key, visit)
            if type(value) is ValueRef:
                nodes.add(self._value(value))
        return sorted(nodes)


def _first(item):
    return item[0]


def _value_slot(value, limit: int):
    """A written value as a node holds it: bytes inline, else a ValueRef."""
    value = bytes(value)
    return value if len(value) <= limit else ValueRef(None, value)


class _ProofStore:
    def __init__(self, proof: Iterable[bytes]) -> None:
        self.nodes = {blake2_256(bytes(n)): bytes(n) for n in proof}

    def get(self, hash: bytes) -> bytes | None:
        return self.nodes.get(hash)


def verify_proof(root: bytes, proof: Iterable[bytes], keys: Iterable[bytes]) -> dict[bytes, bytes | None]:
    """Looks `keys` up in the partial trie a storage proof holds; returns each
    key's value (None: proven absent).  Raises ProofError when the proof lacks
    a node needed to answer."""
    trie = Trie(_ProofStore(proof), root, cache=NodeCache())
    result: dict[bytes, bytes | None] = {}
    for key in keys:
        try:
            result[bytes(key)] = trie.get(key)
        except MissingNode as e:
            raise ProofError(f"proof is incomplete for key 0x{bytes(key).hex()}: {e}") from None
        except BadNode as e:
            raise ProofError(f"proof holds a malformed node: {e}") from None
    return result


def build_trie(items: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]],
               layout: Layout = LayoutV1) -> tuple[bytes, dict[bytes, bytes]]:
    """Builds a trie from scratch: `(root, nodes)` (e.g. for genesis)."""
    return Trie({}, EMPTY_ROOT, layout).apply(items)


__all__ = ["NodeCache", "Trie", "TrieNodeStore", "build_trie", "verify_proof"]
