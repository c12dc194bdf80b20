"""Byte key-value stores: LevelDB (plyvel) for nodes, a dict for tests.

Writes go through `WriteBatch` so one imported block is one atomic LevelDB write.
"""
from __future__ import annotations

import bisect
import contextlib
import os
from typing import Iterator, Protocol

import plyvel

#: What LevelDB raises for a damaged or unusable database (CorruptionError, IOError, ...).
DatabaseError = plyvel.Error


class DatabaseDamaged(RuntimeError):
    """The database cannot be trusted; the message names the damage."""


class WriteBatch(Protocol):
    def put(self, key: bytes, value: bytes) -> None: ...
    def delete(self, key: bytes) -> None: ...


class KV(Protocol):
    def get(self, key: bytes) -> bytes | None: ...
    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]: ...
    def write(self, ops: list[tuple[bytes, bytes | None]]) -> None: ...
    def close(self) -> None: ...


class MemoryKV:
    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._sorted: list[bytes] | None = None

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        keys = self._sorted
        lo = bisect.bisect_right(keys, start_after) if start_after is not None and start_after >= prefix \
            else bisect.bisect_left(keys, prefix)
        for key in keys[lo:]:
            if not key.startswith(prefix):
                break
            yield key

    def write(self, ops: list[tuple[bytes, bytes | None]]) -> None:
        for key, value in ops:
            if value is None:
                self._data.pop(key, None)
            else:
                self._data[key] = value
        self._sorted = None

    def close(self) -> None:
        pass


class LevelDBKV:
    """plyvel-backed store. `write` is one synced, atomic write batch.

    Opened with paranoid checks: LevelDB refuses a damaged log or manifest instead of
    silently dropping what it cannot read. `was_clean` tells whether the last process
    closed it (a marker file next to it, removed while open): after a crash the node
    verifies every table's checksums before trusting it (`verify_checksums`).
    """

    def __init__(self, path: str, *, sync: bool = True):
        path = os.path.normpath(path)
        self.path = path
        self._clean_marker = path + ".clean"
        if os.path.isdir(path) and not os.path.exists(os.path.join(path, "CURRENT")):
            leftovers = [name for name in os.listdir(path)
                         if name.endswith((".ldb", ".sst", ".log")) or name.startswith("MANIFEST-")]
            if leftovers:  # LevelDB would start an empty database over them
                raise DatabaseDamaged(f"LevelDB's CURRENT file is missing, {len(leftovers)} table/log files remain")
        try:
            self._db = plyvel.DB(path, create_if_missing=True, max_open_files=256, paranoid_checks=True)
        except plyvel.CorruptionError as exc:
            raise DatabaseDamaged(f"LevelDB: {_message(exc)}") from None
        self.was_clean = os.path.exists(self._clean_marker)
        if self.was_clean:
            os.unlink(self._clean_marker)
        self._sync = sync
        self._deferred = 0
        self.damaged = False   # set on a read/write fault: the next start checks every table again

    def is_empty(self) -> bool:
        return next(self._db.iterator(include_value=False), None) is None

    def verify_checksums(self) -> int:
        """Read every entry with checksums verified; DatabaseDamaged if a table is corrupt."""
        count = 0
        try:
            for _ in self._db.iterator(include_value=False, verify_checksums=True, fill_cache=False):
                count += 1
        except plyvel.CorruptionError as exc:
            raise DatabaseDamaged(f"LevelDB: {_message(exc)} (after {count} good entries)") from None
        return count

    def get(self, key: bytes) -> bytes | None:
        return self._db.get(key)

    def iter_keys(self, prefix: bytes, start_after: bytes | None = None) -> Iterator[bytes]:
        if start_after is not None and start_after >= prefix:
            it = self._db.iterator(start=start_after, include_start=False, include_value=False)
            for key in it:
                if not key.startswith(prefix):
                    break
                yield key
        else:
            yield from self._db.iterator(prefix=prefix, include_value=False)

    def write(self, ops: list[tuple[bytes, bytes | None]]) -> None:
        with self._db.write_batch(transaction=True, sync=self._sync and not self._deferred) as batch:
            for key, value in ops:
                if value is None:
                    batch.delete(key)
                else:
                    batch.put(key, value)

    @contextlib.contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Writes inside are atomic but not fsynced one by one; one fsync when the last such block exits.

        Re-entrant (also across interleaved tasks). LevelDB applies batches in order, so a crash
        inside loses a suffix of them, never a middle.
        """
        self._deferred += 1
        try:
            yield
        finally:
            self._deferred -= 1
            if self._deferred == 0 and self._sync and not self._db.closed:
                self._db.write_batch(sync=True).write()   # empty batch: fsyncs the log

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()
            if not self.damaged:
                with open(self._clean_marker, "wb"):
                    pass


def _message(exc: BaseException) -> str:
    text = exc.args[0] if exc.args else exc
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
