"""The transaction pool: validated transactions waiting for a block.

The runtime validates each transaction against the best block (signature, era, nonce, fee)
through its TaggedTransactionQueue_validate_transaction API, as Substrate's pool asks it. Per
sender they form a nonce sequence: the run that starts at the on-chain nonce is *ready*,
anything after a gap is *future*. Blocks are filled by priority (tip), a higher tip at
the same (sender, nonce) replaces the old transaction, and invalid transactions are
banned for a while so a peer or client can't make us re-verify them endlessly.

Limits, as Substrate's pool enforces them: a full future queue drops its oldest
transaction for a newcomer (a flood of gapped nonces cannot lock others out for good);
a full ready queue drops its lowest-priority transaction (and that sender's later
nonces), so a higher tip gets in and an equal or lower one is "Immediately Dropped".
Ready/future bookkeeping is incremental: a submission costs O(its sender's queue), not
O(pool).
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
import logging
import time
from typing import Callable, Iterator

from node.runtime_api import ValidTransaction, validate_transaction
from runtime.block_execution import remember_signature
from runtime.extrinsic import Extrinsic, MalformedExtrinsic, TransactionValidityError, decode_extrinsic
from runtime import api as runtime_api
from primitives.hashing import blake2_256

log = logging.getLogger("agora.txpool")


class PoolError(Exception):
    """A rejected submission, with Substrate's author RPC error code."""

    def __init__(self, code: int, message: str, data: str | None = None, reason: str | None = None):
        super().__init__(message if data is None else f"{message}: {data}")
        self.code, self.message, self.data = code, message, data
        self.reason = reason   # the runtime's TransactionValidityError reason, when it refused it


# Refusals that a peer gossiping in good faith runs into under load: the transaction was valid
# when it sent it (a block included it or the sender's balance, another transaction spent it meanwhile)
RACE_REASONS = frozenset({"Stale", "Future", "Payment", "ExhaustsResources"})


def bad_format(detail: str) -> PoolError:
    return PoolError(1001, "Extrinsic has invalid format", detail)


