"""Roots computed from scratch: `trie_root` (genesis, test oracle) and
`ordered_trie_root` (the extrinsics root)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .codec import Layout, LayoutV0, LayoutV1, compact
from .trie import build_trie


def trie_root(items: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]],
              layout: Layout = LayoutV1) -> bytes:
    """`sp_trie::TrieConfiguration::trie_root` (later pairs win on duplicates)."""
    return build_trie(items, layout)[0]


def ordered_trie_root(values: Iterable[bytes], layout: Layout = LayoutV0) -> bytes:
    """`sp_trie::LayoutV0::ordered_trie_root`: the i-th value under the key
    SCALE Compact(i).  Block extrinsics roots use it on the encoded extrinsics
    (`sp_runtime::traits::Hash::ordered_trie_root`, state version 0)."""
    return trie_root({compact(i): bytes(v) for i, v in enumerate(values)}, layout)
