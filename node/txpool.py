"""The transaction pool: validated transactions waiting for a block.

Transactions are validated against the best block (signature, era, nonce, fee). Per
sender they form a nonce sequence: the run that starts at the on-chain nonce is *ready*,
anything after a gap is *future*. Blocks are filled by priority (tip), a higher tip at
the same (sender, nonce) replaces the old transaction, and invalid transactions are
banned for a while so a peer or client can't make us re-verify them endlessly.
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import time
from typing import Callable, Iterator

from runtime.executive import ValidTransaction, validate_transaction
from runtime.extrinsic import Extrinsic, MalformedExtrinsic, TransactionValidityError, decode_extrinsic
from runtime.pallets import system
from runtime.primitives.hashing import blake2_256

log = logging.getLogger("agora.txpool")


class PoolError(Exception):
    """A rejected submission, with Substrate's author RPC error code."""

    def __init__(self, code: int, message: str, data: str | None = None):
        super().__init__(message if data is None else f"{message}: {data}")
        self.code, self.message, self.data = code, message, data


def bad_format(detail: str) -> PoolError:
    return PoolError(1001, "Extrinsic has invalid format", detail)


@dataclasses.dataclass(eq=False)
class PoolTx:
    ext: Extrinsic
    hash: bytes
    valid: ValidTransaction
    seq: int
    inserted_at: float


Watcher = Callable[[object], None]


