"""Property tests: the trie against a plain dict model.

`trie_root` (built from scratch) is the oracle for incremental `apply`; reads,
iteration and proofs are checked against the dict."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.trie import (
    EMPTY_ROOT, LayoutV0, LayoutV1, NodeCache, ProofError, Trie, trie_root, verify_proof,
)

# few distinct bytes, short keys: lots of shared prefixes, keys that are
# prefixes of others, odd/even split points, the empty key
short_keys = st.lists(st.sampled_from([0x00, 0x01, 0x10, 0x1F, 0xA5, 0xFF]), max_size=4).map(bytes)
# and FRAME-like keys under long shared prefixes (partial keys past the
# 63-nibble header limit, multi-byte headers)
LONG_PREFIXES = [bytes(range(32)), bytes(range(32))[:31] + b"\xff", b"\x01" * 40]
keys = st.one_of(short_keys, st.tuples(st.sampled_from(LONG_PREFIXES), short_keys).map(b"".join))
values = st.one_of(
    st.binary(max_size=3),
    st.binary(min_size=30, max_size=36),  # around the 32-byte V1 threshold
    st.binary(min_size=60, max_size=90),
)
change_sets = st.dictionaries(keys, st.one_of(st.none(), values), max_size=12)
layouts = st.sampled_from([LayoutV0, LayoutV1])

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
APPLY_SETTINGS = settings(SETTINGS, max_examples=300)


def _check_reads(trie: Trie, model: dict[bytes, bytes]) -> None:
    for k, v in model.items():
        assert trie.get(k) == v
    assert list(trie.items()) == sorted(model.items())


@APPLY_SETTINGS
@given(layout=layouts, steps=st.lists(change_sets, min_size=1, max_size=6))
def test_apply_matches_rebuild(layout, steps):
    store: dict[bytes, bytes] = {}
    trie = Trie(store, EMPTY_ROOT, layout)
    model: dict[bytes, bytes] = {}
    history = []
    for changes in steps:
        root, nodes = trie.apply(changes)
        store.update(nodes)
        for k, v in changes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = v
        assert root == trie_root(model, layout)
        trie = trie.at(root)
        history.append((root, dict(model)))
        # a cold view (empty cache) sees the same state through the store alone
        _check_reads(Trie(store, root, layout, NodeCache()), model)
    # archive: every historic root is still complete in the store
    for root, snapshot in history:
        _check_reads(Trie(store, root, layout, NodeCache()), snapshot)


@APPLY_SETTINGS
@given(layout=layouts, base=change_sets, changes=change_sets)
def test_apply_on_cold_trie(layout, base, changes):
    # the update path that loads nodes lazily from the store gives the same root
    store: dict[bytes, bytes] = {}
    root, nodes = Trie(store, EMPTY_ROOT, layout).apply(base)
    store.update(nodes)
    new_root, new_nodes = Trie(store, root, layout, NodeCache()).apply(changes)
    model = {k: v for k, v in base.items() if v is not None}
    for k, v in changes.items():
        if v is None:
            model.pop(k, None)
        else:
            model[k] = v
    assert new_root == trie_root(model, layout)
    store.update(new_nodes)
    _check_reads(Trie(store, new_root, layout, NodeCache()), model)


@SETTINGS
@given(layout=layouts, contents=st.dictionaries(keys, values, max_size=20), probe=st.lists(keys, max_size=6))
def test_get_and_absent_keys(layout, contents, probe):
    root, store = Trie({}, EMPTY_ROOT, layout).apply(contents)
    trie = Trie(store, root, layout, NodeCache())
    for k in probe:
        assert trie.get(k) == contents.get(k)
        assert (k in trie) == (k in contents)


@SETTINGS
@given(contents=st.dictionaries(keys, values, max_size=20), prefix=keys,
       start_after=st.one_of(st.none(), keys), limit=st.one_of(st.none(), st.integers(0, 5)))
def test_iteration_matches_model(contents, prefix, start_after, limit):
    root, store = Trie({}, EMPTY_ROOT, LayoutV1).apply(contents)
    trie = Trie(store, root, LayoutV1, NodeCache())
    expected = sorted(k for k in contents
                      if k.startswith(prefix) and (start_after is None or k > start_after))
    if limit is not None:
        expected = expected[:limit]
    assert list(trie.keys(prefix, start_after, limit)) == expected
    assert list(trie.items(prefix, start_after, limit)) == [(k, contents[k]) for k in expected]


@SETTINGS
@given(layout=layouts, contents=st.dictionaries(keys, values, max_size=20),
       asked=st.lists(keys, min_size=1, max_size=5), other=keys)
def test_read_proof_verifies(layout, contents, asked, other):
    root, store = Trie({}, EMPTY_ROOT, layout).apply(contents)
    proof = Trie(store, root, layout, NodeCache()).read_proof(asked)
    assert proof == sorted(set(proof))
    assert set(proof) <= set(store.values())
    assert verify_proof(root, proof, asked) == {k: contents.get(k) for k in asked}
    # a key the proof was not made for is answered correctly or refused
    try:
        got = verify_proof(root, proof, [other])
    except ProofError:
        pass
    else:
        assert got == {other: contents.get(other)}


@SETTINGS
@given(layout=layouts, before=st.dictionaries(keys, values, max_size=12), changes=change_sets,
       prefix=st.one_of(short_keys, st.sampled_from(LONG_PREFIXES)))
def test_closest_descendant_merkle_value_tracks_the_subtree(layout, before, changes, prefix):
    """chainHead_v1's closestDescendantMerkleValue: None with nothing under the prefix, the root for
    the empty prefix, and a different value whenever something under the prefix changed."""
    store: dict[bytes, bytes] = {}
    root, nodes = Trie(store, EMPTY_ROOT, layout).apply(before)
    store.update(nodes)
    after = {**before, **changes}
    after = {k: v for k, v in after.items() if v is not None}
    root2, nodes2 = Trie(store, root, layout).apply(changes)
    store.update(nodes2)

    def under(model):
        return {k: v for k, v in model.items() if k.startswith(prefix)}

    old = Trie(store, root, layout).closest_descendant_merkle_value(prefix)
    new = Trie(store, root2, layout).closest_descendant_merkle_value(prefix)
    assert (old is None) == (not under(before))
    assert (new is None) == (not under(after))
    if before:
        assert Trie(store, root, layout).closest_descendant_merkle_value(b"") == root
    if under(before) and under(after) and under(before) != under(after):
        assert old != new
