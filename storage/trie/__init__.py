"""Substrate's base-16 Patricia-Merkle trie (`trie-db` + `sp-trie`), blake2_256.

    Trie(store, root, layout)          view of one root; store: hash -> encoded node
      .get(key) / .keys(...) / .items(...)
      .apply(changes) -> (new_root, new_nodes)   changes: key -> value | None
      .at(root)                        another root, same store and cache
      .read_proof(keys) -> [encoded node]
    verify_proof(root, proof, keys) -> {key: value | None}
    trie_root(items, layout), ordered_trie_root(values), build_trie(items, layout)
"""
from .codec import EMPTY_ROOT, Layout, LayoutV0, LayoutV1, blake2_256, decode_node, layout_for
from .errors import BadNode, MissingNode, ProofError, TrieError
from .roots import ordered_trie_root, trie_root
from .trie import NodeCache, Trie, TrieNodeStore, build_trie, verify_proof

__all__ = [
    "EMPTY_ROOT", "Layout", "LayoutV0", "LayoutV1", "blake2_256", "decode_node", "layout_for",
    "BadNode", "MissingNode", "ProofError", "TrieError",
    "ordered_trie_root", "trie_root",
    "NodeCache", "Trie", "TrieNodeStore", "build_trie", "verify_proof",
]
