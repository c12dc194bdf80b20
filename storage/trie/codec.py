"""Substrate trie node format (`sp_trie::NodeCodec` + `sp_trie::node_header`).

Nodes are kept as `Node` objects whose nibble paths are lowercase hex strings
(one character per nibble): `bytes.hex()` turns a key into its nibble path at C
speed, string slicing/`startswith` do the prefix work, and hex strings sort in
the same order as the byte keys they spell.

Wire format (no extension nodes; "nibbled branches" carry a partial key):

  header   first byte, high bits select the kind, low bits hold the partial-key
           nibble count (continued in following bytes when saturated):
             0b01xx_xxxx leaf                 0b001x_xxxx leaf, hashed value
             0b10xx_xxxx branch without value 0b0001_xxxx branch, hashed value
             0b11xx_xxxx branch with value    0x00        empty trie
  partial  nibbles packed two per byte; an odd count puts the first nibble
           alone in the low half of the first byte
  bitmap   branches only: u16 little-endian, bit i set when child i exists
  value    Compact(len) ++ bytes, or a bare 32-byte blake2_256 hash for the
           hashed-value kinds (state version 1 values longer than 32 bytes)
  children each Compact(len) ++ (32-byte hash | inline encoding < 32 bytes)
"""
from __future__ import annotations

import hashlib
from itertools import compress
from typing import NamedTuple

from primitives.scale import encode_compact

from .errors import BadNode

HASH_LEN = 32
HEX = "0123456789abcdef"
NIBBLE = {c: i for i, c in enumerate(HEX)}


_BLAKE2_256 = hashlib.blake2b(digest_size=32).copy


def blake2_256(data: bytes) -> bytes:
    h = _BLAKE2_256()  # copying a prepared state beats keyword construction
    h.update(data)
    return h.digest()


EMPTY_NODE = b"\x00"
EMPTY_ROOT = blake2_256(EMPTY_NODE)


class Layout(NamedTuple):
    """`sp_trie::LayoutV0` / `LayoutV1`: values longer than `max_inline_value`
    bytes are stored as separate value nodes referenced by hash (V1 only)."""

    state_version: int
    max_inline_value: int | None


LayoutV0 = Layout(0, None)
LayoutV1 = Layout(1, 32)  # sp_core::storage::TRIE_VALUE_NODE_THRESHOLD = 33


def layout_for(state_version: int) -> Layout:
    if state_version == 0:
        return LayoutV0
    if state_version == 1:
        return LayoutV1
    raise ValueError(f"unknown state version {state_version}")


class ValueRef:
    """A value stored in its own node, referenced by `hash` from the trie node.

    `data` is the value when known (new values, or loaded ones); `hash` is None
    for a value not yet committed.  Values kept as plain `bytes` on a `Node` are
    always encoded inline, whatever their length (as trie-db does for values
    read from existing nodes)."""

    __slots__ = ("hash", "data")

    def __init__(self, hash: bytes | None, data: bytes | None) -> None:
        self.hash = hash
        self.data = data

    def __repr__(self) -> str:
        return f"ValueRef({self.hash.hex() if self.hash else None}, {len(self.data) if self.data is not None else '?'}B)"


class Node:
    """A leaf (`children is None`) or a branch (`children` = 16 slots, each None,
    a `Node`, or the 32-byte hash of a node not loaded yet).

    `enc`/`hash` cache the encoding; a node whose `enc` is None is new.  A
    branch also keeps `refs`, its children's references as encoded (Compact
    length ++ hash or inline encoding, None for an empty slot); a new branch
    made from an old one copies them and lists in `dirty` the slots to redo,
    so encoding it costs in proportion to what changed.
    Committed nodes are treated as immutable and may be shared between roots;
    the one permitted mutation is replacing a hash in `children` by the decoded
    node it names."""

    __slots__ = ("partial", "value", "children", "enc", "hash", "refs", "dirty")

    def __init__(self, partial: str, value, children: list | None,
                 refs: list | None = None, dirty: list | None = None) -> None:
        self.partial = partial
        self.value = value
        self.children = children
        self.enc = None
        self.hash = None
        self.refs = refs    # None: all slots to compute
        self.dirty = dirty  # slots whose ref in `refs` is stale

    def __repr__(self) -> str:
        kind = "Leaf" if self.children is None else "Branch"
        return f"{kind}({self.partial!r}, {self.value!r})"


# ---------------------------------------------------------------- primitives

