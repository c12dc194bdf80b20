"""The runtime's view of state: a change overlay with nested transactional layers.

The node supplies a read-only `StateReader` for the parent block's state; everything a
block writes lands in `Overlay.changes`, which the node commits (trie + flat state) after
the block. Each dispatch runs in a transactional layer so a failed call leaves no trace.
"""
from __future__ import annotations

import heapq
from typing import Iterator, Protocol

_MISSING = object()


class StateReader(Protocol):
    def get(self, key: bytes) -> bytes | None: ...

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        """Keys with `prefix`, ascending, strictly greater than `start_after`."""
        ...


class EmptyState:
    """The state before genesis."""

    def get(self, key: bytes) -> bytes | None:
        return None

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        return iter(())


class DictState:
    """A whole state held in a dict: genesis building and tests."""

    def __init__(self, items: dict[bytes, bytes] | None = None):
        self.items = dict(items or {})

    def get(self, key: bytes) -> bytes | None:
        return self.items.get(key)

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        for key in sorted(k for k in self.items if k.startswith(prefix)):
            if start_after is None or key > start_after:
                yield key


class Overlay:
    """Pending changes over a `StateReader`. `None` in `changes` means deleted."""

    def __init__(self, base: StateReader):
        self.base = base
        self.changes: dict[bytes, bytes | None] = {}
        self._journal: list[dict[bytes, object]] = []

    # -- reads ------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        value = self.changes.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key)
        return value  # type: ignore[return-value]

    def exists(self, key: bytes) -> bool:
        return self.get(key) is not None

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        """Merged ascending iteration over base and overlay keys."""
        pending = sorted(k for k in self.changes if k.startswith(prefix)
                         and (start_after is None or k > start_after))
        last = None
        for key in heapq.merge(self.base.iter_keys(prefix, start_after), pending):
            if key == last:
                continue
            last = key
            if self.get(key) is not None:
                yield key

    # -- writes -----------------------------------------------------------------------
    def _record(self, key: bytes) -> None:
        layer = self._journal[-1]
        if key not in layer:
            layer[key] = self.changes.get(key, _MISSING)

    def set(self, key: bytes, value: bytes) -> None:
        if self._journal:
            self._record(key)
        self.changes[key] = value

    def delete(self, key: bytes) -> None:
        if self._journal:
            self._record(key)
        self.changes[key] = None

    def clear_prefix(self, prefix: bytes, limit: int | None = None) -> int:
        removed = 0
        for key in list(self.iter_keys(prefix)):
            if limit is not None and removed >= limit:
                break
            self.delete(key)
            removed += 1
        return removed

    # -- transactional layers -----------------------------------------------------------
    def start_transaction(self) -> None:
        self._journal.append({})

    def commit_transaction(self) -> None:
        layer = self._journal.pop()
        if self._journal:
            outer = self._journal[-1]
            for key, old in layer.items():
                outer.setdefault(key, old)

    def rollback_transaction(self) -> None:
        layer = self._journal.pop()
        for key, old in layer.items():
            if old is _MISSING:
                self.changes.pop(key, None)
            else:
                self.changes[key] = old  # type: ignore[assignment]

    @property
    def transaction_depth(self) -> int:
        return len(self._journal)
