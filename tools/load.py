"""`agora load`: a transaction mix from funded accounts into one or more nodes, measured end to end.

    agora load --url ws://127.0.0.1:9944 --seconds 30 --rate 1000 --connections 4 [--json out.json]
    agora load --mix transfer=90,weights=5,bid=5 --accounts 32 --validators 64 --url A --url B

Kinds and the setup they need (funded derived accounts, a subnet with permitted validators, market
providers): `tools/load_mix.py`. Each sender belongs to one WebSocket connection, so its nonces
arrive in order; connections are spread over the given URLs. `--rate 0` submits as fast as the node
accepts (a window of unfinished submissions per connection).

No transaction is lost silently: each is submitted with author_submitAndWatchExtrinsic, so the node
reports it dropped with a reason (usurped, dropped, invalid) until it is in a block; then the watch
is ended (author_unwatchExtrinsic: the node holds at most 1,024 subscriptions per connection, and a
watch held until finality made the window of unfinished submissions, not the chain, bound the rate),
and a follower connection, which reads every new and finalized block anyway, records finality, so
inBlock/finalized latencies are as this client saw them. After the load, up to `--drain` seconds pass for the rest; an accepted
transaction still open then whose nonce the sender's finalized nonce has passed is reported dropped
("stale"), and anything else is `lost` (accepted, neither finalized nor reported). A dropped
transaction leaves a nonce gap: the sender's next submission fills it (system_accountNextIndex).
`--no-watch` submits with author_submitExtrinsic (cheaper for the node) and relies on the blocks.

A transaction in a finalized block whose call failed (its extrinsic emitted System.ExtrinsicFailed:
the fee is paid, the transfer did not happen) is counted apart, as "failed in block" with its error
(`Balances.InsufficientBalance`, `Token.FundsUnavailable`...), not as finalized: the follower reads
each finalized block's System.Events (tools/load_events.py). The drain waits for those reads too.

Rates are counts over the span from the first submission to the last event of that kind.
"""
from __future__ import annotations

import dataclasses
import io
import json
import sys
import time
from collections import Counter

import trio

from primitives.hashing import blake2_256
from tools import load_mix as mixmod
from tools.load_events import EventDecoder, EventsError, events_key
from tools.load_rpc import (DROP_STATUSES, Calls, ChainInfo, Connection, RpcFailure, SetupFailed, Signer, finalized_nonce,
                            open_connection)

DEV_SENDERS = ("//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie")
WINDOW = 256              # unanswered submissions per connection (--no-watch) when running "as fast as accepted"
WATCH_WINDOW = 1000       # watched submissions not yet in a block, per connection (the node allows 1024 subscriptions)
BATCH = 64                # calls per JSON-RPC batch message (submissions, unwatches)
FLUSH_S = 0.002           # how long a batch gathers before it is sent


@dataclasses.dataclass(eq=False)
class Tracked:
    kind: str
    signer: Signer
    nonce: int
    submitted: float
    accepted: float | None = None
    in_block: float | None = None
    finalized: float | None = None
    dropped: str | None = None      # the reason, when the node (or the finalized nonce) says it never will be
    released: bool = False          # its slot in the connection's window is free again
    failed: str | None = None       # in a finalized block, but its call failed: the error
    checked: bool = False           # the events of the finalized block holding it were read
    subscription: str | None = None  # its watch on the node, until it is in a block

    @property
    def open(self) -> bool:
        return self.accepted is not None and self.finalized is None and self.dropped is None

    @property
    def succeeded(self) -> bool:
        return self.finalized is not None and self.failed is None