compact = encode_compact   # SCALE Compact<u32/u64> of a non-negative integer (primitives.scale)
_COMPACT_SMALL = [compact(n) for n in range(64)]   # inlined on the hot paths below


def decode_compact(data: bytes, pos: int) -> tuple[int, int]:
    """Returns (value, position after it)."""
    try:
        b = data[pos]
        mode = b & 3
        if mode == 0:
            return b >> 2, pos + 1
        if mode == 1:
            end = pos + 2
            width = 2
        elif mode == 2:
            end = pos + 4
            width = 4
        else:
            width = (b >> 2) + 4
            pos += 1
            end = pos + width
        if end > len(data):
            raise BadNode("truncated compact integer")
        v = int.from_bytes(data[pos:end], "little")
        return (v if mode == 3 else v >> 2), end
    except IndexError:
        raise BadNode("truncated compact integer") from None


# header kinds: (prefix byte, number of prefix bits)
LEAF = (0b01 << 6, 2)
BRANCH_NO_VALUE = (0b10 << 6, 2)
BRANCH_WITH_VALUE = (0b11 << 6, 2)
HASHED_LEAF = (0b001 << 5, 3)
HASHED_BRANCH = (0b0001 << 4, 4)

_header_cache: dict[tuple[int, int], bytes] = {}


def header(kind: tuple[int, int], nibbles: int) -> bytes:
    """`size_and_prefix_iterator`: the count goes in the low bits; a saturated
    field continues in following bytes (255 = "add 255 and go on")."""
    prefix, bits = kind
    got = _header_cache.get((prefix, nibbles))
    if got is not None:
        return got
    max_value = 255 >> bits
    if nibbles < max_value:
        out = bytes((prefix | nibbles,))
    else:
        buf = bytearray((prefix | max_value,))
        rem = nibbles - (max_value - 1)
        while rem >= 256:
            buf.append(255)
            rem -= 255
        buf.append(rem - 1)
        out = bytes(buf)
    if nibbles < 1024:
        _header_cache[(prefix, nibbles)] = out
    return out


def _partial_bytes(partial: str) -> bytes:
    return bytes.fromhex("0" + partial if len(partial) & 1 else partial)


# ---------------------------------------------------------------- encoding

_TABLE = 1024  # headers precomputed for partial keys shorter than this
_LEAF_H = [header(LEAF, n) for n in range(_TABLE)]
_HLEAF_H = [header(HASHED_LEAF, n) for n in range(_TABLE)]
_BRANCH_H = [header(BRANCH_NO_VALUE, n) for n in range(_TABLE)]
_VBRANCH_H = [header(BRANCH_WITH_VALUE, n) for n in range(_TABLE)]
_HBRANCH_H = [header(HASHED_BRANCH, n) for n in range(_TABLE)]
_fromhex = bytes.fromhex
_BITS = [1 << i for i in range(16)]


def encode_node(node: Node, out: dict[bytes, bytes], fresh: list[Node]) -> bytes:
    """Encodes `node`, first encoding its new descendants (the ones whose
    `enc` is None).  Every node newly stored by hash goes to `out` (hash ->
    encoding) and to `fresh`; value nodes newly stored go to `out` too.
    Sets `enc` (and `hash`, `refs`) on the nodes encoded."""
    partial = node.partial
    n = len(partial)
    pk = _fromhex("0" + partial if n & 1 else partial)
    value = node.value
    children = node.children
    if children is None:
        if type(value) is bytes:
            size = len(value)
            enc = b"".join((_LEAF_H[n] if n < _TABLE else header(LEAF, n), pk,
                            _COMPACT_SMALL[size] if size < 64 else compact(size), value))
        else:
            h = value.hash
            if h is None:
                hasher = _BLAKE2_256()
                hasher.update(value.data)
                h = value.hash = hasher.digest()
                out[h] = value.data
            enc = b"".join((_HLEAF_H[n] if n < _TABLE else header(HASHED_LEAF, n), pk, h))
        node.enc = enc
        return enc

    if value is None:
        head = [_BRANCH_H[n] if n < _TABLE else header(BRANCH_NO_VALUE, n), pk]
    elif type(value) is bytes:
        head = [_VBRANCH_H[n] if n < _TABLE else header(BRANCH_WITH_VALUE, n), pk, None,
                compact(len(value)), value]
    else:
        h = value.hash
        if h is None:
            h = value.hash = blake2_256(value.data)
            out[h] = value.data
        head = [_HBRANCH_H[n] if n < _TABLE else header(HASHED_BRANCH, n), pk, None, h]
    refs = node.refs
    if refs is None:
        refs = node.refs = [None] * 16
        slots = range(16)
    else:
        slots = node.dirty or ()
    for i in slots:
        c = children[i]
        if c is None:
            refs[i] = None
        elif type(c) is bytes:
            refs[i] = b"\x80" + c  # Compact(32) ++ hash
        else:
            e = c.enc
            if e is None:
                e = encode_node(c, out, fresh)
            if len(e) < HASH_LEN:
                refs[i] = _COMPACT_SMALL[len(e)] + e
            else:
                h = c.hash
                if h is None:
                    hasher = _BLAKE2_256()
                    hasher.update(e)
                    h = c.hash = hasher.digest()
                    out[h] = e
                    fresh.append(c)
                refs[i] = b"\x80" + h
    node.dirty = None
    bitmap = sum(compress(_BITS, children)).to_bytes(2, "little")
    if len(head) == 2:
        head.append(bitmap)
    else:
        head[2] = bitmap
    head.extend(filter(None, refs))
    enc = node.enc = b"".join(head)
    return enc


