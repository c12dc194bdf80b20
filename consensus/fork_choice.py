"""Longest-chain fork choice and tree routes between blocks (pure logic, no I/O).

Blocks are seen through a lookup ``meta(hash) -> (parent_hash, number) | None``.
The rule, as Substrate's ``LongestChain``: the best block is the highest one that
descends from the last finalized block; on a tie the block seen first stays best.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

BlockMeta = Callable[[bytes], "tuple[bytes, int] | None"]


class UnknownAncestry(LookupError):
    """A block on the route is not known locally."""


@dataclass(frozen=True)
class TreeRoute:
    """How to move the best chain from one block to another.

    ``retracted`` runs from the old head down to (not including) ``common``;
    ``enacted`` runs from just above ``common`` up to the new head.  Both hold
    ``(hash, number)`` pairs.
    """

    retracted: list[tuple[bytes, int]]
    common: tuple[bytes, int]
    enacted: list[tuple[bytes, int]]


def _meta(meta: BlockMeta, block_hash: bytes) -> tuple[bytes, int]:
    m = meta(block_hash)
    if m is None:
        raise UnknownAncestry(f"unknown block 0x{block_hash.hex()}")
    return m


def tree_route(meta: BlockMeta, from_hash: bytes, to_hash: bytes) -> TreeRoute:
    """The route from ``from_hash`` to ``to_hash`` through their last common ancestor."""
    f_parent, f_num = _meta(meta, from_hash)
    t_parent, t_num = _meta(meta, to_hash)
    f_hash, t_hash = from_hash, to_hash
    retracted: list[tuple[bytes, int]] = []
    enacted: list[tuple[bytes, int]] = []
    while t_num > f_num:
        enacted.append((t_hash, t_num))
        t_hash = t_parent
        t_parent, t_num = _meta(meta, t_hash)
    while f_num > t_num:
        retracted.append((f_hash, f_num))
        f_hash = f_parent
        f_parent, f_num = _meta(meta, f_hash)
    while f_hash != t_hash:
        if f_num == 0:
            raise UnknownAncestry("the blocks have different genesis blocks")
        retracted.append((f_hash, f_num))
        enacted.append((t_hash, t_num))
        f_hash = f_parent
        f_parent, f_num = _meta(meta, f_hash)
        t_hash = t_parent
        t_parent, t_num = _meta(meta, t_hash)
    enacted.reverse()
    return TreeRoute(retracted, (f_hash, f_num), enacted)


def ancestor_at(meta: BlockMeta, block_hash: bytes, number: int) -> bytes | None:
    """The ancestor of ``block_hash`` at height ``number`` (itself if equal); None if unknown."""
    m = meta(block_hash)
    while m is not None:
        parent, n = m
        if n == number:
            return block_hash
        if n < number:
            return None
        block_hash = parent
        m = meta(block_hash)
    return None


def is_descendant_or_equal(meta: BlockMeta, ancestor: tuple[bytes, int], block_hash: bytes) -> bool | None:
    """Whether ``block_hash`` is ``ancestor`` or descends from it; None if the ancestry is unknown."""
    m = meta(block_hash)
    if m is None:
        return None
    if m[1] < ancestor[1]:
        return False
    found = ancestor_at(meta, block_hash, ancestor[1])
    if found is None:
        return None
    return found == ancestor[0]


def is_better(candidate: tuple[bytes, int], best: tuple[bytes, int]) -> bool:
    """Longest chain: strictly higher wins; ties keep the current best."""
    return candidate[1] > best[1]


def best_leaf(meta: BlockMeta, leaves: Iterable[tuple[bytes, int]], finalized: tuple[bytes, int],
              current: tuple[bytes, int] | None = None) -> tuple[bytes, int] | None:
    """The highest leaf that descends from ``finalized`` (``current`` wins ties)."""
    best = None
    if current is not None and is_descendant_or_equal(meta, finalized, current[0]):
        best = current
    for leaf in leaves:
        if best is not None and not is_better(leaf, best):
            continue
        if is_descendant_or_equal(meta, finalized, leaf[0]):
            best = leaf
    return best


__all__ = ["TreeRoute", "UnknownAncestry", "tree_route", "ancestor_at", "is_descendant_or_equal",
           "is_better", "best_leaf"]