class TransactionPool:
    def __init__(self, chain, *, max_ready: int = 8192, max_future: int = 1024, ban_seconds: float = 1800.0,
                 clock: Callable[[], float] = time.monotonic):
        self.chain = chain
        self.max_ready = max_ready
        self.max_future = max_future
        self.ban_seconds = ban_seconds
        self.clock = clock
        self.by_hash: dict[bytes, PoolTx] = {}
        self.by_sender: dict[bytes, dict[int, PoolTx]] = {}
        self.banned: dict[bytes, float] = {}
        self.watchers: dict[bytes, list[Watcher]] = {}
        self._seq = itertools.count()

    # -- queries ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.by_hash)

    def _chain_nonce(self, sender: bytes) -> int:
        return system.Account.get(self.chain.store.best_state, sender).nonce

    def _ready_run(self, sender: bytes) -> list[PoolTx]:
        txs = self.by_sender.get(sender, {})
        run, nonce = [], self._chain_nonce(sender)
        while nonce in txs:
            run.append(txs[nonce])
            nonce += 1
        return run

    def counts(self) -> tuple[int, int]:
        ready = sum(len(self._ready_run(s)) for s in self.by_sender)
        return ready, len(self.by_hash) - ready

    def ready(self) -> Iterator[Extrinsic]:
        """Ready transactions in block order: highest priority first, each sender's nonces in order."""
        heap: list[tuple[int, int, int, bytes]] = []
        runs: dict[bytes, list[PoolTx]] = {}
        for sender in self.by_sender:
            run = self._ready_run(sender)
            if run:
                runs[sender] = run
                heapq.heappush(heap, (-run[0].valid.priority, run[0].seq, 0, sender))
        while heap:
            _, _, index, sender = heapq.heappop(heap)
            run = runs[sender]
            yield run[index].ext
            if index + 1 < len(run):
                nxt = run[index + 1]
                heapq.heappush(heap, (-nxt.valid.priority, nxt.seq, index + 1, sender))

    def pending_extrinsics(self) -> list[bytes]:
        return [tx.ext.raw for tx in sorted(self.by_hash.values(), key=lambda t: t.seq)]

    # -- submission ----------------------------------------------------------------------------
    def submit(self, raw: bytes, watcher: Watcher | None = None) -> bytes:
        """Validate and add; returns the transaction hash or raises PoolError."""
        tx_hash = blake2_256(raw)
        if tx_hash in self.by_hash:
            raise PoolError(1013, "Transaction Already Imported")
        banned_until = self.banned.get(tx_hash)
        if banned_until is not None:
            if banned_until > self.clock():
                raise PoolError(1012, "Transaction is temporarily banned")
            del self.banned[tx_hash]
        try:
            ext = decode_extrinsic(raw)
        except MalformedExtrinsic as exc:
            raise bad_format(str(exc)) from None
        chain = self.chain
        try:
            valid = validate_transaction(chain.runtime, chain.store.best_state, chain.best_number, chain.best_hash,
                                         ext, chain.genesis_hash)
        except TransactionValidityError as err:
            if err.reason not in ("Stale", "Payment", "ExhaustsResources"):
                self._ban(tx_hash)
            if err.kind == "Unknown":
                raise PoolError(1011, "Unknown Transaction Validity", err.message) from None
            raise PoolError(1010, "Invalid Transaction", err.message) from None
        sender = ext.signer
        assert sender is not None
        queue = self.by_sender.setdefault(sender, {})
        old = queue.get(ext.nonce)
        if old is not None:
            if valid.priority <= old.valid.priority:
                raise PoolError(1014, "Priority is too low",
                                f"({old.valid.priority} vs {valid.priority})")
            self._remove(old, ("usurped", "0x" + tx_hash.hex()))
            queue = self.by_sender.setdefault(sender, {})
        ready_count, future_count = self.counts()
        is_future = ext.nonce > self._chain_nonce(sender) + len(self._ready_run(sender))
        if is_future and future_count >= self.max_future:
            raise PoolError(1016, "Immediately Dropped", "the future queue is full")
        if not is_future and ready_count >= self.max_ready:
            raise PoolError(1016, "Immediately Dropped", "the ready queue is full")
        tx = PoolTx(ext, tx_hash, valid, next(self._seq), self.clock())
        queue[ext.nonce] = tx
        self.by_hash[tx_hash] = tx
        if watcher is not None:
            self.watchers.setdefault(tx_hash, []).append(watcher)
            watcher("future" if is_future else "ready")
        return tx_hash

    def watch(self, tx_hash: bytes, watcher: Watcher) -> None:
        self.watchers.setdefault(tx_hash, []).append(watcher)

    def unwatch(self, tx_hash: bytes, watcher: Watcher) -> None:
        lst = self.watchers.get(tx_hash)
        if lst and watcher in lst:
            lst.remove(watcher)
            if not lst:
                del self.watchers[tx_hash]

    def _notify(self, tx_hash: bytes, status: object, *, final: bool) -> None:
        watchers = self.watchers.pop(tx_hash, []) if final else self.watchers.get(tx_hash, [])
        for w in list(watchers):
            try:
                w(status)
            except Exception:
                log.exception("transaction watcher failed")

    def _ban(self, tx_hash: bytes) -> None:
        self.banned[tx_hash] = self.clock() + self.ban_seconds
        if len(self.banned) > 100_000:  # bound memory: forget the oldest half
            for key in sorted(self.banned, key=self.banned.__getitem__)[:50_000]:
                del self.banned[key]

    def _remove(self, tx: PoolTx, status: object | None) -> None:
        self.by_hash.pop(tx.hash, None)
        queue = self.by_sender.get(tx.ext.signer, {})
        if queue.get(tx.ext.nonce) is tx:
            del queue[tx.ext.nonce]
            if not queue:
                del self.by_sender[tx.ext.signer]
        if status is not None:
            self._notify(tx.hash, status, final=True)

    # -- block events ---------------------------------------------------------------------------
    def report_invalid(self, ext: Extrinsic, error: TransactionValidityError) -> None:
        tx = self.by_hash.get(blake2_256(ext.raw))
        if tx is not None:
            log.info("dropping invalid transaction 0x%s: %s", tx.hash.hex(), error)
            self._ban(tx.hash)
            self._remove(tx, "invalid")

    def on_new_best(self, block_hash: bytes, included: list[bytes]) -> None:
        """Remove what the block included (inBlock), then drop what became stale."""
        for raw in included:
            tx_hash = blake2_256(raw)
            tx = self.by_hash.get(tx_hash)
            if tx is not None:
                self._remove(tx, None)
            self._notify(tx_hash, {"inBlock": "0x" + block_hash.hex()}, final=False)
        for sender in list(self.by_sender):
            chain_nonce = self._chain_nonce(sender)
            for nonce, tx in list(self.by_sender.get(sender, {}).items()):
                if nonce < chain_nonce:
                    self._remove(tx, "dropped")
                elif nonce == chain_nonce:
                    self._notify(tx.hash, "ready", final=False)

    def on_finalized(self, block_hash: bytes, included: list[bytes]) -> None:
        for raw in included:
            self._notify(blake2_256(raw), {"finalized": "0x" + block_hash.hex()}, final=True)

    def prune_expired(self, best_number: int) -> None:
        for tx in list(self.by_hash.values()):
            if tx.ext.era is not None and best_number + 1 >= tx.ext.era.death(best_number + 1):
                self._remove(tx, "invalid")

    def remove_by_hash(self, tx_hash: bytes) -> bool:
        tx = self.by_hash.get(tx_hash)
        if tx is None:
            return False
        self._remove(tx, "dropped")
        return True


__all__ = ["TransactionPool", "PoolError", "PoolTx", "bad_format", "decode_extrinsic"]
