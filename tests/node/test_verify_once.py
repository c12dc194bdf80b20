"""Verify once: a signature the pool verified is not verified again on import, and nothing
else slips through the cache (another payload, an extrinsic the pool never saw)."""
from __future__ import annotations

import pytest

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.txpool import PoolError, TransactionPool
from runtime.executive import verify_block_signatures
from runtime.extrinsic import decode_extrinsic, mortal_era
from runtime.frame.dispatch import InvalidBlock
from runtime.frame.state import DictState, Overlay
from runtime.pallets import system
from primitives import crypto
from primitives.hashing import blake2_256
from primitives.verified_signatures import VerifiedSignatures
from storage.chain_store import ChainStore
from tests.node.test_txpool import ALICE, BOB, CHARLIE, transfer


@pytest.fixture
def storage():
    return genesis_storage(dev_spec())


def _authored(storage, raws):
    """A block holding `raws`, authored on a separate chain (authoring trusts its pool: no verify)."""
    author = Chain(ChainStore(), storage)
    built = author.build_block(author.best_hash, now_ms=6000, slot=1,
                               transactions=[decode_extrinsic(r) for r in raws], author=ALICE)
    assert len(built.included) == len(raws) + 1, built.invalid
    return built.block


def test_pool_verified_block_imports_without_verifying_again(storage):
    importer = Chain(ChainStore(), storage)
    pool = TransactionPool(importer)
    raws = [transfer(importer, signer, 0) for signer in (ALICE, BOB, CHARLIE)]
    for raw in raws:
        pool.submit(raw)
    assert len(importer.verified_signatures) == 3
    timings = importer.import_block(_authored(storage, raws))
    assert timings.signatures_verified == 0
    assert importer.best_number == 1


def test_unknown_extrinsics_are_all_verified(storage):
    importer = Chain(ChainStore(), storage)
    pool = TransactionPool(importer)
    raws = [transfer(importer, signer, 0) for signer in (ALICE, BOB, CHARLIE)]
    pool.submit(raws[0])
    timings = importer.import_block(_authored(storage, raws))
    assert timings.signatures_verified == 2   # the two the pool never saw


def test_bad_signature_the_pool_never_saw_is_rejected(storage):
    importer = Chain(ChainStore(), storage)
    pool = TransactionPool(importer)
    good = [transfer(importer, signer, 0) for signer in (ALICE, BOB)]
    for raw in good:
        pool.submit(raw)
    forged = transfer(importer, CHARLIE, 0, corrupt=True)
    with pytest.raises(InvalidBlock, match="bad signature"):
        importer.import_block(_authored(storage, good + [forged]))
    assert importer.best_number == 0


def test_cache_entry_for_another_message_does_not_cover_a_forged_signature(storage):
    importer = Chain(ChainStore(), storage)
    forged = transfer(importer, CHARLIE, 0, corrupt=True)
    # poison the cache with the forged extrinsic's hash paired with some other message
    importer.verified_signatures.add(blake2_256(forged), b"another payload")
    with pytest.raises(InvalidBlock, match="bad signature"):
        importer.import_block(_authored(storage, [forged]))


def test_same_extrinsic_under_another_era_hash_is_verified_again(storage):
    """A mortal transaction the pool verified against one fork's era block hash: on a fork
    whose block at its birth differs, the signed payload differs, the cache misses, and the
    signature (made over the first hash) fails."""
    chain = Chain(ChainStore(), storage)
    number, birth = 10, 8
    era = mortal_era(birth, 64)
    assert era.birth(number) == birth
    seen_hash, other_hash = b"\x11" * 32, b"\x22" * 32
    raw = transfer(chain, ALICE, 0, era=era, era_hash=seen_hash)
    ext = decode_extrinsic(raw)

    def parent_state(era_block_hash):
        state = Overlay(DictState(dict(storage)))
        system.BlockHash.insert(state, birth, era_block_hash)
        return state

    verified = VerifiedSignatures()
    assert verify_block_signatures(parent_state(seen_hash), number, b"\x33" * 32, [ext], chain.genesis_hash,
                                   verified=verified) == 1
    message = crypto.signing_payload(ext.signing_payload(*_versions(), chain.genesis_hash, seen_hash))
    verified.add(blake2_256(raw), message)   # what pool admission records
    assert verify_block_signatures(parent_state(seen_hash), number, b"\x33" * 32, [ext], chain.genesis_hash,
                                   verified=verified) == 0
    with pytest.raises(InvalidBlock, match="bad signature"):
        verify_block_signatures(parent_state(other_hash), number, b"\x33" * 32, [ext], chain.genesis_hash,
                                verified=verified)


def _versions():
    from runtime.version import VERSION

    return VERSION.spec_version, VERSION.transaction_version


def test_only_successes_are_recorded(storage):
    chain = Chain(ChainStore(), storage)
    pool = TransactionPool(chain)
    with pytest.raises(PoolError):
        pool.submit(transfer(chain, ALICE, 0, corrupt=True))
    assert len(chain.verified_signatures) == 0


def test_cache_is_a_bounded_lru():
    cache = VerifiedSignatures(capacity=3)
    keys = [bytes([i]) * 32 for i in range(5)]
    for k in keys[:3]:
        cache.add(k, b"m")
    assert cache.contains(keys[0], b"m")          # touch: keys[1] is now the oldest
    cache.add(keys[3], b"m")
    cache.add(keys[4], b"m")
    assert len(cache) == 3
    assert not cache.contains(keys[1], b"m") and not cache.contains(keys[2], b"m")
    assert cache.contains(keys[0], b"m") and cache.contains(keys[3], b"m") and cache.contains(keys[4], b"m")
    assert not cache.contains(keys[0], b"m2")     # same hash, other message: a miss
    with pytest.raises(ValueError):
        VerifiedSignatures(capacity=0)
