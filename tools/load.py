"""`agora load`: balance transfers from funded dev accounts into one or more nodes, measured end to end.

    agora load --url ws://127.0.0.1:9944 --seconds 30 --rate 1000 --connections 4 [--json out.json]

Each sender (the well-known dev accounts: funded at genesis on dev/local chains) belongs to one
WebSocket connection, so its nonces arrive in order; connections are spread over the given URLs.
`--rate 0` submits as fast as the node accepts (a window of unanswered submissions per
connection). One extra connection follows new and finalized heads and reads each block's
extrinsics, so every accepted transaction gets a submit->inBlock and submit->finalized latency as
this client saw them. After the load, up to `--drain` seconds pass for what was accepted to finalize;
what still is not is reported as pending (nothing is assumed).

Rates are counts over the span from the first submission to the last event of that kind.
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import json
import math
import sys
import time
from collections import Counter

import trio

DEV_SENDERS = ("//Alice", "//Bob", "//Charlie", "//Dave", "//Eve", "//Ferdie")
WINDOW = 256              # unanswered submissions per connection when running "as fast as accepted"


class RpcFailure(Exception):
    def __init__(self, error: dict):
        super().__init__(f"{error.get('message')}" + (f": {error['data']}" if error.get("data") else ""))
        self.error = error


class Connection:
    """JSON-RPC over one WebSocket: pipelined calls, subscriptions as trio channels."""

    def __init__(self, ws):
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, list] = {}
        self._subs: dict[str, trio.MemorySendChannel] = {}

    async def read_forever(self) -> None:
        while True:
            msg = json.loads(await self.ws.get_message())
            if "id" in msg and msg["id"] in self._waiting:
                slot = self._waiting.pop(msg["id"])
                slot[1] = msg
                slot[0].set()
            elif "params" in msg:
                channel = self._subs.get(msg["params"].get("subscription"))
                if channel is not None:
                    channel.send_nowait(msg["params"]["result"])

    async def call(self, method: str, *params):
        rid = next(self._ids)
        slot = [trio.Event(), None]
        self._waiting[rid] = slot
        await self.ws.send_message(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}))
        await slot[0].wait()
        if "error" in slot[1]:
            raise RpcFailure(slot[1]["error"])
        return slot[1]["result"]

    async def subscribe(self, method: str) -> trio.MemoryReceiveChannel:
        send, receive = trio.open_memory_channel(math.inf)
        self._subs[await self.call(method)] = send
        return receive


@dataclasses.dataclass(eq=False)
class Tracked:
    submitted: float
    accepted: float | None = None
    in_block: float | None = None
    finalized: float | None = None


@dataclasses.dataclass
class LoadStats:
    started: float = 0.0
    load_seconds: float = 0.0
    txs: dict[bytes, Tracked] = dataclasses.field(default_factory=dict)
    rejected: Counter = dataclasses.field(default_factory=Counter)
    submitted: int = 0

    def summary(self) -> dict:
        accepted = [t for t in self.txs.values() if t.accepted is not None]
        included = [t for t in accepted if t.in_block is not None]
        finalized = [t for t in accepted if t.finalized is not None]

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

        return {
            "load_seconds": self.load_seconds,
            "submitted": self.submitted,
            "accepted": len(accepted),
            "rejected": dict(self.rejected),
            "included": len(included),
            "finalized": len(finalized),
            "pending": len(accepted) - len(finalized),
            "accepted_per_s": rate([t.accepted for t in accepted]),
            "included_per_s": rate([t.in_block for t in included]),
            "finalized_per_s": rate([t.finalized for t in finalized]),
            "latency_in_block_s": pct([t.in_block - t.submitted for t in included]),
            "latency_finalized_s": pct([t.finalized - t.submitted for t in finalized]),
        }


class _Signer:
    """Signs transfers for one sender (immortal, no tip), keeping its nonce."""

    def __init__(self, uri: str, nonce: int, genesis: bytes, spec_version: int, tx_version: int):
        from primitives.keys import Keypair

        self.key = Keypair.from_uri(uri)
        self.nonce = nonce
        self.resync = False   # a submission was refused: its nonce is a gap the next one must fill
        self.tail = spec_version.to_bytes(4, "little") + tx_version.to_bytes(4, "little") + genesis + genesis + b"\x00"

    def next_transfer(self, call: bytes) -> bytes:
        from runtime.extrinsic import encode_signed, extra_bytes
        from primitives import crypto

        payload = call + extra_bytes(None, self.nonce, 0) + self.tail
        raw = encode_signed(call, self.key.public_key, 1, self.key.sign(crypto.signing_payload(payload)),
                            None, self.nonce, 0)
        self.nonce += 1
        return raw


async def _follow(conn: Connection, stats: LoadStats, start_number: int) -> None:
    """Mark transactions inBlock / finalized from new and finalized heads (a skipped block is fetched)."""
    from primitives.hashing import blake2_256

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
            for tx_hash in txs:
                t = stats.txs.get(tx_hash)
                if t is None:
                    continue
                if t.in_block is None:
                    t.in_block = now
                if finality and t.finalized is None:
                    t.finalized = now
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


async def _submit_loop(conn: Connection, signers: list[_Signer], call: bytes, rate: float, until: float,
                       stats: LoadStats) -> None:
    from primitives.hashing import blake2_256

    window = trio.CapacityLimiter(WINDOW)
    paced_from = trio.current_time()   # trio's clock, which sleep_until reads

    async def submit_one(raw: bytes, t: Tracked, signer: _Signer):
        try:
            await conn.call("author_submitExtrinsic", "0x" + raw.hex())
            t.accepted = time.monotonic()
        except RpcFailure as err:
            stats.rejected[str(err)] += 1
            signer.resync = True
        finally:
            window.release_on_behalf_of(t)

    async with trio.open_nursery() as nursery:
        for i in itertools.count():
            now = time.monotonic()
            if now >= until:
                break
            if rate > 0:
                await trio.sleep_until(paced_from + i / rate)
            signer = signers[i % len(signers)]
            if signer.resync:   # the node's next index for it (counting its pool) refills the gap
                signer.resync = False
                signer.nonce = await conn.call("system_accountNextIndex", signer.key.ss58_address)
            raw = signer.next_transfer(call)
            t = Tracked(time.monotonic())
            await window.acquire_on_behalf_of(t)
            stats.txs[blake2_256(raw)] = t
            stats.submitted += 1
            nursery.start_soon(submit_one, raw, t, signer)


async def run_load(urls: list[str], *, seconds: float, rate: float, connections: int, drain: float,
                   senders: tuple[str, ...] = DEV_SENDERS, progress=None) -> dict:
    from trio_websocket import open_websocket_url

    from runtime.construct import get_runtime
    from primitives.keys import Keypair

    stats = LoadStats()
    connections = max(1, min(connections, len(senders)))
    async with trio.open_nursery() as nursery:
        conns: list[Connection] = []
        for i in range(connections + 1):
            ws = await nursery.start(_open, open_websocket_url, urls[i % len(urls)])
            conn = Connection(ws)
            nursery.start_soon(conn.read_forever)
            conns.append(conn)
        control, workers = conns[0], conns[1:]
        genesis = bytes.fromhex((await control.call("chain_getBlockHash", 0))[2:])
        version = await control.call("state_getRuntimeVersion")
        dest = Keypair.from_uri("//Bob").public_key
        call = get_runtime().call_enum.encode(
            ("Balances", ("transfer_keep_alive", {"dest": ("Id", dest), "value": 10**6})))
        signers = []
        for uri in senders:
            address = Keypair.from_uri(uri).ss58_address
            nonce = await control.call("system_accountNextIndex", address)
            signers.append(_Signer(uri, nonce, genesis, version["specVersion"], version["transactionVersion"]))
        start_number = int((await control.call("chain_getHeader"))["number"], 16)
        nursery.start_soon(_follow, control, stats, start_number)
        stats.started = time.monotonic()
        until = stats.started + seconds
        per_conn_rate = rate / len(workers) if rate > 0 else 0.0
        async with trio.open_nursery() as load:
            for k, conn in enumerate(workers):
                load.start_soon(_submit_loop, conn, signers[k::len(workers)], call, per_conn_rate, until, stats)
            if progress is not None:
                load.start_soon(_report_progress, stats, until, progress)
        stats.load_seconds = time.monotonic() - stats.started
        with trio.move_on_after(drain):
            while any(t.accepted is not None and t.finalized is None for t in stats.txs.values()):
                await trio.sleep(0.2)
        nursery.cancel_scope.cancel()
    return stats.summary()


async def _open(open_url, url: str, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
    async with open_url(url, max_message_size=64 * 2**20) as ws:
        task_status.started(ws)
        await trio.sleep_forever()


async def _report_progress(stats: LoadStats, until: float, out) -> None:
    while time.monotonic() < until:
        await trio.sleep(1.0)
        s = stats.summary()
        elapsed = time.monotonic() - stats.started
        total = until - stats.started
        bar = "#" * int(30 * min(elapsed / total, 1.0))
        print(f"\r[{bar:<30}] {elapsed:5.1f}s accepted {s['accepted']} included {s['included']} "
              f"finalized {s['finalized']}", end="", file=out, flush=True)
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
    table.add_row("pending (accepted, not finalized)", str(summary["pending"]), "", "", "", "", "")
    for reason, count in sorted(summary["rejected"].items()):
        table.add_row(f"rejected: {reason}", str(count), "", "", "", "", "")
    out = io.StringIO()
    Console(width=120, file=out).print(table)
    return out.getvalue()


def add_load_command(subparsers) -> None:
    p = subparsers.add_parser("load", help="Load generator: transfers from dev accounts; TPS and latency")
    p.add_argument("--url", action="append", help="node WebSocket RPC URL (repeat for several nodes)")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to submit (default 30)")
    p.add_argument("--rate", type=float, default=0.0, help="transfers per second in all; 0: as fast as accepted")
    p.add_argument("--connections", type=int, default=4, help="submitting WebSocket connections (at most 6)")
    p.add_argument("--drain", type=float, default=30.0,
                   help="seconds to wait after the load for accepted transactions to finalize")
    p.add_argument("--json", metavar="PATH", help="also write the summary as JSON ('-': stdout)")
    p.set_defaults(run=_run_command)


def _first(group: BaseException) -> BaseException:
    while isinstance(group, BaseExceptionGroup):
        group = group.exceptions[0]
    return group


def _run_command(args) -> int:
    if args.seconds <= 0 or args.rate < 0 or args.connections < 1 or args.drain < 0:
        print("error: --seconds and --connections must be positive, --rate and --drain not negative",
              file=sys.stderr)
        return 2
    from trio_websocket import HandshakeError

    urls = args.url or ["ws://127.0.0.1:9944"]
    try:
        summary = trio.run(lambda: run_load(urls, seconds=args.seconds, rate=args.rate,
                                            connections=args.connections, drain=args.drain,
                                            progress=sys.stderr))
    except (OSError, HandshakeError, RpcFailure, BaseExceptionGroup) as exc:
        cause = _first(exc)
        if isinstance(cause, RpcFailure):
            print(f"error: the node refused a call: {cause}", file=sys.stderr)
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
