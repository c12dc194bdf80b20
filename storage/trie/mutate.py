"""Batch construction and update of the trie structure.

Both work on a sorted list of `(hex_key, value)` pairs, `value` being None
(delete), bytes (inline value) or a ValueRef (hashed value, state version 1).
Keys are walked with an offset `d` (in nibbles) instead of being sliced.

`apply_changes` merges a whole change set into a node in one pass: the changes
under a branch are grouped by their next nibble and each group is merged into
the matching child, so every node on a dirty path is rebuilt exactly once and
untouched subtrees are shared, encodings and hashes included; encoding
(`codec.encode_node`) then only visits the new nodes.
"""
from __future__ import annotations

from typing import Callable

from .codec import HEX, NIBBLE, Node

Item = tuple[str, object]
Loader = Callable[[bytes], Node]


def common_prefix_len(a: str, b: str, d: int) -> int:
    """Length of the common prefix of `a[d:]` and `b[d:]`."""
    lo, hi = 0, min(len(a), len(b)) - d
    if hi <= 0 or a[d] != b[d]:
        return 0
    lo = 1
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if a[d:d + mid] == b[d:d + mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _partial_match_len(key: str, d: int, partial: str) -> int:
    """Length of the common prefix of `key[d:]` and `partial`."""
    n = min(len(partial), len(key) - d)
    if n <= 0 or key[d] != partial[0]:
        return 0
    lo, hi = 1, n
    while lo < hi:
        mid = (lo + hi + 1) >> 1
        if key.startswith(partial[:mid], d):
            lo = mid
        else:
            hi = mid - 1
    return lo


def build(items: list[Item], d: int) -> Node:
    """Builds the subtree holding `items` (sorted, unique, no deletes, sharing
    their first `d` nibbles)."""
    if len(items) == 1:
        k, v = items[0]
        return Node(k[d:], v, None)
    first = items[0][0]
    e = d + common_prefix_len(first, items[-1][0], d)
    children = [None] * 16
    value = None
    i = 0
    if len(first) == e:
        value = items[0][1]
        i = 1
    m = len(items)
    while i < m:
        c = items[i][0][e]
        j = i + 1
        while j < m and items[j][0][e] == c:
            j += 1
        children[NIBBLE[c]] = build(items[i:j], e + 1)
        i = j
    return Node(first[d:e], value, children)


def apply_changes(node: Node | None, ch: list[Item], d: int, load: Loader) -> Node | None:
    """Returns the node replacing `node` (the subtree at nibble depth `d`) once
    the sorted, non-empty change list `ch` is applied.  Returns `node` itself
    when nothing changes."""
    if node is None:
        items = [c for c in ch if c[1] is not None]
        return build(items, d) if items else None
    if node.children is None:
        return _apply_leaf(node, ch, d)

    p = node.partial
    first = ch[0][0]
    last = ch[-1][0]
    if not (first.startswith(p, d) and last.startswith(p, d)):
        # some keys leave the branch's path: deleting them is a no-op
        ch = [c for c in ch if c[1] is not None or c[0].startswith(p, d)]
        if not ch:
            return node
        first = ch[0][0]
        last = ch[-1][0]
        if not (first.startswith(p, d) and last.startswith(p, d)):
            # in a sorted list, the ends share the least with the path
            split = min(_partial_match_len(first, d, p), _partial_match_len(last, d, p))
            children = [None] * 16
            children[NIBBLE[p[split]]] = Node(p[split + 1:], node.value, node.children, node.refs)
            node = Node(p[:split], None, children)
            p = node.partial

    e = d + len(p)
    value = node.value
    children = node.children
    new_children = None
    dirty = []
    removed = False
    i = 0
    if len(first) == e:
        value = ch[0][1]
        i = 1
    m = len(ch)
    while i < m:
        c = ch[i][0][e]
        j = i + 1
        while j < m and ch[j][0][e] == c:
            j += 1
        idx = NIBBLE[c]
        old = children[idx]
        if type(old) is bytes:
            old = children[idx] = load(old)
        if j - i == 1 and old is not None and old.children is None:
            # one write meeting a leaf: mostly a new value for that very key
            k, v = ch[i]
            lp = old.partial
            if v is not None and len(k) == e + 1 + len(lp) and k.startswith(lp, e + 1):
                new = Node(lp, v, None)
            else:
                new = _apply_leaf(old, ch[i:j], e + 1)
        else:
            new = apply_changes(old, ch[i:j] if (i or j < m) else ch, e + 1, load)
        if new is not old:
            if new_children is None:
                new_children = list(children)
            new_children[idx] = new
            dirty.append(idx)
            if new is None:
                removed = True
        i = j
    refs = node.refs
    if new_children is None:
        if value is node.value:
            return node
        new_children = children
    elif refs is not None:
        refs = list(refs)
    if removed or (value is None and node.value is not None):
        return _normalize(p, value, new_children, load, refs, dirty)
    return Node(p, value, new_children, refs, dirty)  # nothing removed: still a valid branch


def _apply_leaf(node: Node, ch: list[Item], d: int) -> Node | None:
    p = node.partial
    if len(ch) == 1:  # the common case: one write to this very key, or none
        k, v = ch[0]
        if len(k) == d + len(p) and k.startswith(p, d):
            return None if v is None else Node(p, v, None)
        if v is None:
            return node
    full = ch[0][0][:d] + p
    value = node.value
    items = []
    for k, v in ch:
        if k == full:
            value = v
        elif v is not None:
            items.append((k, v))
    if not items:
        if value is node.value:
            return node
        if value is None:
            return None
        return Node(p, value, None)
    if value is not None:
        # insert the leaf's own entry in order (keys are unique, so the
        # comparison never reaches the values)
        lo, hi = 0, len(items)
        while lo < hi:
            mid = (lo + hi) >> 1
            if items[mid][0] < full:
                lo = mid + 1
            else:
                hi = mid
        items.insert(lo, (full, value))
    return build(items, d)


def _normalize(partial: str, value, children: list, load: Loader,
               refs: list | None, dirty: list) -> Node | None:
    """A branch must keep a value or two children: fold what is left."""
    count = 16 - children.count(None)
    if count == 0:
        return None if value is None else Node(partial, value, None)
    if count == 1 and value is None:
        for i in range(16):
            child = children[i]
            if child is not None:
                break
        if type(child) is bytes:
            child = children[i] = load(child)
        # the child may itself be new: its stale refs go along with it
        return Node(partial + HEX[i] + child.partial, child.value, child.children,
                    child.refs, child.dirty)
    return Node(partial, value, children, refs, dirty)
