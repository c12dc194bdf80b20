"""Build a chain offline, fast, into a node's base path (tests and benchmarks).

Blocks are authored with every authority's key under a fake clock: block ``i`` gets the
slot ``first_slot + i`` and its author is the round-robin owner of that slot, exactly
as live authoring would choose.  The clock ends at "now", so a node started on the
result (or syncing from one) sees a chain that simply happened in the past.  Every
``finalize_every`` blocks a justification signed by all authorities finalizes a block.
"""
from __future__ import annotations

import pathlib
import time
from dataclasses import dataclass
from typing import Iterator

from consensus import finality
from consensus.justification import build as build_justification
from genesis.spec import DEV_ACCOUNTS, genesis_storage
from node.chain import Chain
from runtime.block_execution import get_runtime
from runtime.extrinsic import Extrinsic, decode_extrinsic, encode_signed, extra_bytes
from runtime import api as runtime_api
from primitives import crypto
from primitives.keys import Keypair
from runtime.version import VERSION
from storage.chain_store import ChainStore
from storage.kv import LevelDBKV


@dataclass
class Generated:
    blocks: int
    best_number: int
    best_hash: bytes
    finalized_number: int
    transactions: int
    seconds: float


def database_path(base_path: pathlib.Path, spec: dict) -> pathlib.Path:
    return pathlib.Path(base_path) / "chains" / spec.get("id", "agora") / "db" / "full"


def dev_senders() -> list[Keypair]:
    """The accounts every built-in spec endows (//Alice.. and //Alice//stash..)."""
    return [Keypair.from_uri(f"//{n}") for n in DEV_ACCOUNTS] + [Keypair.from_uri(f"//{n}//stash")
                                                                   for n in DEV_ACCOUNTS]


def authority_keys(uris: list[str]) -> dict[bytes, Keypair]:
    keys = [Keypair.from_uri(u) for u in uris]
    return {k.public_key: k for k in keys}


def transfer(genesis_hash: bytes, sender: Keypair, dest: bytes, value: int, nonce: int) -> bytes:
    """A signed, immortal Balances.transfer_keep_alive as raw extrinsic bytes."""
    call = get_runtime().call_enum.encode(("Balances", ("transfer_keep_alive", {"dest": ("Id", dest), "value": value})))
    payload = (call + extra_bytes(None, nonce, 0) + VERSION.spec_version.to_bytes(4, "little")
               + VERSION.transaction_version.to_bytes(4, "little") + genesis_hash + genesis_hash + b"\x00")
    signature = sender.sign(crypto.signing_payload(payload))
    return encode_signed(call, sender.public_key, 1, signature, None, nonce, 0)


class TransferSource:
    """Round-robin transfers from a set of funded senders, with their nonces."""

    def __init__(self, genesis_hash: bytes, senders: list[Keypair], dest: bytes) -> None:
        self.genesis_hash = genesis_hash
        self.senders = senders
        self.dest = dest
        self.nonces = [0] * len(senders)
        self.i = 0

    def take(self, n: int) -> Iterator[Extrinsic]:
        for _ in range(n):
            k = self.i % len(self.senders)
            self.i += 1
            raw = transfer(self.genesis_hash, self.senders[k], self.dest, 1_000_000, self.nonces[k])
            self.nonces[k] += 1
            yield decode_extrinsic(raw)


def finalize_with_votes(chain: Chain, keys: dict[bytes, Keypair], authorities: list[bytes], round_number: int) -> None:
    """Finalize the best block with a justification every authority signs."""
    target = (chain.best_hash, chain.best_number)
    votes = [finality.Vote(round_number, target[0], target[1], a,
                           keys[a].sign(finality.vote_payload(round_number, 0, target[0], target[1])))
             for a in authorities]
    j = build_justification(round_number, target, votes, chain.store.header)
    chain.finalize(target[0], j.encode())


def generate(spec: dict, base_path: pathlib.Path, blocks: int, *, authority_uris: list[str], slot_ms: int,
             transfers_per_block: int = 0, senders: list[Keypair] | None = None, finalize_every: int = 100,
             end_ms: int | None = None) -> Generated:
    started = time.perf_counter()
    path = database_path(base_path, spec)
    path.mkdir(parents=True, exist_ok=True)
    kv = LevelDBKV(str(path))
    chain = Chain(ChainStore(kv), genesis_storage(spec))
    bulk = chain.bulk()
    bulk.__enter__()
    try:
        authorities = runtime_api.aura_authorities(chain.store.best_state)
        keys = authority_keys(authority_uris)
        missing = [a for a in authorities if a not in keys]
        if missing:
            raise ValueError(f"no key for authority 0x{missing[0].hex()[:16]}… (give its URI)")
        end_ms = int(time.time() * 1000) if end_ms is None else end_ms
        parent_slot = runtime_api.aura_current_slot(chain.store.best_state)
        first_slot = max(parent_slot + 1, end_ms // slot_ms - blocks)
        source = None
        if transfers_per_block:
            dest = Keypair.from_uri("//Ferdie").public_key
            source = TransferSource(chain.genesis_hash, senders or dev_senders(), dest)
        txs = 0
        round_number = 1
        for i in range(blocks):
            slot = first_slot + i
            author = keys[authorities[slot % len(authorities)]]
            batch = list(source.take(transfers_per_block)) if source is not None else []
            built = chain.build_block(chain.best_hash, now_ms=slot * slot_ms, slot=slot, transactions=batch,
                                      author=author)
            if len(built.included) != len(batch) + 1:
                raise RuntimeError(f"block {built.block.number}: {len(built.invalid)} transfers were invalid: "
                                   f"{built.invalid[:1]}")
            txs += len(batch)
            if finalize_every and (i + 1) % finalize_every == 0:
                finalize_with_votes(chain, keys, authorities, round_number)
                round_number += 1
        return Generated(blocks, chain.best_number, chain.best_hash, chain.finalized_number, txs,
                         time.perf_counter() - started)
    finally:
        bulk.__exit__(None, None, None)
        chain.store.close()
