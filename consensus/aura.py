"""Aura slot arithmetic and equivocation detection (pure logic, no I/O).

Time is cut into slots of ``slot_ms`` milliseconds; slot ``s`` starts at ``s * slot_ms``
(Unix milliseconds) and belongs to ``authorities[s % len(authorities)]`` (round-robin).
An authority that seals two different blocks for one slot *equivocates*; the
:class:`EquivocationDetector` remembers recent (slot, author) pairs to catch it.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Sequence


def slot_at(now_ms: int, slot_ms: int) -> int:
    """The slot that contains the Unix time ``now_ms``."""
    if slot_ms <= 0:
        raise ValueError("slot duration must be positive")
    return now_ms // slot_ms


def slot_start_ms(slot: int, slot_ms: int) -> int:
    return slot * slot_ms


def ms_until_slot(slot: int, now_ms: int, slot_ms: int) -> int:
    """Milliseconds from ``now_ms`` until ``slot`` starts (0 if it already has)."""
    return max(0, slot * slot_ms - now_ms)


def expected_author(authorities: Sequence[bytes], slot: int) -> bytes | None:
    """The authority allowed to author in ``slot`` (round-robin), or None without authorities."""
    if not authorities:
        return None
    return authorities[slot % len(authorities)]


def is_future_slot(slot: int, now_ms: int, slot_ms: int, max_drift_slots: int = 1) -> bool:
    """True when ``slot`` lies more than ``max_drift_slots`` ahead of the local clock."""
    return slot > slot_at(now_ms, slot_ms) + max_drift_slots


@dataclass(frozen=True)
class Equivocation:
    """Two distinct blocks sealed by ``author`` for the same ``slot``."""

    slot: int
    author: bytes
    first: bytes
    second: bytes


class EquivocationDetector:
    """Remembers which block each (slot, author) sealed, for the most recent slots.

    :meth:`check` is called before a block is accepted and :meth:`note` after; the
    window is bounded by ``max_slots`` (oldest slots are forgotten first).
    """

    def __init__(self, max_slots: int = 4096) -> None:
        self.max_slots = max_slots
        self._seen: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()

    def check(self, slot: int, author: bytes, block_hash: bytes) -> Equivocation | None:
        first = self._seen.get((slot, author))
        if first is None or first == block_hash:
            return None
        return Equivocation(slot, author, first, block_hash)

    def note(self, slot: int, author: bytes, block_hash: bytes) -> None:
        key = (slot, author)
        if key in self._seen:
            return
        self._seen[key] = block_hash
        while len(self._seen) > self.max_slots:
            self._seen.popitem(last=False)

    def __len__(self) -> int:
        return len(self._seen)


__all__ = ["slot_at", "slot_start_ms", "ms_until_slot", "expected_author", "is_future_slot",
           "Equivocation", "EquivocationDetector"]
