"""Trie error types."""
from __future__ import annotations


class TrieError(Exception):
    """Base class of trie errors."""


class BadNode(TrieError):
    """An encoded node does not follow the Substrate node format."""


class MissingNode(TrieError):
    """A node (or hashed value) reachable from the root is not in the store."""

    def __init__(self, hash: bytes) -> None:
        super().__init__(f"trie node 0x{hash.hex()} not found")
        self.hash = hash


class ProofError(TrieError):
    """A storage proof does not contain what is needed to answer for a key."""