@dataclasses.dataclass
class LoadStats:
    started: float = 0.0
    load_seconds: float = 0.0
    txs: dict[bytes, Tracked] = dataclasses.field(default_factory=dict)
    rejected: Counter = dataclasses.field(default_factory=Counter)
    submitted: int = 0
    epochs: dict | None = None
    unread_events: int = 0          # finalized blocks whose events could not be read (outcomes unknown)

    def summary(self) -> dict:
        accepted = [t for t in self.txs.values() if t.accepted is not None]
        included = [t for t in accepted if t.in_block is not None]
        finalized = [t for t in accepted if t.succeeded]
        failed = Counter(t.failed for t in accepted if t.finalized is not None and t.failed is not None)
        dropped = Counter(t.dropped for t in accepted if t.finalized is None and t.dropped is not None)

        def rate(events: list[float]) -> float:
            if not events:
                return 0.0
            return len(events) / max(max(events) - self.started, 1e-9)

        def pct(values: list[float]) -> dict:
            values = sorted(values)
            if not values:
                return {"p50": None, "p90": None, "p99": None, "max": None}
            pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
            return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": values[-1]}

        kinds: dict[str, Counter] = {}
        for t in self.txs.values():
            c = kinds.setdefault(t.kind, Counter())
            c["submitted"] += 1
            if t.accepted is not None:
                c["accepted"] += 1
                c["finalized" if t.succeeded else "failed" if t.finalized is not None
                  else "dropped" if t.dropped else "lost"] += 1
        lost = sum(1 for t in accepted if t.open)
        out = {
            "load_seconds": self.load_seconds,
            "submitted": self.submitted,
            "accepted": len(accepted),
            "rejected": dict(self.rejected),
            "included": len(included),
            "finalized": len(finalized),       # finalized, and the call succeeded
            "failed": sum(failed.values()),    # finalized, but the call failed (System.ExtrinsicFailed)
            "failed_errors": dict(failed),
            "unread_events": self.unread_events,
            "dropped": dict(dropped),
            "lost": lost,
            "pending": lost,   # the name before the watch existed: accepted, not finalized, not reported
            "kinds": {k: {f: c[f] for f in ("submitted", "accepted", "finalized", "failed", "dropped", "lost")}
                      for k, c in sorted(kinds.items())},
            "accepted_per_s": rate([t.accepted for t in accepted]),
            "included_per_s": rate([t.in_block for t in included]),
            "finalized_per_s": rate([t.finalized for t in finalized]),
            "latency_in_block_s": pct([t.in_block - t.submitted for t in included]),
            "latency_finalized_s": pct([t.finalized - t.submitted for t in finalized]),
        }
        if self.epochs is not None:
            out["epochs"] = self.epochs
        return out


async def _follow(conn: Connection, stats: LoadStats, start_number: int, epochs=None,
                  decoder: EventDecoder | None = None) -> None:
    """Mark transactions inBlock / finalized from new and finalized heads (a skipped block is fetched);
    with `epochs`, each finalized block's epoch bookkeeping is read too; with `decoder`, each finalized
    block's events, for the transactions whose call failed."""
    blocks: dict[str, tuple[int, str, list[bytes]]] = {}   # hash -> (number, parent, tx hashes)
    finalized_done: set[str] = set()
    in_block_done: set[str] = set()

    async def block(h: str):
        if h not in blocks:
            b = (await conn.call("chain_getBlock", h))["block"]
            blocks[h] = (int(b["header"]["number"], 16), b["header"]["parentHash"],
                         [blake2_256(bytes.fromhex(x[2:])) for x in b["extrinsics"]])
        return blocks[h]

    async def walk(h: str, now: float, finality: bool) -> None:
        done = finalized_done if finality else in_block_done
        while h not in done:
            number, parent, txs = await block(h)
            if number <= start_number:   # what we submit can only be in later blocks
                return
            done.add(h)
            if finality and epochs is not None:
                await epochs.observe(conn, h, number)
            ours = [(i, stats.txs.get(tx_hash)) for i, tx_hash in enumerate(txs)]
            ours = [(i, t) for i, t in ours if t is not None]
            failures = await _failures(conn, h, decoder, stats) if finality and ours and decoder else {}
            for index, t in ours:
                if t.in_block is None:
                    t.in_block = now
                if finality:
                    if t.finalized is None:
                        t.finalized = now
                    t.failed = failures.get(index)
                    t.checked = True
            h = parent

    async def heads(method: str, finality: bool):
        channel = await conn.subscribe(method)
        async for header in channel:
            now = time.monotonic()
            head_hash = await conn.call("chain_getBlockHash", int(header["number"], 16))
            if head_hash is not None:
                await walk(head_hash, now, finality)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(heads, "chain_subscribeNewHeads", False)
        nursery.start_soon(heads, "chain_subscribeFinalizedHeads", True)


