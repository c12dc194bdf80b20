"""Hash functions and Substrate storage hashers.

Byte-compatible with `sp_core::hashing` and FRAME's `StorageHasher` implementations:
twox variants are xxhash64 with consecutive seeds, concatenated little-endian.
"""
from __future__ import annotations

import enum
import hashlib

import xxhash


def blake2_128(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def blake2_64(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


def twox_64(data: bytes) -> bytes:
    return xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")


def twox_128(data: bytes) -> bytes:
    return (xxhash.xxh64_intdigest(data, seed=0).to_bytes(8, "little")
            + xxhash.xxh64_intdigest(data, seed=1).to_bytes(8, "little"))


def twox_256(data: bytes) -> bytes:
    return b"".join(xxhash.xxh64_intdigest(data, seed=s).to_bytes(8, "little") for s in range(4))


class Hasher(enum.IntEnum):
    """FRAME storage hashers; the values are the metadata (V14) indices."""

    BLAKE2_128 = 0
    BLAKE2_256 = 1
    BLAKE2_128_CONCAT = 2
    TWOX_128 = 3
    TWOX_256 = 4
    TWOX_64_CONCAT = 5
    IDENTITY = 6

    def hash(self, encoded_key: bytes) -> bytes:
        return _HASHERS[self](encoded_key)

    @property
    def is_concat(self) -> bool:
        """Whether the raw key can be recovered from the hashed key (needed to iterate maps)."""
        return self in (Hasher.BLAKE2_128_CONCAT, Hasher.TWOX_64_CONCAT, Hasher.IDENTITY)

    @property
    def prefix_len(self) -> int:
        """Length of the hash part that precedes the raw key in a concat hasher's output."""
        return {Hasher.BLAKE2_128_CONCAT: 16, Hasher.TWOX_64_CONCAT: 8, Hasher.IDENTITY: 0}.get(self, -1)

    @property
    def metadata_name(self) -> str:
        return _METADATA_NAMES[self]


_HASHERS = {
    Hasher.BLAKE2_128: blake2_128,
    Hasher.BLAKE2_256: blake2_256,
    Hasher.BLAKE2_128_CONCAT: lambda d: blake2_128(d) + d,
    Hasher.TWOX_128: twox_128,
    Hasher.TWOX_256: twox_256,
    Hasher.TWOX_64_CONCAT: lambda d: twox_64(d) + d,
    Hasher.IDENTITY: lambda d: d,
}

HASH_FUNCTIONS = _HASHERS

_METADATA_NAMES = {
    Hasher.BLAKE2_128: "Blake2_128",
    Hasher.BLAKE2_256: "Blake2_256",
    Hasher.BLAKE2_128_CONCAT: "Blake2_128Concat",
    Hasher.TWOX_128: "Twox128",
    Hasher.TWOX_256: "Twox256",
    Hasher.TWOX_64_CONCAT: "Twox64Concat",
    Hasher.IDENTITY: "Identity",
}


def storage_prefix(pallet: str, item: str) -> bytes:
    """`twox128(pallet) ++ twox128(item)`: the 32-byte prefix of every key of a storage item."""
    return twox_128(pallet.encode()) + twox_128(item.encode())
