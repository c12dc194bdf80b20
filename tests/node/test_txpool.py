"""Transaction pool: validation, ready/future, priority, replacement, bans, limits."""
from __future__ import annotations

import pytest

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from node.txpool import PoolError, TransactionPool
from runtime.construct import get_runtime
from runtime.extrinsic import encode_signed, extra_bytes, mortal_era
from primitives import crypto
from primitives.keys import Keypair
from runtime.version import VERSION
from storage.chain_store import ChainStore

ALICE, BOB, CHARLIE = (Keypair.from_uri(f"//{n}") for n in ("Alice", "Bob", "Charlie"))
RT = get_runtime()


@pytest.fixture
def chain():
    return Chain(ChainStore(), genesis_storage(dev_spec()))


def transfer(chain, signer, nonce, *, tip=0, value=10**9, era=None, era_hash=None, corrupt=False):
    call = RT.call_enum.encode(("Balances", ("transfer_keep_alive", {"dest": ("Id", BOB.public_key), "value": value})))
    g = chain.genesis_hash
    payload = (call + extra_bytes(era, nonce, tip) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + g + (era_hash or g) + b"\x00")
    sig = signer.sign(crypto.signing_payload(payload))
    if corrupt:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    return encode_signed(call, signer.public_key, 1, sig, era, nonce, tip)


def produce(chain, pool, slot=1):
    built = chain.build_block(chain.best_hash, now_ms=slot * 1000, slot=slot, transactions=pool.ready(), author=ALICE)
    pool.on_new_best(built.block.hash, built.block.extrinsics)
    return built


def test_ready_and_future_by_nonce(chain):
    pool = TransactionPool(chain)
    pool.submit(transfer(chain, ALICE, 1))
    assert pool.counts() == (0, 1)               # nonce 1 waits for nonce 0
    pool.submit(transfer(chain, ALICE, 0))
    assert pool.counts() == (2, 0)
    built = produce(chain, pool)
    assert len(built.included) == 3 and len(pool) == 0


def test_priority_orders_across_senders(chain):
    pool = TransactionPool(chain)
    low = transfer(chain, BOB, 0, tip=1)
    high = transfer(chain, CHARLIE, 0, tip=1000)
    pool.submit(low)
    pool.submit(high)
    order = [e.raw for e in pool.ready()]
    assert order == [high, low]


def test_replacement_needs_a_higher_tip(chain):
    pool = TransactionPool(chain)
    statuses = []
    first = pool.submit(transfer(chain, ALICE, 0, tip=5), statuses.append)
    with pytest.raises(PoolError) as err:
        pool.submit(transfer(chain, ALICE, 0, tip=5, value=7))
    assert err.value.code == 1014
    second = pool.submit(transfer(chain, ALICE, 0, tip=6))
    assert statuses == ["ready", ("usurped", "0x" + second.hex())]
    assert first not in pool.by_hash and second in pool.by_hash


def test_invalid_is_rejected_and_banned(chain):
    pool = TransactionPool(chain)
    bad = transfer(chain, ALICE, 0, corrupt=True)
    with pytest.raises(PoolError) as err:
        pool.submit(bad)
    assert (err.value.code, err.value.data) == (1010, "Transaction has a bad signature")
    with pytest.raises(PoolError) as err:
        pool.submit(bad)
    assert err.value.code == 1012
    assert len(pool) == 0


def test_duplicate_and_stale(chain):
    pool = TransactionPool(chain)
    raw = transfer(chain, ALICE, 0)
    pool.submit(raw)
    with pytest.raises(PoolError) as err:
        pool.submit(raw)
    assert err.value.code == 1013
    produce(chain, pool)
    with pytest.raises(PoolError) as err:
        pool.submit(transfer(chain, ALICE, 0, tip=1))
    assert (err.value.code, err.value.data) == (1010, "Transaction is outdated")


def test_garbage_is_bad_format(chain):
    pool = TransactionPool(chain)
    with pytest.raises(PoolError) as err:
        pool.submit(b"\x00\x01\x02")
    assert err.value.code == 1001


def test_full_future_queue_drops_its_oldest(chain):
    pool = TransactionPool(chain, max_future=1)
    statuses = []
    old = pool.submit(transfer(chain, ALICE, 5), statuses.append)
    new = pool.submit(transfer(chain, ALICE, 6))
    assert statuses == ["future", "dropped"]
    assert old not in pool.by_hash and new in pool.by_hash and pool.counts() == (0, 1)


def test_full_ready_queue_refuses_an_equal_priority(chain):
    pool = TransactionPool(chain, max_ready=1)
    pool.submit(transfer(chain, ALICE, 0, tip=3))
    with pytest.raises(PoolError) as err:
        pool.submit(transfer(chain, BOB, 0, tip=3))
    assert err.value.code == 1016 and pool.counts() == (1, 0)


def test_mortal_transaction_checks_birth_block(chain):
    pool = TransactionPool(chain)
    produce(chain, pool, 1)
    produce(chain, pool, 2)
    era = mortal_era(2, 64)
    birth = era.birth(3)
    good = transfer(chain, ALICE, 0, era=era, era_hash=chain.hash_at(birth))
    wrong = transfer(chain, ALICE, 0, era=era, era_hash=b"\x01" * 32, tip=9)
    with pytest.raises(PoolError):
        pool.submit(wrong)
    pool.submit(good)
    built = produce(chain, pool, 3)
    assert len(built.included) == 2


def test_statuses_follow_the_block(chain):
    pool = TransactionPool(chain)
    statuses = []
    pool.submit(transfer(chain, ALICE, 0), statuses.append)
    built = produce(chain, pool)
    pool.on_finalized(built.block.hash, built.block.extrinsics)
    h = "0x" + built.block.hash.hex()
    assert statuses == ["ready", {"inBlock": h}, {"finalized": h}]