async def _failures(conn: Connection, block_hash: str, decoder: EventDecoder, stats: LoadStats) -> dict[int, str]:
    """Extrinsic index -> error for the failed calls of a block ({} if its events cannot be read)."""
    try:
        raw = await conn.call("state_getStorage", "0x" + events_key().hex(), block_hash)
        return decoder.failures(bytes.fromhex(raw[2:])) if raw else {}
    except (EventsError, RpcFailure):
        stats.unread_events += 1
        return {}


class Submitter:
    """Submits for one connection, tracking each transaction to its end; the window bounds what is
    unanswered (or, watching, unfinished) on the connection. Submissions, and the unwatches at
    inBlock, go out as JSON-RPC batches (up to BATCH calls, gathered for FLUSH_S): one WebSocket
    message each way instead of one per call. The node serves a batch's items in order, so a
    sender's nonces still reach its pool in order."""

    def __init__(self, conn: Connection, stats: LoadStats, nursery: trio.Nursery, watch: bool):
        self.conn, self.stats, self.nursery, self.watch = conn, stats, nursery, watch
        self.window = trio.CapacityLimiter(WATCH_WINDOW if watch else WINDOW)
        self._outgoing: list[tuple[bytes, Tracked]] = []
        self._unwatching: list[Tracked] = []
        self._flushing = False

    def _release(self, t: Tracked) -> None:
        if not t.released:
            t.released = True
            self.window.release_on_behalf_of(t)

    def _on_status(self, t: Tracked):
        def on_item(status) -> bool:
            if isinstance(status, list) and status:        # ("usurped", hash) as a pair
                status = {status[0]: status[1] if len(status) > 1 else None}
            key = next(iter(status), None) if isinstance(status, dict) else status
            now = time.monotonic()
            if key == "inBlock":
                t.in_block = t.in_block or now
                # the follower records finality from the blocks; the watch's slot is free once ended
                # (with no id stored yet, _watch_started ends it)
                if t.subscription is not None:
                    self._queue(self._unwatching, t)
                return True
            if key == "finalized":
                t.in_block = t.in_block or now
                t.finalized = t.finalized or now
            elif key in DROP_STATUSES:
                if t.finalized is None:
                    t.dropped = key
                    t.signer.resync = True   # its later nonces wait on this one: the next submission fills it
            else:
                return False
            self._release(t)
            return True
        return on_item

    def _watch_started(self, t: Tracked, subscription: str) -> None:
        """The submit's answer: its watch's id. inBlock may have come with that answer, before
        this task stored the id: the watch is then ended here."""
        t.subscription = subscription
        if t.in_block is not None and not t.released:
            self._queue(self._unwatching, t)

    def _queue(self, queue: list, item) -> None:
        queue.append(item)
        if not self._flushing:
            self._flushing = True
            self.nursery.start_soon(self._flush)

    async def _flush(self) -> None:
        """Send what is queued, a batch at a time, until nothing is (each batch answered apart)."""
        try:
            while self._outgoing or self._unwatching:
                await trio.sleep(FLUSH_S)
                if self._unwatching:
                    batch, self._unwatching = self._unwatching[:BATCH], self._unwatching[BATCH:]
                    self.nursery.start_soon(self._unwatch, batch)
                if self._outgoing:
                    batch, self._outgoing = self._outgoing[:BATCH], self._outgoing[BATCH:]
                    self.nursery.start_soon(self._send, batch)
        finally:
            self._flushing = False

    async def _unwatch(self, batch: list[Tracked]) -> None:
        # a refusal means the watch ended on the node meanwhile (finalized or dropped): nothing to free
        await self.conn.call_batch([("author_unwatchExtrinsic", (t.subscription,), None) for t in batch])
        for t in batch:
            self._release(t)

    async def _send(self, batch: list[tuple[bytes, Tracked]]) -> None:
        method = "author_submitAndWatchExtrinsic" if self.watch else "author_submitExtrinsic"
        answers = await self.conn.call_batch([(method, ("0x" + raw.hex(),), self._on_status(t) if self.watch else None)
                                              for raw, t in batch])
        now = time.monotonic()
        for (_, t), answer in zip(batch, answers):
            if isinstance(answer, RpcFailure):
                self.stats.rejected[str(answer)] += 1
                t.signer.resync = True
                self._release(t)
                continue
            t.accepted = t.accepted or now
            if self.watch:
                self._watch_started(t, answer)
            else:
                self._release(t)

    async def submit(self, signer: Signer, call: bytes, kind: str, signed: tuple[bytes, int] | None = None) -> None:
        """Submit `call` from `signer`, or `signed` (its extrinsic and nonce, signed ahead). After a
        refusal or drop the sender's nonce gap is filled first, with `call` signed at the gap."""
        if signer.resync:
            gap = await signer.next_nonce(self.conn)
            if gap is not None:
                await self._enqueue(*signer.sign(call, gap), signer, kind)
        await self._enqueue(*(signed or signer.sign(call)), signer, kind)

    async def _enqueue(self, raw: bytes, nonce: int, signer: Signer, kind: str) -> None:
        t = Tracked(kind, signer, nonce, time.monotonic())
        await self.window.acquire_on_behalf_of(t)
        self.stats.txs[blake2_256(raw)] = t
        self.stats.submitted += 1
        self._queue(self._outgoing, (raw, t))


