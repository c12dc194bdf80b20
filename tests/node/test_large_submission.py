"""A large submission is decoded and its signature verified on a worker thread; the pool's
validation (on the event loop) then finds the signature verified and still decides validity."""
from __future__ import annotations

import threading

import pytest

from genesis.spec import dev_spec
from node import txpool
from node.service import LARGE_SUBMISSION_BYTES, Node, NodeConfig
from node.txpool import PoolError
from runtime.construct import get_runtime
from runtime.extrinsic import encode_signed, extra_bytes, mortal_era
from primitives import crypto
from runtime.version import VERSION
from tests.node.test_txpool import ALICE

RT = get_runtime()


@pytest.fixture
def node(tmp_path):
    node = Node(NodeConfig(spec=dev_spec(), base_path=tmp_path, listen_addrs=None, prometheus_port=None))
    try:
        yield node
    finally:
        node.close()


def _remark(node, size: int, *, corrupt=False, era=None, era_hash=None) -> bytes:
    call = RT.call_enum.encode(("System", ("remark", {"remark": b"\x07" * size})))
    g = node.chain.genesis_hash
    payload = (call + extra_bytes(era, 0, 0) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + g + (era_hash or g) + b"\x00")
    sig = ALICE.sign(crypto.signing_payload(payload))
    if corrupt:
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    return encode_signed(call, ALICE.public_key, 1, sig, era, 0, 0)


@pytest.fixture
def decode_threads(monkeypatch):
    """The threads `decode_extrinsic` ran on during submissions."""
    seen: list[int] = []
    real = txpool.decode_extrinsic

    def spy(raw):
        seen.append(threading.get_ident())
        return real(raw)

    monkeypatch.setattr(txpool, "decode_extrinsic", spy)
    return seen


async def test_large_submission_is_decoded_and_verified_off_the_loop(node, decode_threads):
    raw = _remark(node, 2 * LARGE_SUBMISSION_BYTES)
    await node.submit_transaction_async(raw)
    assert len(node.pool) == 1
    assert decode_threads and threading.get_ident() not in decode_threads   # decoded once, on a worker
    cache = node.chain.verified_signatures
    assert len(cache) == 1 and cache.hits == 1    # validation on the loop found the worker's result


async def test_small_submission_stays_inline(node, decode_threads):
    await node.submit_transaction_async(_remark(node, 100))
    assert decode_threads == [threading.get_ident()]


async def test_large_bad_signature_is_rejected(node):
    with pytest.raises(PoolError) as err:
        await node.submit_transaction_async(_remark(node, 2 * LARGE_SUBMISSION_BYTES, corrupt=True))
    assert err.value.code == 1010 and err.value.data == "Transaction has a bad signature"
    assert len(node.pool) == 0 and len(node.chain.verified_signatures) == 0


async def test_large_malformed_submission_is_a_format_error(node):
    raw = _remark(node, 2 * LARGE_SUBMISSION_BYTES)[:-5]
    with pytest.raises(PoolError) as err:
        await node.submit_transaction_async(raw)
    assert err.value.code == 1001 and len(node.pool) == 0


async def test_wrong_era_guess_is_verified_again_on_the_loop(node):
    """A mortal transaction signed over an era hash the chain does not hold: the worker's
    guess (the canonical hash) does not verify, nothing is remembered, validation rejects."""
    era = mortal_era(0, 64)
    raw = _remark(node, 2 * LARGE_SUBMISSION_BYTES, era=era, era_hash=b"\x44" * 32)
    with pytest.raises(PoolError):
        await node.submit_transaction_async(raw)
    assert len(node.chain.verified_signatures) == 0
