"""Block import throughput (blocks full of signed transfers) and its breakdown.

One chain authors a block from N pre-signed transfers; a second chain (fresh LevelDB)
imports it with full verification. The signature-verification ceiling (verify only, same
signatures, one core) is measured in the same run.
"""
from __future__ import annotations

import tempfile
import time

import nacl.signing

from genesis.spec import dev_spec, genesis_storage
from node.chain import Chain
from runtime.construct import get_runtime
from runtime.extrinsic import decode_extrinsic, encode_signed, extra_bytes
from runtime.primitives import crypto
from runtime.primitives.keys import Keypair
from runtime.version import VERSION
from storage.chain_store import ChainStore
from storage.kv import LevelDBKV

N_TX = 2000
SENDERS = 200


class _Ed:
    def __init__(self, seed: bytes):
        self.key = nacl.signing.SigningKey(seed)
        self.public_key = bytes(self.key.verify_key)

    def sign(self, msg: bytes) -> bytes:
        return self.key.sign(msg).signature


def _accounts(scheme: str):
    if scheme == "sr25519":
        return [Keypair.from_seed(i.to_bytes(32, "little"), "sr25519") for i in range(1, SENDERS + 1)], 1
    return [_Ed(i.to_bytes(32, "little")) for i in range(1, SENDERS + 1)], 0


def _spec(accounts) -> dict:
    spec = dev_spec()
    from runtime.primitives.ss58 import ss58_encode

    spec["genesis"]["runtimeGenesis"]["config"]["balances"]["balances"] += [
        [ss58_encode(a.public_key), 10**15] for a in accounts]
    return spec


def _transfers(chain: Chain, accounts, kind: int) -> list:
    rt = get_runtime()
    dest = Keypair.from_uri("//Bob").public_key
    call = rt.call_enum.encode(("Balances", ("transfer_keep_alive", {"dest": ("Id", dest), "value": 10**6})))
    g = chain.genesis_hash
    tail = VERSION.spec_version.to_bytes(4, "little") + VERSION.transaction_version.to_bytes(4, "little") + g + g + b"\x00"
    out = []
    for i in range(N_TX):
        acct = accounts[i % SENDERS]
        nonce = i // SENDERS
        payload = call + extra_bytes(None, nonce, 0) + tail
        out.append(decode_extrinsic(encode_signed(call, acct.public_key, kind, acct.sign(payload), None, nonce, 0)))
    return out


def _run(scheme: str) -> list[dict]:
    accounts, kind = _accounts(scheme)
    storage = genesis_storage(_spec(accounts))
    alice = Keypair.from_uri("//Alice")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        author = Chain(ChainStore(LevelDBKV(a)), storage)
        txs = _transfers(author, accounts, kind)
        built = author.build_block(author.best_hash, now_ms=6000, slot=1, transactions=txs, author=alice)
        assert len(built.included) == N_TX + 1, (len(built.included), built.invalid[:1])
        importer = Chain(ChainStore(LevelDBKV(b)), storage)
        started = time.perf_counter()
        t = importer.import_block(built.block)
        elapsed = time.perf_counter() - started
        assert importer.best_hash == built.block.hash
        items = [(e.signature[0], e.signature[1], e.signing_payload(VERSION.spec_version, VERSION.transaction_version,
                                                                      author.genesis_hash, author.genesis_hash), e.signer)
                 for e in txs]
        started = time.perf_counter()
        ok = [crypto.verify_multisignature(*item) for item in items]
        ceiling = N_TX / (time.perf_counter() - started)
        assert all(ok)
        author.store.close()
        importer.store.close()
    rate = N_TX / elapsed
    rows = [{"benchmark": f"import block of {N_TX} {scheme} transfers", "value": rate, "unit": "tx/s",
             "baseline": ceiling, "baseline_name": "signature verify only",
             "note": "target >= 3,000 tx/s; ratio = share of the verify ceiling"}]
    for stage in ("decode", "verify", "execute", "state_root", "commit"):
        rows.append({"benchmark": f"  {scheme} import: {stage}", "value": getattr(t, stage) * 1000, "unit": "ms/block",
                     "note": f"{100 * getattr(t, stage) / t.total:.0f}% of {t.total * 1000:.0f} ms"})
    return rows


def bench() -> list[dict]:
    return _run("sr25519") + _run("ed25519")


if __name__ == "__main__":
    for row in bench():
        print(row)
