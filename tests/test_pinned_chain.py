"""The runtime's observable output, pinned: metadata bytes, storage keys, genesis and block hashes.

Moving code around (issue 15) must not change what the runtime computes.  These hashes were taken
before the moves; a refactor that changes any of them changed the chain.
"""
from __future__ import annotations

from primitives.hashing import blake2_128, blake2_256, twox_128

from genesis.spec import dev_spec, genesis_storage, slot_duration_ms
from node.chain import Chain
from node.chaingen import transfer
from primitives.keys import Keypair
from runtime.extrinsic import decode_extrinsic
from runtime.metadata import metadata_bytes
from storage.chain_store import ChainStore
from storage.kv import MemoryKV

CHANGED = ("the runtime's output changed: if the runtime changed on purpose, update the pin here and bump "
           "runtime/version.py spec_version; if not, the change that broke it is a behaviour change")

METADATA_BLAKE2 = {
    14: "c1cebdfcfa7d0a24a2a9df2a026852dc00001e4a23ec23d540c7de843ac701eb",
    15: "d7a150a2dc61fbe08583c131dd1f2ff2d7c79b883987858fa28864e333fec151",
}
ALICE = Keypair.from_uri("//Alice")
BOB = Keypair.from_uri("//Bob")


def _prefix(pallet: str, item: str) -> bytes:
    return twox_128(pallet.encode()) + twox_128(item.encode())


# storage keys every client hard-codes, and the value each holds in the dev genesis
STORAGE = {
    "System.Account(//Alice)": (
        _prefix("System", "Account") + blake2_128(ALICE.public_key) + ALICE.public_key,
        "0000000000000000010000000000000000407a10f35a0000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"),
    "Aura.Authorities": (_prefix("Aura", "Authorities"), "04" + ALICE.public_key.hex()),
    "Balances.TotalIssuance": (_prefix("Balances", "TotalIssuance"), "f401bbc5644304000000000000000000"),
    "Sudo.Key": (_prefix("Sudo", "Key"), ALICE.public_key.hex()),
}
GENESIS_STORAGE_BLAKE2 = "2ede2377dde2705b085246218a64aa9a275fa5087ade33d49cb8b4b2a7eb0047"
# genesis, then four blocks of three transfers each (see _dev_chain)
BLOCK_HASHES = [
    "fefbe0d97fe4249ab4ca494f6ed5176ec6a10896537a034bf1c5ac07c51f9ba1",
    "43d366a0560541a0d8d70f505ff6ff5d221f2548e3d14ba2c8b9577e01832342",
    "5753696eacffd671839d7b133947f53b48e3f5f57f4bbf7f55ac9409ea064d56",
    "26e487bc3f0ff1adc6c50ac80977111083d324c7959f3bf06fbaa71410821325",
    "5f82434d8a6b515141d7215b3ec248d4a1760e6a913132801b95c827443508b3",
]


class _FixedSigner:
    """sr25519 signatures are randomized; a stand-in that signs deterministically makes block hashes
    reproducible.  Block building does not verify transaction signatures (the pool does) nor its own
    seal, so the chain built here is exactly what the runtime computes from these inputs."""

    def __init__(self, keypair: Keypair) -> None:
        self.public_key = keypair.public_key

    def sign(self, message: bytes) -> bytes:
        return blake2_256(b"a" + message) + blake2_256(b"b" + message)


def _dev_chain(blocks: int) -> list[bytes]:
    spec = dev_spec()
    chain = Chain(ChainStore(MemoryKV()), genesis_storage(spec))
    slot_ms = slot_duration_ms(spec)
    author = _FixedSigner(ALICE)
    senders = [_FixedSigner(Keypair.from_uri(f"//{n}")) for n in ("Alice", "Bob", "Charlie")]
    hashes = [chain.genesis_hash]
    nonce = 0
    for i in range(blocks):
        slot = 850_000_000 + i
        txs = [decode_extrinsic(transfer(chain.genesis_hash, s, BOB.public_key, 1_000_000 + i, nonce))
               for s in senders]
        nonce += 1
        built = chain.build_block(chain.best_hash, now_ms=slot * slot_ms, slot=slot, transactions=txs, author=author)
        assert len(built.included) == len(txs) + 1, built.invalid
        hashes.append(built.block.hash)
    return hashes


def _storage_digest(storage: dict[bytes, bytes]) -> str:
    return blake2_256(b"".join(len(k).to_bytes(4, "little") + k + len(v).to_bytes(4, "little") + v
                               for k, v in sorted(storage.items()))).hex()


def test_metadata_bytes_are_pinned():
    for version, pinned in METADATA_BLAKE2.items():
        assert blake2_256(metadata_bytes(version)).hex() == pinned, f"metadata V{version}: {CHANGED}"


def test_storage_keys_and_the_dev_genesis_are_pinned():
    storage = genesis_storage(dev_spec())
    for name, (key, value) in STORAGE.items():
        assert key in storage, f"{name} is no longer at 0x{key.hex()}: {CHANGED}"
        assert storage[key].hex() == value, f"{name}: {CHANGED}"
    assert _storage_digest(storage) == GENESIS_STORAGE_BLAKE2, f"dev genesis storage: {CHANGED}"


def test_a_fixed_dev_chain_has_the_pinned_block_hashes():
    assert [h.hex() for h in _dev_chain(len(BLOCK_HASHES) - 1)] == BLOCK_HASHES, f"dev chain blocks: {CHANGED}"
