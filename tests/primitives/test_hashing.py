"""Storage hashers and keys against Substrate's known answers (substrate-clients.md §5)."""
import pytest

from runtime.pallets import system
from primitives.hashing import Hasher, storage_prefix, twox_128
from tests.runtime.helpers import ALICE

ONE = (1).to_bytes(4, "little")


def test_prefixes():
    assert twox_128(b"System").hex() == "26aa394eea5630e07c48ae0c9558cef7"
    assert storage_prefix("System", "Account").hex() == \
        "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
    assert system.Events.key.hex() == "26aa394eea5630e07c48ae0c9558cef780d41e5e16056765bc8461851072c9d7"
    assert system.Number.key.hex() == "26aa394eea5630e07c48ae0c9558cef702a5c1b19ab7a04f536c519aca4983ac"


def test_account_key_of_alice():
    assert system.Account.key(ALICE).hex() == (
        "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
        "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")
    assert system.BlockHash.key(0).hex() == \
        "26aa394eea5630e07c48ae0c9558cef7a44704b568d21667356a5a050c118746b4def25cfda6ef3a00000000"


@pytest.mark.parametrize("hasher,expected", [
    (Hasher.BLAKE2_128, "d82c12285b5d4551f88e8f6e7eb52b81"),
    (Hasher.BLAKE2_128_CONCAT, "d82c12285b5d4551f88e8f6e7eb52b8101000000"),
    (Hasher.BLAKE2_256, "e12c22d4f162d9a012c9319233da5d3e923cc5e1029b8f90e47249c9ab256b35"),
    (Hasher.TWOX_128, "5153cb1f00942ff482c3dd0c442b6044"),
    (Hasher.TWOX_256, "5153cb1f00942ff482c3dd0c442b60441dc4f8817b49b4503980d377b148b15a"),
    (Hasher.TWOX_64_CONCAT, "5153cb1f00942ff401000000"),
    (Hasher.IDENTITY, "01000000"),
])
def test_hashers_on_u32_one(hasher, expected):
    assert hasher.hash(ONE).hex() == expected


def test_concat_hashers_recover_keys():
    key = system.Account.key(ALICE)
    assert system.Account.decode_key(key) == (ALICE,)
