"""Storage item keys: the remembered single-map keys equal freshly hashed ones, for any key."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from runtime.frame import storage
from runtime.frame.state import DictState, Overlay
from primitives.hashing import Hasher
from primitives.scale import U32, Bool, FixedBytes, ScaleError, Vec

ACCOUNTS = storage.StorageMap("Test", "Accounts", [(Hasher.BLAKE2_128_CONCAT, FixedBytes(32))], U32, default=0)
NUMBERS = storage.StorageMap("Test", "Numbers", [(Hasher.TWOX_64_CONCAT, U32)], U32, default=0)
FLAGS = storage.StorageMap("Test", "Flags", [(Hasher.IDENTITY, Bool)], U32, default=0)
LISTS = storage.StorageMap("Test", "Lists", [(Hasher.BLAKE2_128_CONCAT, Vec(U32))], U32, default=0)


def fresh_key(item: storage.StorageMap, key) -> bytes:
    """What the key is without any memory: prefix ++ hasher(SCALE(key))."""
    return item.prefix + item._key_parts((key,))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=20), st.integers(0, 2**32 - 1))
def test_remembered_keys_equal_fresh_keys(accounts, number):
    for who in accounts + accounts:          # the second pass reads the remembered keys
        assert ACCOUNTS.key(who) == fresh_key(ACCOUNTS, who)
    assert NUMBERS.key(number) == NUMBERS.key(number) == fresh_key(NUMBERS, number)


def test_equal_but_differently_typed_keys_do_not_share_an_entry():
    assert FLAGS.key(True) == fresh_key(FLAGS, True)
    assert NUMBERS.key(1) == fresh_key(NUMBERS, 1)
    with pytest.raises(ScaleError):     # True == 1, but a u32 key is no bool: not served from memory
        NUMBERS.key(True)
    with pytest.raises(ScaleError):
        NUMBERS.key(1.0)


def test_unhashable_keys_are_computed_each_time():
    assert LISTS.key([1, 2, 3]) == fresh_key(LISTS, [1, 2, 3])
    state = Overlay(DictState())
    LISTS.insert(state, [1, 2], 7)
    assert LISTS.get(state, (1, 2)) == 7            # a tuple encodes as the same Vec


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(storage, "KEY_CACHE_SIZE", 4)
    item = storage.StorageMap("Test", "Bounded", [(Hasher.TWOX_64_CONCAT, U32)], U32, default=0)
    keys = [item.key(n) for n in range(10)]
    assert keys == [fresh_key(item, n) for n in range(10)]
    assert [item.key(n) for n in range(10)] == keys
    cache = next(c.cell_contents for c in item.key.__closure__ if isinstance(c.cell_contents, dict))
    assert len(cache) <= 4


def test_a_storage_item_declared_twice_is_refused():
    from runtime.frame.pallet import Pallet

    pallet = Pallet("Twice", "pallet_twice")
    pallet.value("Item", U32, default=0)
    with pytest.raises(ValueError, match="declared twice"):
        pallet.value("Item", U32, default=0)
    assert [item.name for item in pallet.storage] == ["Item"]
