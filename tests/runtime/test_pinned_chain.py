"""Pins what the runtime produces so a refactor that claims "no behaviour change" is checked, not trusted.

Pinned: the blake2-256 of the metadata V14 and V15 bytes, a handful of storage keys (pallet prefixes,
hashers, key encodings), and the block hashes of a small dev chain built offline with fixed
timestamps, slots, senders and nonces.  sr25519 signatures are randomized, so the chain is sealed and
its transfers are "signed" by a stand-in signer whose signatures are a hash of the message:
`Chain.build_block` applies transactions without re-verifying them (the pool did), so every byte of
every block, and therefore every state root and block hash, is a function of the runtime alone.
"""
from __future__ import annotations

import hashlib

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.chaingen import transfer
from primitives.keys import Keypair
from runtime.construct import get_runtime
from runtime.extrinsic import decode_extrinsic
from runtime.metadata import metadata_bytes
from storage.chain_store import ChainStore
from storage.kv import MemoryKV

CHANGED = "if the runtime changed on purpose, update the pin and bump runtime/version.py spec_version"

METADATA_BLAKE2 = {
    14: "c1cebdfcfa7d0a24a2a9df2a026852dc00001e4a23ec23d540c7de843ac701eb",
    15: "d7a150a2dc61fbe08583c131dd1f2ff2d7c79b883987858fa28864e333fec151",
}
STORAGE_KEYS = {
    "System.Account(Alice)":
        "26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d",
    "System.BlockHash(7)":
        "26aa394eea5630e07c48ae0c9558cef7a44704b568d21667356a5a050c1187460e0d969b0e48cab707000000",
    "Balances.TotalIssuance":
        "c2261276cc9d1f8598ea4b6a74b15c2f57c875e4cff74148e4628f264b974c80",
    "Aura.Authorities":
        "57f8dc2f5ab09467896f47300f0424385e0621c4869aa60c02be9adcc98a0d1d",
    "SubtensorModule.Tempo(1)":
        "658faa385070e074c85bf6b568cf05557641384bb339f3758acddfd7053d33170100",
    "SubtensorModule.Uids(1, Bob)":
        "658faa385070e074c85bf6b568cf0555aab1b4e78e1ea8305462ee53b3686dc801004f9aea1afa791265fae359272badc1cf8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a48",
    "SubtensorModule.Alpha(Alice, Bob, 3)":
        "658faa385070e074c85bf6b568cf05557261f9a8fde18018cccf70368697902fde1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d4f9aea1afa791265fae359272badc1cf8eaf04151687736326c9fea17e25fc5287613693c912909cb226aa4794f26a480300",
    "Market.Leases(42)":
        "5ebf094108ead4fefa73f7a3b13cb4a7dcacfdc7cf2aee764aab63f7cc97dc255343d1b66f8056b52a00000000000000",
}
BLOCK_HASHES = [
    "601160fd60c6b194c9bcf9f4e0c962718f8233855b884020a9e08eafe798f009",
    "ae5b6d8924cd2caedbc295ebe22cfb8680db2073291412ed8eff01249f8738dd",
    "4a80366b27453fffbc8712213bd1fc7ce885c5e1a7cd33864989b5146447a859",
    "c64bdd9163fb412f2f40a19463e4645405e3200f0f10e66ac1dd10e72bd2ddb3",
    "31ff92ed7dcfc0b921dfef057a833c724623d89317c5425f36f3a3c5b2f2bc9e",
    "93be0c578dd440b43ace978505d3a7abc35be64ec34094c78c02551c6df4b1f4",
]

SLOT_MS = 2_000
FIRST_SLOT = 850_000_000          # 2023-11-14T22:13:20Z: a fixed clock


class HashSigner:
    """A signer with a dev account's public key whose "signature" is blake2b-512 of the message."""

    def __init__(self, uri: str):
        self.public_key = Keypair.from_uri(uri).public_key

    def sign(self, message: bytes) -> bytes:
        return hashlib.blake2b(bytes(message), digest_size=64).digest()


def blake2(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=32).hexdigest()


ALICE = Keypair.from_uri("//Alice").public_key
BOB = Keypair.from_uri("//Bob").public_key
_KEY_SPECS = {
    "System.Account(Alice)": ("System", "Account", ALICE),
    "System.BlockHash(7)": ("System", "BlockHash", 7),
    "Balances.TotalIssuance": ("Balances", "TotalIssuance"),
    "Aura.Authorities": ("Aura", "Authorities"),
    "SubtensorModule.Tempo(1)": ("SubtensorModule", "Tempo", 1),
    "SubtensorModule.Uids(1, Bob)": ("SubtensorModule", "Uids", 1, BOB),
    "SubtensorModule.Alpha(Alice, Bob, 3)": ("SubtensorModule", "Alpha", ALICE, BOB, 3),
    "Market.Leases(42)": ("Market", "Leases", 42),
}


def storage_key(pallet: str, name: str, *keys) -> str:
    item = next(s for s in get_runtime().by_name[pallet].storage if s.name == name)
    return (item.key(*keys) if keys else item.key).hex()


def pinned_chain() -> list[str]:
    """Six blocks on the dev spec: Alice authors; Alice, Bob and Charlie send Dave transfers."""
    chain = Chain(ChainStore(MemoryKV()), genesis_storage(dev_spec(SLOT_MS)))
    author = HashSigner("//Alice")
    senders = [HashSigner(f"//{n}") for n in ("Alice", "Bob", "Charlie")]
    dave = Keypair.from_uri("//Dave").public_key
    nonces = [0, 0, 0]
    hashes = []
    for i in range(6):
        batch = []
        for k in range(i % 3 + 1):
            raw = transfer(chain.genesis_hash, senders[k], dave, 1_000_000 * (i + 1), nonces[k])
            nonces[k] += 1
            batch.append(decode_extrinsic(raw))
        slot = FIRST_SLOT + i
        built = chain.build_block(chain.best_hash, now_ms=slot * SLOT_MS, slot=slot, transactions=batch,
                                  author=author)
        assert len(built.included) == len(batch) + 1, built.invalid
        hashes.append(built.block.hash.hex())
    return hashes


def test_metadata_bytes_are_pinned():
    got = {v: blake2(metadata_bytes(v)) for v in (14, 15)}
    assert got == METADATA_BLAKE2, CHANGED


def test_storage_keys_are_pinned():
    assert {name: storage_key(*spec) for name, spec in _KEY_SPECS.items()} == STORAGE_KEYS, CHANGED


def test_a_fixed_dev_chain_has_pinned_block_hashes():
    assert pinned_chain() == BLOCK_HASHES, CHANGED


def test_the_pinned_chain_is_deterministic():
    """The pin means something only if building the chain twice gives the same bytes."""
    assert pinned_chain() == pinned_chain()
