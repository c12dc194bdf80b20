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
from typing import NamedTuple

from .errors import BadNode

HASH_LEN = 32
HEX = "0123456789abcdef"
NIBBLE = {c: i for i, c in enumerate(HEX)}


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


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

    `enc`/`hash` cache the encoding; a node whose `enc` is None is new (dirty).
    Committed nodes are treated as immutable and may be shared between roots;
    the one permitted mutation is replacing a hash in `children` by the decoded
    node it names."""

    __slots__ = ("partial", "value", "children", "enc", "hash")

    def __init__(self, partial: str, value, children: list | None,
                 enc: bytes | None = None, hash: bytes | None = None) -> None:
        self.partial = partial
        self.value = value
        self.children = children
        self.enc = enc
        self.hash = hash

    def __repr__(self) -> str:
        kind = "Leaf" if self.children is None else "Branch"
        return f"{kind}({self.partial!r}, {self.value!r})"


# ---------------------------------------------------------------- primitives

_COMPACT_SMALL = [bytes((n << 2,)) for n in range(64)]


def compact(n: int) -> bytes:
    """SCALE Compact<u32/u64> encoding of a non-negative integer."""
    if n < 64:
        return _COMPACT_SMALL[n]
    if n < 1 << 14:
        return ((n << 2) | 1).to_bytes(2, "little")
    if n < 1 << 30:
        return ((n << 2) | 2).to_bytes(4, "little")
    size = (n.bit_length() + 7) // 8
    return bytes((((size - 4) << 2) | 3,)) + n.to_bytes(size, "little")


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

def encode_leaf(partial: str, value) -> bytes:
    """Encoding of a leaf; `value` must be bytes or a hashed ValueRef."""
    if type(value) is bytes:
        return b"".join((header(LEAF, len(partial)), _partial_bytes(partial),
                         compact(len(value)), value))
    return header(HASHED_LEAF, len(partial)) + _partial_bytes(partial) + value.hash


def encode_branch(partial: str, value, child_refs: list[bytes | None]) -> bytes:
    """`child_refs[i]` is the already-encoded child reference (Compact length
    ++ hash or inline encoding) or None."""
    bitmap = 0
    parts = [b"", _partial_bytes(partial), b""]
    if value is None:
        parts[0] = header(BRANCH_NO_VALUE, len(partial))
    elif type(value) is bytes:
        parts[0] = header(BRANCH_WITH_VALUE, len(partial))
        parts.append(compact(len(value)))
        parts.append(value)
    else:
        parts[0] = header(HASHED_BRANCH, len(partial))
        parts.append(value.hash)
    bit = 1
    for ref in child_refs:
        if ref is not None:
            bitmap |= bit
            parts.append(ref)
        bit <<= 1
    parts[2] = bitmap.to_bytes(2, "little")
    return b"".join(parts)


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

    if is_branch:
        children = [None] * 16
        for i in range(16):
            if bitmap >> i & 1:
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

    node = Node(partial, value, children, None, hash)
    node.enc = data if (start == 0 and end == len(data)) else data[start:end]
    return node, pos