async def _submit_loop(sub: Submitter, sources: list, order: list[str], rate: float, until: float) -> None:
    paced_from = trio.current_time()   # trio's clock, which sleep_until reads
    by_kind = {s.kind: s for s in sources}
    order = [k for k in order if k in by_kind] or [s.kind for s in sources]
    for i in range(10**12):
        if time.monotonic() >= until:
            break
        if rate > 0:
            await trio.sleep_until(paced_from + i / rate)
        kind = order[i % len(order)]
        item = by_kind[kind].next()
        if item is None and kind != "transfer" and "transfer" in by_kind:   # no open order to bid on yet
            kind, item = "transfer", by_kind["transfer"].next()
        if item is None:
            await trio.sleep(0.05)
            continue
        signer, call, *signed = item
        await sub.submit(signer, call, kind, *signed)


async def _classify_open(conn: Connection, stats: LoadStats) -> None:
    """After the drain: an open transaction whose nonce the sender's finalized nonce has passed was
    replaced by another with that nonce, so it never will be included ("stale")."""
    at = await conn.call("chain_getFinalizedHead")
    nonces: dict[bytes, int] = {}
    for t in stats.txs.values():
        if t.open:
            who = t.signer.key.public_key
            if who not in nonces:
                nonces[who] = await finalized_nonce(conn, who, at)
            if nonces[who] > t.nonce:
                t.dropped = "stale"


