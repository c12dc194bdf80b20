"""Unit tests of the trie API and node codec edge cases."""
from __future__ import annotations

import random

import pytest

from storage.trie import (
    EMPTY_ROOT, BadNode, LayoutV0, LayoutV1, MissingNode, NodeCache, Trie, blake2_256,
    build_trie, decode_node, layout_for, trie_root,
)
from storage.trie.codec import (
    BRANCH_NO_VALUE, HASHED_BRANCH, HASHED_LEAF, LEAF, ValueRef, compact, decode_compact,
    encode_node, header,
)


# ---------------------------------------------------------------- codec

@pytest.mark.parametrize("kind, nibbles, expected", [
    # sp_trie::node_header::size_and_prefix_iterator: the low bits saturate at
    # 2^k - 1; the remainder r = n - (2^k - 2) follows as 255-bytes (r -= 255)
    # while r >= 256, then one byte r - 1
    (LEAF, 0, "40"), (LEAF, 62, "7e"), (LEAF, 63, "7f00"), (LEAF, 64, "7f01"),
    (LEAF, 316, "7ffd"), (LEAF, 317, "7ffe"), (LEAF, 318, "7fff00"), (LEAF, 319, "7fff01"),
    (BRANCH_NO_VALUE, 63, "bf00"),
    (HASHED_LEAF, 30, "3e"), (HASHED_LEAF, 31, "3f00"),
    (HASHED_BRANCH, 14, "1e"), (HASHED_BRANCH, 15, "1f00"), (HASHED_BRANCH, 270, "1fff00"),
])
def test_header_size_encoding(kind, nibbles, expected):
    assert header(kind, nibbles).hex() == expected


@pytest.mark.parametrize("n", [0, 1, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**32 - 1, 2**40])
def test_compact_roundtrip(n):
    enc = compact(n)
    assert decode_compact(enc, 0) == (n, len(enc))


