"""Trie benchmarks: incremental `apply` of a block's change set on a 100k-key
state (state version 1) against rebuilding the root from scratch.

Keys look like FRAME map keys (twox128(pallet) ++ twox128(item) ++
blake2_128(account) ++ account: 80 bytes under a few shared 32-byte prefixes);
values are 80 bytes (an AccountInfo), so they are stored as hashed value nodes.
A block of ~3000 transfers writes ~6000 such keys.
"""
from __future__ import annotations

import random
import time

from storage.trie import EMPTY_ROOT, LayoutV1, NodeCache, Trie, trie_root

STATE_KEYS = 100_000
BLOCK_CHANGES = (100, 1000, 6000)


def _state(rng: random.Random) -> tuple[list[bytes], dict[bytes, bytes]]:
    prefixes = [rng.randbytes(32) for _ in range(4)]
    weights = [0.85, 0.1, 0.04, 0.01]  # one big map (balances), smaller ones
    state = {}
    while len(state) < STATE_KEYS:
        account = rng.randbytes(32)
        key = rng.choices(prefixes, weights)[0] + rng.randbytes(16) + account
        state[key] = rng.randbytes(80)
    return prefixes, state


def _changes(rng: random.Random, keys: list[bytes], prefixes: list[bytes], n: int) -> dict:
    changes = {k: rng.randbytes(80) for k in rng.sample(keys, n - n // 20)}
    while len(changes) < n:  # a few new accounts
        changes[prefixes[0] + rng.randbytes(48)] = rng.randbytes(80)
    return changes


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench() -> list[dict]:
    rng = random.Random(2024)
    prefixes, state = _state(rng)
    keys = list(state)
    store: dict[bytes, bytes] = {}
    genesis = Trie(store, EMPTY_ROOT, LayoutV1)
    t = time.perf_counter()
    root, nodes = genesis.apply(state)
    genesis_s = time.perf_counter() - t
    store.update(nodes)
    warm = genesis.at(root)  # the whole state in memory, as the node keeps its head

    rows = [{
        "benchmark": f"trie build {STATE_KEYS // 1000}k keys (genesis)", "value": genesis_s * 1e3,
        "unit": "ms", "lower_is_better": True, "note": f"{len(nodes):,} nodes incl. value nodes",
    }]
    for n in BLOCK_CHANGES:
        changes = _changes(rng, keys, prefixes, n)
        after = dict(state)
        after.update(changes)
        new_root, new_nodes = warm.apply(changes)
        rebuild_s = _best(lambda: trie_root(after, LayoutV1), 1 if n > 1000 else 2)
        assert trie_root(after, LayoutV1) == new_root
        warm_s = _best(lambda: warm.apply(changes), 5)
        cold_s = _best(lambda: Trie(store, root, LayoutV1, NodeCache()).apply(changes), 3)
        rows.append({
            "benchmark": f"trie apply {n} changes, 100k keys (in memory)", "value": warm_s * 1e3,
            "unit": "ms", "baseline": rebuild_s * 1e3, "baseline_name": "rebuild root from scratch",
            "lower_is_better": True, "note": f"{len(new_nodes):,} new nodes",
        })
        rows.append({
            "benchmark": f"trie apply {n} changes, 100k keys (cold: nodes from store)",
            "value": cold_s * 1e3, "unit": "ms", "baseline": rebuild_s * 1e3,
            "baseline_name": "rebuild root from scratch", "lower_is_better": True,
            "note": "empty node cache, dict store",
        })
    sample = rng.sample(keys, 10_000)
    get_s = _best(lambda: [warm.get(k) for k in sample], 3)
    rows.append({
        "benchmark": "trie get (in memory, hashed values)", "value": get_s / len(sample) * 1e6,
        "unit": "us/key", "lower_is_better": True, "note": "10k random existing keys",
    })
    page_s = _best(lambda: list(warm.keys(prefixes[0], start_after=sample[0], limit=1000)), 3)
    rows.append({
        "benchmark": "trie keys paged (1000 keys after a start key)", "value": page_s * 1e3,
        "unit": "ms", "lower_is_better": True, "note": "state_getKeysPaged page",
    })
    proof_s = _best(lambda: warm.read_proof(sample[:100]), 3)
    rows.append({
        "benchmark": "trie read_proof (100 keys)", "value": proof_s * 1e3,
        "unit": "ms", "lower_is_better": True, "note": "",
    })
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row)