async def run_load(urls: list[str], *, seconds: float, rate: float, connections: int, drain: float,
                   senders: tuple[str, ...] = DEV_SENDERS, progress=None, mix: dict[str, int] | None = None,
                   accounts: int = 0, validators: int = 64, netuid: int | None = None, providers: int = 16,
                   weights_uids: tuple[int, int] = (64, 256), watch: bool = True, presign: int = 0,
                   log=None) -> dict:
    from primitives.keys import Keypair

    mix = mix or {"transfer": 1}
    log = log or (lambda line: None)
    stats = LoadStats()
    async with trio.open_nursery() as nursery:
        control = await open_connection(nursery, urls[0])
        chain = await ChainInfo.read(control)
        slot_s = await _slot_seconds(control)
        funders = [await chain.signer(control, Keypair.from_uri(uri)) for uri in senders]
        pallets = {"Balances"} | ({"SubtensorModule"} if "weights" in mix else set()) | ({"Market"} if "bid" in mix else set())
        calls = await Calls.load(urls[0], pallets)
        setup = await mixmod.prepare(control, chain, calls, funders, mix=mix, accounts=accounts, validators=validators,
                                     netuid=netuid, providers=providers, slot_s=slot_s, log=log)
        sources = [mixmod.TransferSource(setup.transfer, calls)]
        if setup.validators:
            lo, hi = weights_uids
            sources.append(mixmod.WeightsSource(setup.validators, calls, setup.netuid, setup.uids, lo, hi))
        book = mixmod.OrderBook(fresh_s=slot_s)
        if setup.providers:
            sources.append(mixmod.BidSource(setup.providers, calls, book, setup.bid_deposit))
        most = max(len(s.signers) for s in sources)
        connections = max(1, min(connections, most))
        workers = [await open_connection(nursery, urls[(i + 1) % len(urls)])
                   for i in range(connections)]
        epochs = mixmod.EpochWatch(setup.netuid, setup.tempo) if setup.netuid is not None else None
        start_number = int((await control.call("chain_getHeader"))["number"], 16)
        decoder = EventDecoder(calls.metadata) if calls.metadata is not None else None
        nursery.start_soon(_follow, control, stats, start_number, epochs, decoder)
        order = mixmod.schedule(mix)
        splits = [[s.split(k, len(workers)) for s in sources] for k in range(len(workers))]
        if presign:
            # on a worker thread: the follower keeps reading blocks meanwhile
            transfers = [s for mine in splits for s in mine if s.kind == "transfer" and s.signers]
            log(f"signing {presign:,} transfers ahead")
            for source in transfers:
                await trio.to_thread.run_sync(source.presign, -(-presign // len(transfers)))
        stats.started = time.monotonic()
        until = stats.started + seconds
        per_conn_rate = rate / len(workers) if rate > 0 else 0.0
        async with trio.open_nursery() as load:
            if setup.tenant is not None:
                feeder = Submitter(control, stats, nursery, watch)
                load.start_soon(mixmod.feed_orders, control, calls, setup.tenant, book, len(setup.providers),
                                feeder.submit, slot_s)
            async with trio.open_nursery() as loops:
                for k, conn in enumerate(workers):
                    sub = Submitter(conn, stats, nursery, watch)
                    loops.start_soon(_submit_loop, sub, [s for s in splits[k] if s.signers], order, per_conn_rate,
                                     until)
                if progress is not None:
                    loops.start_soon(_report_progress, stats, until, progress)
            load.cancel_scope.cancel()
        stats.load_seconds = time.monotonic() - stats.started
        with trio.move_on_after(drain):
            while any(t.open or (t.finalized is not None and not t.checked and decoder is not None)
                      or (t.accepted is None and not t.released) for t in stats.txs.values()):
                await trio.sleep(0.2)
        await _classify_open(control, stats)
        if epochs is not None:
            stats.epochs = epochs.summary(start_number)
        nursery.cancel_scope.cancel()
    return stats.summary()


async def _slot_seconds(conn: Connection) -> float:
    from tools.load_rpc import read_uint

    ms = await read_uint(conn, "Aura", "SlotDuration")
    return ms / 1000 if ms else 2.0


async def _report_progress(stats: LoadStats, until: float, out) -> None:
    while time.monotonic() < until:
        await trio.sleep(1.0)
        s = stats.summary()
        elapsed = time.monotonic() - stats.started
        total = until - stats.started
        bar = "#" * int(30 * min(elapsed / total, 1.0))
        print(f"\r[{bar:<30}] {elapsed:5.1f}s accepted {s['accepted']} included {s['included']} "
              f"finalized {s['finalized']} dropped {sum(s['dropped'].values())}", end="", file=out, flush=True)
    print(file=out)


def render_table(summary: dict) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"agora load: {summary['load_seconds']:.1f} s")
    for col in ("", "count", "per second", "latency p50", "p90", "p99", "max"):
        table.add_column(col)

    def ms(value):
        return "" if value is None else f"{value * 1000:.0f} ms"

    table.add_row("submitted", str(summary["submitted"]), "", "", "", "", "")
    table.add_row("accepted", str(summary["accepted"]), f"{summary['accepted_per_s']:.1f}", "", "", "", "")
    lat = summary["latency_in_block_s"]
    table.add_row("in block", str(summary["included"]), f"{summary['included_per_s']:.1f}",
                  ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]), ms(lat["max"]))
    lat = summary["latency_finalized_s"]
    table.add_row("finalized", str(summary["finalized"]), f"{summary['finalized_per_s']:.1f}",
                  ms(lat["p50"]), ms(lat["p90"]), ms(lat["p99"]), ms(lat["max"]))
    table.add_row("failed in block (finalized, call failed)", str(summary["failed"]), "", "", "", "", "")
    for error, count in sorted(summary["failed_errors"].items()):
        table.add_row(f"failed: {error}", str(count), "", "", "", "", "")
    if summary["unread_events"]:
        table.add_row("finalized blocks whose events could not be read", str(summary["unread_events"]),
                      "", "", "", "", "")
    for reason, count in sorted(summary["dropped"].items()):
        table.add_row(f"dropped: {reason}", str(count), "", "", "", "", "")
    table.add_row("lost (accepted, neither finalized nor reported)", str(summary["lost"]), "", "", "", "", "")
    for reason, count in sorted(summary["rejected"].items()):
        table.add_row(f"rejected: {reason}", str(count), "", "", "", "", "")
    for kind, c in summary["kinds"].items():
        table.add_row(f"  {kind}", f"{c['finalized']}/{c['accepted']}/{c['submitted']}",
                      "finalized/accepted/submitted", f"failed {c['failed']}", f"dropped {c['dropped']}",
                      f"lost {c['lost']}", "")
    ep = summary.get("epochs")
    if ep:
        table.add_row(f"epochs of subnet {ep['netuid']} on time", f"{ep['on_time']}/{ep['due']}",
                      f"tempo {ep['tempo']}", "", "", "", "")
    out = io.StringIO()
    Console(width=120, file=out).print(table)
    return out.getvalue()


