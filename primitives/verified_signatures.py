"""Signatures this node has already verified: a bounded LRU the runtime's signature check consults.

A transaction's signature is verified when it enters the pool; the block that includes it
then arrives (or is authored) moments later. The runtime records each pool-verified
signature here and, when it checks a block's signatures, skips those it finds.

An entry is the extrinsic hash (covers the signer, the signature kind and bytes, the call and
the signed extensions) plus the exact message the signature was verified over (the signing
payload, which also holds spec/transaction version, genesis and era block hash). A hit
therefore means the very same ``verify(kind, signature, message, signer)`` already returned
True; a different payload (another fork's era hash, another runtime version) or a
tampered extrinsic is a miss and is verified in full. Only successes are recorded.
"""
from __future__ import annotations

import collections
import threading

DEFAULT_CAPACITY = 32_768   # a few full pools' worth (max_ready 8192 + future 1024)


class VerifiedSignatures:
    """A bounded set of (extrinsic hash, signed message) whose signature verified; thread-safe
    (pool validation may run on worker threads while a block is imported)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._entries: collections.OrderedDict[bytes, None] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def _key(ext_hash: bytes, message: bytes) -> bytes:
        # the hash is fixed-size (32), so hash + message cannot be split two ways
        assert len(ext_hash) == 32
        return ext_hash + message

    def add(self, ext_hash: bytes, message: bytes) -> None:
        key = self._key(ext_hash, message)
        with self._lock:
            self._entries[key] = None
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def contains(self, ext_hash: bytes, message: bytes) -> bool:
        key = self._key(ext_hash, message)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return True
            self.misses += 1
            return False

    def __len__(self) -> int:
        return len(self._entries)
