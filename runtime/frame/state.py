"""The runtime's view of state: a change overlay with nested transactional layers.

The node supplies a read-only `StateReader` for the parent block's state; everything a
block writes lands in `Overlay.changes`, which the node commits (trie + flat state) after
the block. Each dispatch runs in a transactional layer so a failed call leaves no trace.
"""
from __future__ import annotations

import heapq
from typing import Any, Callable, Iterator, Protocol

_MISSING = object()


class _Typed:
    """A value written as an object (`Overlay.set_typed`), encoded only when its bytes are needed.
    The object belongs to the overlay: nobody mutates it (readers get copies)."""

    __slots__ = ("value", "encode")

    def __init__(self, value: Any, encode: Callable[[Any], bytes]):
        self.value = value
        self.encode = encode


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
    """Pending changes over a `StateReader`. `None` in `changes` means deleted.

    Hot items (System.Account) are also kept as objects, per block: `get_typed` decodes a value
    once and hands out copies, `set_typed` keeps the object and encodes it only when its bytes are
    read (`get`, `changes`), so an account touched by many transfers of a block is decoded and
    encoded once. The bytes are those an eager write would have stored.
    """

    def __init__(self, base: StateReader):
        self.base = base
        self._changes: dict[bytes, Any] = {}      # bytes, None (deleted) or _Typed
        self._journal: list[dict[bytes, object]] = []
        self._decoded: dict[bytes, tuple[bytes, Any]] = {}   # key -> (bytes, the object they decode to)

    @property
    def changes(self) -> dict[bytes, bytes | None]:
        """Every pending change as bytes (objects written with `set_typed` are encoded now)."""
        changes = self._changes
        for key, value in changes.items():
            if type(value) is _Typed:
                changes[key] = value.encode(value.value)
        return changes

    # -- reads ------------------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        value = self._changes.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key)
        if type(value) is _Typed:
            value = self._changes[key] = value.encode(value.value)
        return value  # type: ignore[return-value]

    def exists(self, key: bytes) -> bool:
        value = self._changes.get(key, _MISSING)
        if value is _MISSING:
            return self.base.get(key) is not None
        return value is not None

    def get_typed(self, key: bytes, decode: Callable[[bytes], Any], copy: Callable[[Any], Any]) -> Any:
        """The value at `key` as an object the caller may mutate (`copy` of the one kept here), or
        None if absent. `decode` must be the inverse of the `encode` given to `set_typed`."""
        value = self._changes.get(key, _MISSING)
        if type(value) is _Typed:
            return copy(value.value)
        if value is _MISSING:
            value = self.base.get(key)
        if value is None:
            return None
        hit = self._decoded.get(key)
        if hit is None or hit[0] != value:
            hit = self._decoded[key] = (value, decode(value))
        return copy(hit[1])

    def set_typed(self, key: bytes, value: Any, encode: Callable[[Any], bytes]) -> None:
        """Write an object, encoded when its bytes are first needed. The overlay keeps `value`: the
        caller hands over an object nobody else mutates, and `encode(value)` must not fail."""
        if self._journal:
            self._record(key)
        self._changes[key] = _Typed(value, encode)

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        """Merged ascending iteration over base and overlay keys."""
        pending = sorted(k for k in self._changes if k.startswith(prefix)
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
            layer[key] = self._changes.get(key, _MISSING)

    def set(self, key: bytes, value: bytes) -> None:
        if self._journal:
            self._record(key)
        self._changes[key] = value

    def delete(self, key: bytes) -> None:
        if self._journal:
            self._record(key)
        self._changes[key] = None

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
                self._changes.pop(key, None)
            else:
                self._changes[key] = old

    @property
    def transaction_depth(self) -> int:
        return len(self._journal)