def add_load_command(subparsers) -> None:
    p = subparsers.add_parser("load", help="Load generator: a transaction mix from funded accounts; TPS, latency")
    p.add_argument("--url", action="append", help="node WebSocket RPC URL (repeat for several nodes)")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to submit (default 30)")
    p.add_argument("--rate", type=float, default=0.0, help="transactions per second in all; 0: as fast as accepted")
    p.add_argument("--connections", type=int, default=4, help="submitting WebSocket connections")
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds to wait after the load for accepted transactions to finalize")
    p.add_argument("--mix", default="transfer=100", help="kinds and shares, e.g. transfer=90,weights=5,bid=5")
    p.add_argument("--accounts", type=int, default=0, help="derived accounts to fund as extra transfer senders")
    p.add_argument("--validators", type=int, default=64, help="validator hotkeys setting weights (weights kind)")
    p.add_argument("--weights-uids", default="64:256", help="UIDs per set_weights, LO:HI (capped at the subnet's)")
    p.add_argument("--netuid", type=int, help="subnet for weights (default: register a new one)")
    p.add_argument("--providers", type=int, default=16, help="market providers placing bids (bid kind)")
    p.add_argument("--no-watch", action="store_true",
                   help="submit without author_submitAndWatchExtrinsic (drop reasons only from nonces)")
    p.add_argument("--presign", type=int, default=0, metavar="N",
                   help="sign N transfers before the load starts (rates then exclude signing; default 0)")
    p.add_argument("--json", metavar="PATH", help="also write the summary as JSON ('-': stdout)")
    p.set_defaults(run=_run_command)


def _first(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


def _run_command(args) -> int:
    if (args.seconds <= 0 or args.rate < 0 or args.connections < 1 or args.drain < 0 or args.accounts < 0
            or args.presign < 0):
        print("error: --seconds and --connections must be positive, --rate, --drain, --accounts and --presign "
              "not negative",
              file=sys.stderr)
        return 2
    try:
        mix = mixmod.parse_mix(args.mix)
        uids = mixmod.weights_range(args.weights_uids)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from trio_websocket import HandshakeError

    urls = args.url or ["ws://127.0.0.1:9944"]
    try:
        summary = trio.run(lambda: run_load(
            urls, seconds=args.seconds, rate=args.rate, connections=args.connections, drain=args.drain,
            progress=sys.stderr, mix=mix, accounts=args.accounts, validators=args.validators, netuid=args.netuid,
            providers=args.providers, weights_uids=uids, watch=not args.no_watch, presign=args.presign,
            log=lambda line: print(line, file=sys.stderr)))
    except (OSError, HandshakeError, RpcFailure, SetupFailed, BaseExceptionGroup) as exc:
        cause = _first(exc)
        if isinstance(cause, RpcFailure):
            print(f"error: the node refused a call: {cause}", file=sys.stderr)
        elif isinstance(cause, SetupFailed):
            print(f"error: setup: {cause}", file=sys.stderr)
        elif isinstance(cause, (OSError, HandshakeError)):
            print(f"error: cannot reach {', '.join(urls)}: {cause!r}", file=sys.stderr)
        else:
            raise
        return 1
    print(render_table(summary))
    if args.json == "-":
        print(json.dumps(summary, indent=2))
    elif args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    return 0