# ---------------------------------------------------------------- decoding

def decode_node(data: bytes, hash: bytes | None = None) -> Node | None:
    """Decodes one encoded node (None for the empty-trie node).  Inline
    children are decoded recursively; hashed children stay as their hash."""
    node, _ = _decode(data, 0, len(data), hash)
    return node


def _decode(data: bytes, pos: int, end: int, hash: bytes | None) -> tuple[Node | None, int]:
    start = pos
    if pos >= end:
        raise BadNode("empty node encoding")
    first = data[pos]
    pos += 1
    if first == 0:
        return None, pos
    top = first >> 6
    if top == 0b01:
        is_branch, has_value, hashed, bits = False, True, False, 2
    elif top == 0b10:
        is_branch, has_value, hashed, bits = True, False, False, 2
    elif top == 0b11:
        is_branch, has_value, hashed, bits = True, True, False, 2
    elif first >> 5 == 0b001:
        is_branch, has_value, hashed, bits = False, True, True, 3
    elif first >> 4 == 0b0001:
        is_branch, has_value, hashed, bits = True, True, True, 4
    else:
        raise BadNode(f"unallowed node header byte {first:#04x}")

    max_value = 255 >> bits
    nibbles = first & max_value
    if nibbles == max_value:
        nibbles -= 1
        while True:
            if pos >= end:
                raise BadNode("truncated node header")
            b = data[pos]
            pos += 1
            if b < 255:
                nibbles += b + 1
                break
            nibbles += 255

    nbytes = (nibbles + 1) // 2
    if pos + nbytes > end:
        raise BadNode("truncated partial key")
    partial = data[pos:pos + nbytes].hex()
    if nibbles & 1:
        if partial[0] != "0":
            raise BadNode("bad partial key padding")
        partial = partial[1:]
    pos += nbytes

    children = None
    if is_branch:
        if pos + 2 > end:
            raise BadNode("truncated bitmap")
        bitmap = data[pos] | (data[pos + 1] << 8)
        pos += 2
        if bitmap == 0:
            raise BadNode("branch without children")

    value = None
    if has_value:
        if hashed:
            if pos + HASH_LEN > end:
                raise BadNode("truncated value hash")
            value = ValueRef(data[pos:pos + HASH_LEN], None)
            pos += HASH_LEN
        else:
            n, pos = decode_compact(data, pos)
            if pos + n > end:
                raise BadNode("truncated value")
            value = data[pos:pos + n]
            pos += n

    refs = None
    if is_branch:
        children = [None] * 16
        refs = [None] * 16
        for i in range(16):
            if bitmap >> i & 1:
                ref_start = pos
                n, pos = decode_compact(data, pos)
                if pos + n > end:
                    raise BadNode("truncated child reference")
                if n == HASH_LEN:
                    children[i] = data[pos:pos + n]
                else:
                    child, used = _decode(data, pos, pos + n, None)
                    if child is None:
                        raise BadNode("empty inline child")
                    children[i] = child
                pos += n
                refs[i] = data[ref_start:pos]

    node = Node(partial, value, children, refs)
    node.hash = hash
    node.enc = data if (start == 0 and end == len(data)) else data[start:end]
    return node, pos
