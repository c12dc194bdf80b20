"""Storage items declared once: keys byte-compatible with FRAME, values SCALE-encoded.

A key is `twox128(pallet) ++ twox128(item) ++ hasher(SCALE(key))` for each map key.
Items with a `default` are `ValueQuery` (metadata modifier Default); items without one are
`OptionQuery` (modifier Optional, reads return None when absent).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple, Sequence

from runtime.frame.state import Overlay, StateReader
from primitives.hashing import HASH_FUNCTIONS, Hasher, storage_prefix
from primitives.scale import Codec, tuple_of

_NO_DEFAULT = object()

#: Storage keys remembered per single-key map: a transfer derives the same account keys
#: several times, and hashing (blake2 over SCALE) costs more than a dict lookup.
KEY_CACHE_SIZE = 1 << 16


def _memoized_key(prefix: bytes, hash_fn: Callable[[bytes], bytes], encode: Callable[[Any], bytes]):
    cache: dict[Any, bytes] = {}

    def key(k: Any) -> bytes:
        # only exact bytes and ints are remembered: True == 1 and 1.0 == 1 hash alike
        # but need not encode alike (or at all)
        kind = type(k)
        if kind is not bytes and kind is not int:
            return prefix + hash_fn(encode(k))
        full = cache.get(k)
        if full is None:
            full = prefix + hash_fn(encode(k))
            if len(cache) >= KEY_CACHE_SIZE:
                cache.clear()
            cache[k] = full
        return full

    return key


class Typed(NamedTuple):
    """How an item's values are kept as objects in a block's overlay (`Overlay.set_typed`): decoded
    once, encoded once at the end of the block. For the hottest items (System.Account)."""

    copy: Callable[[Any], Any]      # a copy a reader may mutate (the identity for immutable values)
    owned: Callable[[Any], Any]     # a copy to keep if the codec encodes `value` without error, else None


class StorageItem:
    def __init__(self, pallet: str, name: str, codec: Codec, default: Any, docs: Sequence[str],
                 typed: Typed | None = None):
        self.pallet, self.name, self.codec = pallet, name, codec
        self.typed = typed
        self.prefix = storage_prefix(pallet, name)
        self.has_default = default is not _NO_DEFAULT
        self.default = None if default is _NO_DEFAULT else default
        self.default_bytes = codec.encode(default) if self.has_default else b"\x00"
        self.docs = tuple(docs)
        self.default_is_immutable = isinstance(self.default, (int, bytes, str, bool, tuple, type(None)))

    def _decode(self, raw: bytes | None) -> Any:
        if raw is None:
            if self.default_is_immutable:
                return self.default
            return self.codec.decode(self.default_bytes)  # a fresh object: callers may mutate it
        return self.codec.decode(raw)

    # metadata
    hashers: tuple[Hasher, ...] = ()
    key_codecs: tuple[Codec, ...] = ()

    @property
    def key_codec(self) -> Codec:
        return self.key_codecs[0] if len(self.key_codecs) == 1 else tuple_of(*self.key_codecs)


def _write(item: StorageItem, state: Overlay, key: bytes, value: Any) -> None:
    """Store `value` at `key`: as an object for a typed item (when it encodes), else as bytes."""
    typed = item.typed
    if typed is not None and type(state) is Overlay:
        owned = typed.owned(value)
        if owned is not None:
            state.set_typed(key, owned, item.codec.encode)
            return
    state.set(key, item.codec.encode(value))   # raises here, in the call that wrote it, if it cannot


class StorageValue(StorageItem):
    def __init__(self, pallet: str, name: str, codec: Codec, *, default: Any = _NO_DEFAULT,
                 docs: Sequence[str] = (), typed: Typed | None = None):
        super().__init__(pallet, name, codec, default, docs, typed)
        self.key = self.prefix

    def get(self, state: StateReader) -> Any:
        if self.typed is not None and type(state) is Overlay:
            value = state.get_typed(self.key, self.codec.decode, self.typed.copy)
            return self._decode(None) if value is None else value
        return self._decode(state.get(self.key))

    def exists(self, state: StateReader) -> bool:
        return state.get(self.key) is not None

    def put(self, state: Overlay, value: Any) -> None:
        _write(self, state, self.key, value)

    def kill(self, state: Overlay) -> None:
        state.delete(self.key)

    def take(self, state: Overlay) -> Any:
        value = self.get(state)
        self.kill(state)
        return value

    def mutate(self, state: Overlay, fn: Callable[[Any], Any]) -> Any:
        value = fn(self.get(state))
        if value is None and not self.has_default:
            self.kill(state)
        else:
            self.put(state, value)
        return value


class StorageMap(StorageItem):
    """A map with one or more keys (`StorageMap`, `StorageDoubleMap`, `StorageNMap`)."""

    def __init__(self, pallet: str, name: str, keys: Sequence[tuple[Hasher, Codec]], codec: Codec, *,
                 default: Any = _NO_DEFAULT, docs: Sequence[str] = (), typed: Typed | None = None):
        super().__init__(pallet, name, codec, default, docs, typed)
        self.hashers = tuple(h for h, _ in keys)
        self.key_codecs = tuple(c for _, c in keys)
        if len(keys) == 1:  # the common case, on the hot path of every transfer
            self.key = _memoized_key(self.prefix, HASH_FUNCTIONS[keys[0][0]], keys[0][1].encode)  # type: ignore[method-assign]
        # each part of a multi-key map remembered on its own: (provider, bid) keys share the provider's part
        self._parts = tuple(_memoized_key(b"", HASH_FUNCTIONS[h], c.encode) for h, c in keys)
        if len(keys) == 2:
            self.key = self._key2  # type: ignore[method-assign]

    def _key2(self, *keys: Any) -> bytes:
        if len(keys) != 2:
            raise TypeError(f"{self.name}: expected 2 keys")
        first, second = self._parts
        return self.prefix + first(keys[0]) + second(keys[1])

    def _key_parts(self, keys: tuple) -> bytes:
        if len(keys) > len(self.hashers):
            raise TypeError(f"{self.name}: {len(keys)} keys given, {len(self.hashers)} declared")
        return b"".join(part(k) for part, k in zip(self._parts, keys))

    def key(self, *keys: Any) -> bytes:
        if len(keys) != len(self.hashers):
            raise TypeError(f"{self.name}: expected {len(self.hashers)} keys")
        return self.prefix + self._key_parts(keys)

    def prefix_for(self, *keys: Any) -> bytes:
        """Key prefix for a partial key (the first len(keys) keys)."""
        return self.prefix + self._key_parts(keys)

    def get(self, state: StateReader, *keys: Any) -> Any:
        if self.typed is not None and type(state) is Overlay:
            value = state.get_typed(self.key(*keys), self.codec.decode, self.typed.copy)
            return self._decode(None) if value is None else value
        return self._decode(state.get(self.key(*keys)))

    def contains(self, state: StateReader, *keys: Any) -> bool:
        if type(state) is Overlay:
            return state.exists(self.key(*keys))
        return state.get(self.key(*keys)) is not None

    def insert(self, state: Overlay, *keys_and_value: Any) -> None:
        *keys, value = keys_and_value
        _write(self, state, self.key(*keys), value)

    def remove(self, state: Overlay, *keys: Any) -> None:
        state.delete(self.key(*keys))

    def take(self, state: Overlay, *keys: Any) -> Any:
        key = self.key(*keys)
        value = self._decode(state.get(key))
        state.delete(key)
        return value

    def mutate(self, state: Overlay, *keys_and_fn: Any) -> Any:
        *keys, fn = keys_and_fn
        key = self.key(*keys)
        value = fn(self.get(state, *keys) if self.typed is not None else self._decode(state.get(key)))
        if value is None and not self.has_default:
            state.delete(key)
        else:
            _write(self, state, key, value)
        return value

    def clear_prefix(self, state: Overlay, *keys: Any) -> int:
        return state.clear_prefix(self.prefix_for(*keys))

    def decode_key(self, raw: bytes) -> tuple:
        """Recover the map keys from a full storage key (needs concat hashers)."""
        pos, out = len(self.prefix), []
        for hasher, codec in zip(self.hashers, self.key_codecs):
            if not hasher.is_concat:
                raise TypeError(f"{self.name}: hasher {hasher.name} does not keep the key")
            pos += hasher.prefix_len
            value, pos = codec.decode_prefix(raw, pos)
            out.append(value)
        return tuple(out)

    def iter(self, state: StateReader, *partial: Any) -> Iterator[tuple[tuple, Any]]:
        """(keys, value) pairs in storage-key order, optionally under a partial key."""
        for raw in state.iter_keys(self.prefix_for(*partial)):
            value = state.get(raw)
            if value is not None:
                yield self.decode_key(raw), self.codec.decode(value)

    def iter_values(self, state: StateReader, *partial: Any) -> Iterator[Any]:
        for raw in state.iter_keys(self.prefix_for(*partial)):
            value = state.get(raw)
            if value is not None:
                yield self.codec.decode(value)