@pytest.mark.parametrize("partial_len", [1, 2, 61, 62, 63, 64, 65, 317, 318, 600])
@pytest.mark.parametrize("value_len", [0, 32, 33, 100])
def test_long_partials_roundtrip(partial_len, value_len):
    key = bytes(random.Random(partial_len).randrange(256) for _ in range((partial_len + 1) // 2))
    contents = {key: b"v" * value_len, key + b"\x01": b"w", key + b"\x02" * 40: b"x" * value_len}
    for layout in (LayoutV0, LayoutV1):
        root, nodes = build_trie(contents, layout)
        trie = Trie(nodes, root, layout, NodeCache())
        assert dict(trie.items()) == contents
        for enc in nodes.values():
            if enc not in contents.values():
                node = decode_node(enc)
                node.enc = node.refs = None  # encode again from the decoded fields
                assert encode_node(node, {}, []) == enc


def test_value_threshold_v1():
    inline, hashed = b"a" * 32, b"b" * 33
    root, nodes = build_trie({b"\x01": inline, b"\x02": hashed}, LayoutV1)
    assert blake2_256(hashed) in nodes and blake2_256(inline) not in nodes
    branch = decode_node(nodes[root])
    leaves = [c for c in branch.children if c is not None]
    values = [decode_node(nodes[c]).value if type(c) is bytes else c.value for c in leaves]
    assert values[0] == inline
    assert type(values[1]) is ValueRef and values[1].hash == blake2_256(hashed)
    # V0 keeps both inline
    root0, nodes0 = build_trie({b"\x01": inline, b"\x02": hashed}, LayoutV0)
    assert blake2_256(hashed) not in nodes0
    assert root0 != root


@pytest.mark.parametrize("enc, why", [
    (b"", "empty"),
    (b"\x01", "unallowed"),            # 0b0000_0001: no node kind
    (b"\x0f", "unallowed"),
    (b"\x80\x00\x00", "without children"),
    (b"\x41\x10\x04\x01", "padding"),  # odd nibble count with a nonzero pad nibble
    (b"\x42\xaa\x08\x01", "truncated"),
    (b"\x7f", "truncated"),
    (b"\x20" + b"\x00" * 31, "truncated"),
])
def test_decode_rejects_bad_nodes(enc, why):
    with pytest.raises(BadNode, match=why):
        decode_node(enc)


def test_decode_empty_node():
    assert decode_node(b"\x00") is None


def test_layout_for():
    assert layout_for(0) is LayoutV0 and layout_for(1) is LayoutV1
    with pytest.raises(ValueError):
        layout_for(2)


# ---------------------------------------------------------------- views

def test_apply_leaves_the_view_unchanged_and_at_opens_new_root():
    store: dict[bytes, bytes] = {}
    t0 = Trie(store)
    r1, n1 = t0.apply({b"a": b"1", b"ab": b"2"})
    store.update(n1)
    t1 = t0.at(r1)
    r2, n2 = t1.apply({b"a": None, b"abc": b"3"})
    store.update(n2)
    assert t0.root == EMPTY_ROOT and t0.get(b"a") is None
    assert t1.root == r1 and t1.get(b"a") == b"1" and t1.get(b"abc") is None
    t2 = t1.at(r2)
    assert t2.get(b"a") is None and t2.get(b"abc") == b"3"
    assert t2.layout is LayoutV1 and t2.cache is t0.cache


def test_apply_accepts_pairs_and_empty_change_sets():
    trie = Trie({})
    root, nodes = trie.apply([(b"k", b"1"), (b"k", b"2")])  # later pairs win
    assert root == trie_root({b"k": b"2"})
    assert Trie(nodes, root).apply({}) == (root, {})
    assert Trie(nodes, root).apply({b"zz": None}) == (root, {})  # deleting nothing


def test_delete_everything_gives_empty_root():
    root, nodes = build_trie({b"a": b"1", b"b": b"2"})
    new_root, _ = Trie(nodes, root).apply({b"a": None, b"b": None})
    assert new_root == EMPTY_ROOT


def test_missing_node_is_reported():
    root, nodes = build_trie({bytes([i]) * 40: b"v" * 40 for i in range(20)})
    del nodes[root]
    with pytest.raises(MissingNode) as err:
        Trie(nodes, root).get(b"\x00")
    assert err.value.hash == root
    with pytest.raises(ValueError):
        Trie(nodes, b"short")


def test_hashed_value_is_loaded_lazily():
    big = b"x" * 100
    root, nodes = build_trie({b"k": big})
    del nodes[blake2_256(big)]
    trie = Trie(nodes, root)
    assert b"k" in trie            # the node says the key exists...
    with pytest.raises(MissingNode):
        trie.get(b"k")             # ...its value is elsewhere


def test_v0_state_under_v1_layout_keeps_untouched_inline_values():
    # trie-db keeps a value read from an existing node inline when the node is
    # re-encoded; only values written again follow the new layout (this is how
    # state migration from version 0 to 1 behaves)
    big = b"B" * 40
    v0 = {b"a": big, b"ab": b"1", b"c": b"2"}
    root, nodes = build_trie(v0, LayoutV0)
    trie = Trie(nodes, root, LayoutV1)
    touched_sibling, _ = trie.apply({b"ab": b"9"})     # re-encodes the branch holding `a`
    assert touched_sibling == trie_root({**v0, b"ab": b"9"}, LayoutV0)
    rewritten, new_nodes = trie.apply({b"a": big})      # same bytes, written again
    assert rewritten == trie_root(v0, LayoutV1)
    assert new_nodes[blake2_256(big)] == big


def test_realistic_keys_incremental_vs_rebuild():
    rng = random.Random(7)
    prefixes = [rng.randbytes(32) for _ in range(3)]
    state = {rng.choice(prefixes) + rng.randbytes(48): rng.randbytes(rng.choice([8, 32, 33, 80]))
             for _ in range(600)}
    store: dict[bytes, bytes] = {}
    root, nodes = Trie(store).apply(state)
    store.update(nodes)
    trie = Trie(store).at(root)
    for _ in range(3):
        changes = {k: (None if rng.random() < 0.2 else rng.randbytes(40)) for k in rng.sample(list(state), 100)}
        changes.update({rng.choice(prefixes) + rng.randbytes(48): b"new" for _ in range(20)})
        root, nodes = trie.apply(changes)
        store.update(nodes)
        for k, v in changes.items():
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
        assert root == trie_root(state)
        trie = trie.at(root)
    cold = Trie(store, root, cache=NodeCache())
    assert list(cold.keys(prefixes[0])) == sorted(k for k in state if k.startswith(prefixes[0]))
    page = list(cold.keys(prefixes[1], start_after=prefixes[1] + b"\x80", limit=10))
    assert page == sorted(k for k in state if k.startswith(prefixes[1]) and k > prefixes[1] + b"\x80")[:10]


def test_node_cache_is_bounded():
    cache = NodeCache(capacity=32)
    root, nodes = build_trie({bytes([i, j]) * 20: b"v" * 40 for i in range(8) for j in range(8)})
    trie = Trie(nodes, root, cache=cache)
    assert len(list(trie.items())) == 64
    assert len(cache) <= 32


def test_values_of_other_bytes_types_are_stored_as_bytes():
    root, nodes = Trie({}).apply({b"a": bytearray(b"x" * 40), b"b": memoryview(b"yz")})
    assert root == trie_root({b"a": b"x" * 40, b"b": b"yz"})
    trie = Trie(nodes, root)
    assert type(trie.get(b"a")) is bytes and trie.get(b"b") == b"yz"


def test_collapse_onto_a_branch_changed_in_the_same_apply():
    # found by hypothesis: deleting `00` folds the root into branch `01`,
    # which the same change set modifies below
    state = {b"\x00": b"", b"\x01": b"", b"\x01\x00": b""}
    changes = {b"\x00": None, b"\x01\x00\x00": b""}
    for layout in (LayoutV0, LayoutV1):
        root, nodes = build_trie(state, layout)
        new_root, _ = Trie(nodes, root, layout).apply(changes)
        assert new_root == trie_root({b"\x01": b"", b"\x01\x00": b"", b"\x01\x00\x00": b""}, layout)