@dataclasses.dataclass(eq=False)
class PoolTx:
    ext: Extrinsic
    hash: bytes
    valid: ValidTransaction
    seq: int
    inserted_at: float
    ready: bool = False


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
        # incremental ready/future state: per sender the chain nonce seen and the ready run's length
        self._base: dict[bytes, int] = {}
        self._ready_len: dict[bytes, int] = {}
        self._ready_count = 0
        self._future: dict[bytes, PoolTx] = {}              # insertion order: the oldest comes first
        self._ready_heap: list[tuple[int, int, bytes]] = []  # (priority, -seq, hash); stale entries skipped

    # -- queries ------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.by_hash)

    def _chain_nonce(self, sender: bytes) -> int:
        return runtime_api.account_nonce(self.chain.store.best_state, sender)

    def _ready_run(self, sender: bytes) -> list[PoolTx]:
        txs = self.by_sender.get(sender, {})
        base = self._base.get(sender, 0)
        return [txs[base + i] for i in range(self._ready_len.get(sender, 0))]

    def counts(self) -> tuple[int, int]:
        return self._ready_count, len(self._future)

    # -- ready/future bookkeeping ------------------------------------------------------------------
    def _mark_ready(self, tx: PoolTx) -> None:
        self._future.pop(tx.hash, None)
        tx.ready = True
        self._ready_count += 1
        heapq.heappush(self._ready_heap, (tx.valid.priority, -tx.seq, tx.hash))

    def _mark_future(self, tx: PoolTx) -> None:
        if tx.ready:
            tx.ready = False
            self._ready_count -= 1
        self._future[tx.hash] = tx

    def _extend_run(self, sender: bytes) -> None:
        """Grow the sender's ready run over the nonces that now follow it without a gap."""
        queue = self.by_sender.get(sender, {})
        base, length = self._base[sender], self._ready_len[sender]
        while base + length in queue:
            tx = queue[base + length]
            if not tx.ready:
                self._mark_ready(tx)
            length += 1
        self._ready_len[sender] = length

    def _rebase(self, sender: bytes) -> None:
        """Recompute a sender's run from the chain's nonce (after a new best block)."""
        queue = self.by_sender.get(sender, {})
        self._base[sender] = self._chain_nonce(sender)
        self._ready_len[sender] = 0
        for tx in queue.values():
            if tx.ready:
                self._mark_future(tx)
        self._extend_run(sender)
        if self.max_ready and len(self._ready_heap) > 4 * self._ready_count + 1024:
            self._ready_heap = [e for e in self._ready_heap if self._live_ready(e[2])]
            heapq.heapify(self._ready_heap)

    def _live_ready(self, tx_hash: bytes) -> bool:
        tx = self.by_hash.get(tx_hash)
        return tx is not None and tx.ready

    def _enforce_limits(self) -> list[PoolTx]:
        """Substrate's enforce_limits: drop the oldest future and the lowest-priority ready
        transactions (with their sender's later nonces) until both queues fit."""
        dropped: list[PoolTx] = []
        while len(self._future) > self.max_future:
            oldest = next(iter(self._future.values()))
            self._remove(oldest, "dropped")
            dropped.append(oldest)
        while self._ready_count > self.max_ready and self._ready_heap:
            _, _, tx_hash = heapq.heappop(self._ready_heap)
            if not self._live_ready(tx_hash):
                continue
            worst = self.by_hash[tx_hash]
            queue = self.by_sender.get(worst.ext.signer, {})
            for tx in [t for n, t in sorted(queue.items()) if n >= worst.ext.nonce]:
                self._remove(tx, "dropped")
                dropped.append(tx)
        return dropped

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
    def submit(self, raw: bytes, watcher: Watcher | None = None, *, decoded: Extrinsic | None = None) -> bytes:
        """Validate and add; returns the transaction hash or raises PoolError.
        `decoded`: `raw` already decoded (by `decode_and_preverify`, off the event loop)."""
        tx_hash = blake2_256(raw)
        if tx_hash in self.by_hash:
            raise PoolError(1013, "Transaction Already Imported")
        banned_until = self.banned.get(tx_hash)
        if banned_until is not None:
            if banned_until > self.clock():
                raise PoolError(1012, "Transaction is temporarily banned")
            del self.banned[tx_hash]
        if decoded is not None and decoded.raw == raw:
            ext = decoded
        else:
            try:
                ext = decode_extrinsic(raw)
            except MalformedExtrinsic as exc:
                raise bad_format(str(exc)) from None
        try:
            valid = validate_transaction(self.chain, raw)   # the runtime decides (TaggedTransactionQueue)
        except TransactionValidityError as err:
            if err.reason not in ("Stale", "Payment", "ExhaustsResources"):
                self._ban(tx_hash)
            if err.kind == "Unknown":
                raise PoolError(1011, "Unknown Transaction Validity", err.message, err.reason) from None
            raise PoolError(1010, "Invalid Transaction", err.message, err.reason) from None
        sender = ext.signer
        assert sender is not None
        queue = self.by_sender.get(sender, {})
        old = queue.get(ext.nonce)
        if old is not None and valid.priority <= old.valid.priority:
            raise PoolError(1014, "Priority is too low", f"({old.valid.priority} vs {valid.priority})")
        tx = PoolTx(ext, tx_hash, valid, next(self._seq), self.clock())
        if old is not None:
            self._usurp(old, tx)
        else:
            if sender not in self.by_sender:
                self.by_sender[sender] = {}
                self._base[sender] = self._chain_nonce(sender)
                self._ready_len[sender] = 0
            self.by_sender[sender][ext.nonce] = tx
            self.by_hash[tx_hash] = tx
            if ext.nonce == self._base[sender] + self._ready_len[sender]:
                self._extend_run(sender)
            else:
                self._mark_future(tx)
        if tx_hash not in self.by_hash or any(t is tx for t in self._enforce_limits()):
            raise PoolError(1016, "Immediately Dropped",
                            "the future queue is full" if not tx.ready else "the ready queue is full")
        if watcher is not None:
            self.watchers.setdefault(tx_hash, []).append(watcher)
            watcher("ready" if tx.ready else "future")
        return tx_hash

    def _usurp(self, old: PoolTx, new: PoolTx) -> None:
        """`new` (higher priority) takes `old`'s place at the same (sender, nonce), keeping its queue."""
        self.by_sender[old.ext.signer][old.ext.nonce] = new
        del self.by_hash[old.hash]
        self.by_hash[new.hash] = new
        if old.ready:
            old.ready = False
            self._ready_count -= 1
            self._mark_ready(new)
        else:
            self._future.pop(old.hash, None)
            self._future[new.hash] = new
        self._notify(old.hash, ("usurped", "0x" + new.hash.hex()), final=True)

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
            except Exception:  # a subscriber's callback must not break the pool (not consensus state)
                log.exception("transaction watcher failed")

    def _ban(self, tx_hash: bytes) -> None:
        self.banned[tx_hash] = self.clock() + self.ban_seconds
        if len(self.banned) > 100_000:  # bound memory: forget the oldest half
            for key in sorted(self.banned, key=self.banned.__getitem__)[:50_000]:
                del self.banned[key]

    def _remove(self, tx: PoolTx, status: object | None) -> None:
        self.by_hash.pop(tx.hash, None)
        self._future.pop(tx.hash, None)
        sender = tx.ext.signer
        queue = self.by_sender.get(sender, {})
        if queue.get(tx.ext.nonce) is tx:
            del queue[tx.ext.nonce]
            if tx.ready:
                # the run ends before it: its later nonces wait again
                tx.ready = False
                self._ready_count -= 1
                base = self._base[sender]
                for nonce in range(tx.ext.nonce + 1, base + self._ready_len[sender]):
                    if nonce in queue:
                        self._mark_future(queue[nonce])
                self._ready_len[sender] = tx.ext.nonce - base
            if not queue:
                del self.by_sender[sender]
                del self._base[sender], self._ready_len[sender]
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
            if sender in self.by_sender:
                self._rebase(sender)

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


def decode_and_preverify(chain, raw: bytes) -> Extrinsic:
    """The pure, costly part of a submission, safe on a worker thread: decode `raw` and verify
    its signature into the chain's verified-signature cache (against the era block hash the
    best chain holds now; if that changes meanwhile, validation just verifies it again).
    Raises PoolError for a malformed extrinsic; validity is decided by `submit`."""
    try:
        ext = decode_extrinsic(raw)
    except MalformedExtrinsic as exc:
        raise bad_format(str(exc)) from None
    if ext.is_signed:
        era_hash: bytes | None = chain.genesis_hash
        if ext.era is not None:
            birth = ext.era.birth(chain.best_number + 1)
            if birth != 0:
                era_hash = chain.store.canonical_hash(birth)
        if era_hash is not None:
            remember_signature(ext, chain.genesis_hash, era_hash, chain.verified_signatures)
    return ext


__all__ = ["TransactionPool", "decode_and_preverify", "RACE_REASONS", "PoolError", "PoolTx", "bad_format", "decode_extrinsic"]
