"""What `agora load` submits besides dev-account transfers, and the chain state it needs first.

Kinds (`--mix transfer=90,weights=5,bid=5`):
- transfer: `Balances.transfer_keep_alive` from the dev accounts and `--accounts` derived accounts
  (`//load//account//i`, funded from the dev accounts first: the runtime has no utility batch, so one
  transfer each, all in the same blocks);
- weights: `SubtensorModule.set_weights` of 64-256 UIDs (`--weights-uids`) signed by validator hotkeys
  (`//load//validator//i`) registered on a subnet the load creates (`register_network` by //Alice) or on
  `--netuid`: each is funded, `burned_register`ed and staked (`add_stake`) by a dev account, then the
  load waits for the epoch that gives them validator permits;
- bid: `Market.create_bid` by providers (`//load//provider//i`, funded, `register_provider`) on the
  newest open orders; a tenant (`//load//tenant`) keeps orders coming with `create_deployment`
  (counted as kind `deployment`).
"""
from __future__ import annotations

import collections
import dataclasses
import random

import trio

from primitives.hashing import blake2_128, storage_prefix
from primitives.keys import Keypair
from primitives.types import TAO
from tools.load_rpc import (Calls, ChainInfo, Connection, SetupFailed, Signer, free_balance, read_storage,
                            read_uint, submit_all_finalized)

KINDS = ("transfer", "weights", "bid")
TRANSFER_VALUE = 10**6


def parse_mix(text: str) -> dict[str, int]:
    """`transfer=90,weights=5,bid=5` -> {kind: share}; raises ValueError on anything else."""
    mix = {}
    for part in text.split(","):
        kind, sep, share = part.partition("=")
        kind = kind.strip()
        if not sep or kind not in KINDS or kind in mix:
            raise ValueError(f"--mix: expected kind=share with kinds {', '.join(KINDS)}, got {part!r}")
        mix[kind] = int(share)
        if mix[kind] < 0:
            raise ValueError(f"--mix: {kind}'s share is negative")
    if not any(mix.values()):
        raise ValueError("--mix: every share is 0")
    return {k: v for k, v in mix.items() if v > 0}


def schedule(mix: dict[str, int]) -> list[str]:
    """Smooth weighted round robin over one period (sum of shares): kinds interleaved, not in runs."""
    total = sum(mix.values())
    current = dict.fromkeys(mix, 0)
    order = []
    for _ in range(total):
        for kind, share in mix.items():
            current[kind] += share
        kind = max(current, key=current.get)
        current[kind] -= total
        order.append(kind)
    return order


def derived(role: str, count: int) -> list[Keypair]:
    return [Keypair.from_uri(f"//load//{role}//{i}") for i in range(count)]


# --- sources: what each kind submits next -------------------------------------------------------------
class TransferSource:
    kind = "transfer"

    def __init__(self, signers: list[Signer], calls: Calls):
        self.signers, self.calls = signers, calls
        self.call = calls.transfer(Keypair.from_uri("//Bob").public_key, TRANSFER_VALUE)
        self._next = 0
        self._signed: collections.deque = collections.deque()

    def split(self, k: int, n: int) -> "TransferSource":
        return TransferSource(self.signers[k::n], self.calls)

    def presign(self, count: int) -> None:
        """Sign the next `count` transfers now, in the order `next` hands them out, so that a rate
        measured afterwards spends no time signing (as Polkadot's sTPS runs do)."""
        for _ in range(count if self.signers else 0):
            signer, call = self._pick()
            self._signed.append((signer, call, signer.sign(call)))

    def _pick(self) -> tuple[Signer, bytes]:
        signer = self.signers[self._next % len(self.signers)]
        self._next += 1
        return signer, self.call

    def next(self) -> tuple | None:
        """(signer, call), or (signer, call, (extrinsic, nonce)) while pre-signed ones last."""
        if self._signed:
            return self._signed.popleft()
        return self._pick() if self.signers else None


class WeightsSource:
    kind = "weights"

    def __init__(self, signers: list[Signer], calls: Calls, netuid: int, uids: int, lo: int, hi: int, seed: int = 0):
        self.signers, self.calls, self.netuid, self.uids, self.lo, self.hi = signers, calls, netuid, uids, lo, hi
        self.rng = random.Random(seed)
        self._next = 0

    def split(self, k: int, n: int) -> "WeightsSource":
        return WeightsSource(self.signers[k::n], self.calls, self.netuid, self.uids, self.lo, self.hi, seed=k)

    def next(self) -> tuple[Signer, bytes] | None:
        if not self.signers:
            return None
        signer = self.signers[self._next % len(self.signers)]
        self._next += 1
        count = min(self.uids, self.rng.randint(self.lo, self.hi))
        dests = sorted(self.rng.sample(range(self.uids), count))
        weights = [self.rng.randint(1, 65535) for _ in dests]
        return signer, self.calls.set_weights(self.netuid, dests, weights)


class OrderBook:
    """Orders seen on chain while fresh (their auction closes `bidding_window` blocks after creation, and
    a bid after that fails with OrderNotOpen), and which provider has bid on which."""

    KEEP = 8

    def __init__(self, fresh_s: float = 1.0):
        self.fresh_s = fresh_s
        self.seen: dict[int, float] = {}           # order -> when it was first seen
        self.bid: set[tuple[int, int]] = set()     # (provider index, order)
        self.next_order = 0

    def add_up_to(self, next_order: int) -> None:
        now = trio.current_time()
        for order in range(max(self.next_order, next_order - self.KEEP), next_order):
            self.seen[order] = now
        self.next_order = max(self.next_order, next_order)
        for order in [o for o, t in self.seen.items() if now - t > self.fresh_s]:
            del self.seen[order]

    @property
    def orders(self) -> list[int]:
        now = trio.current_time()
        return sorted(o for o, t in self.seen.items() if now - t <= self.fresh_s)

    def free_pairs(self, providers: int) -> int:
        return sum(1 for o in self.orders for p in range(providers) if (p, o) not in self.bid)


class BidSource:
    kind = "bid"

    def __init__(self, signers: list[Signer], calls: Calls, book: OrderBook, deposit: int,
                 indices: list[int] | None = None):
        self.signers, self.calls, self.book, self.deposit = signers, calls, book, deposit
        self.indices = indices if indices is not None else list(range(len(signers)))
        self._next = 0

    def split(self, k: int, n: int) -> "BidSource":
        return BidSource(self.signers[k::n], self.calls, self.book, self.deposit, self.indices[k::n])

    def next(self) -> tuple[Signer, bytes] | None:
        for _ in range(len(self.signers)):
            i = self._next % len(self.signers)
            self._next += 1
            for order in reversed(self.book.orders):   # the newest order first: its auction is still open
                if (self.indices[i], order) not in self.book.bid:
                    self.book.bid.add((self.indices[i], order))
                    return self.signers[i], self.calls.create_bid(order, 1_000, self.deposit)
        return None


def deployment_call(calls: Calls) -> bytes:
    return calls.create_deployment(b"load", cpu_millis=100, memory=2**20, max_price=10**6, deposit=TAO)


async def next_order_id(conn: Connection) -> int:
    return await read_uint(conn, "Market", "NextOrderId")


# --- setup --------------------------------------------------------------------------------------------
@dataclasses.dataclass
class Setup:
    transfer: list[Signer]
    validators: list[Signer] = dataclasses.field(default_factory=list)
    providers: list[Signer] = dataclasses.field(default_factory=list)
    tenant: Signer | None = None
    netuid: int | None = None
    uids: int = 0
    tempo: int = 0
    bid_deposit: int = 0


async def _netuids(conn: Connection) -> set[int]:
    prefix = storage_prefix("SubtensorModule", "NetworksAdded")
    keys = await conn.call("state_getKeysPaged", "0x" + prefix.hex(), 1000)
    return {int.from_bytes(bytes.fromhex(k[2:])[32:34], "little") for k in keys}


def _uid_key(netuid: int, hotkey: bytes) -> bytes:
    return (storage_prefix("SubtensorModule", "Uids") + netuid.to_bytes(2, "little") + blake2_128(hotkey) + hotkey)


async def _permits(conn: Connection, netuid: int) -> list[bool]:
    raw = await read_storage(conn, storage_prefix("SubtensorModule", "ValidatorPermit") + netuid.to_bytes(2, "little"))
    if not raw:
        return []
    from primitives.scale import decode_compact
    n, offset = decode_compact(raw, 0)
    return [b != 0 for b in raw[offset:offset + n]]


async def prepare(conn: Connection, chain: ChainInfo, calls: Calls, funders: list[Signer], *, mix: dict[str, int], accounts: int,
                  validators: int, netuid: int | None, providers: int, slot_s: float, log) -> Setup:
    """Fund derived accounts; with weights in the mix, a subnet with staked validators holding permits;
    with bids, registered providers and a tenant. Every step waits for finalization."""
    setup = Setup(transfer=list(funders))
    wave: list[tuple[Signer, bytes]] = []
    fund: list[tuple[Keypair, int]] = [(k, 100 * TAO) for k in derived("account", accounts)]
    hotkeys = derived("validator", validators) if "weights" in mix else []
    fund += [(k, TAO) for k in hotkeys]
    provider_keys = derived("provider", providers) if "bid" in mix else []
    tenant_key = Keypair.from_uri("//load//tenant") if "bid" in mix else None
    fund += [(k, 1000 * TAO) for k in provider_keys] + ([(tenant_key, 10_000 * TAO)] if tenant_key else [])
    for i, (key, amount) in enumerate(fund):
        have = await free_balance(conn, key.public_key)
        if have < amount // 2:
            wave.append((funders[i % len(funders)], calls.transfer(key.public_key, amount - have)))
    before = await _netuids(conn) if "weights" in mix and netuid is None else set()
    if "weights" in mix and netuid is None:
        owner_hotkey = Keypair.from_uri("//load//owner").public_key
        wave.append((funders[0], calls.register_network(owner_hotkey)))
    if wave:
        log(f"setup: {len(wave)} transactions (funding{', a subnet' if before or 'weights' in mix else ''})")
        await submit_all_finalized(conn, wave, timeout=30 * slot_s, what="funding")
    for key in setup_keys(accounts):
        setup.transfer.append(await chain.signer(conn, key))

    wave = []
    if "weights" in mix:
        if netuid is None:
            new = await _netuids(conn) - before
            if not new:
                raise SetupFailed("register_network was finalized but no new subnet appeared (lock cost?)")
            netuid = max(new)
        setup.netuid = netuid
        for i, key in enumerate(hotkeys):
            if await read_storage(conn, _uid_key(netuid, key.public_key)) is None:
                coldkey = funders[i % len(funders)]
                wave.append((coldkey, calls.burned_register(netuid, key.public_key)))
                wave.append((coldkey, calls.add_stake(key.public_key, netuid, 100 * TAO)))
    if "bid" in mix:
        for key in provider_keys:
            if await read_storage(conn, storage_prefix("Market", "Providers") + blake2_128(key.public_key)
                                  + key.public_key) is None:
                signer = await chain.signer(conn, key)
                wave.append((signer, calls.register_provider(b"load.invalid")))
    if wave:
        log(f"setup: {len(wave)} transactions (registrations, stake)")
        await submit_all_finalized(conn, wave, timeout=30 * slot_s, what="registration")
    if "weights" in mix:
        setup.validators = [await chain.signer(conn, k) for k in hotkeys]
        setup.tempo = await read_uint(conn, "SubtensorModule", "Tempo", netuid.to_bytes(2, "little"), size=2)
        uids = [int.from_bytes((await read_storage(conn, _uid_key(netuid, k.public_key)) or b"\xff\xff")[:2], "little")
                for k in hotkeys]
        if 0xFFFF in uids:
            raise SetupFailed(f"a validator hotkey is not registered on subnet {netuid}")
        log(f"setup: subnet {netuid} (tempo {setup.tempo}): waiting for the epoch that gives "
            f"{len(uids)} validators their permits")
        with trio.move_on_after((2 * setup.tempo + 6) * slot_s):
            while True:
                permits = await _permits(conn, netuid)
                if all(u < len(permits) and permits[u] for u in uids):
                    break
                await trio.sleep(slot_s / 2)
        permits = await _permits(conn, netuid)
        missing = sum(1 for u in uids if not (u < len(permits) and permits[u]))
        if missing:
            raise SetupFailed(f"{missing} of {len(uids)} validators have no permit on subnet {netuid} after "
                              f"{2 * setup.tempo + 6} slots (MaxAllowedValidators?)")
        setup.uids = await read_uint(conn, "SubtensorModule", "SubnetworkN", netuid.to_bytes(2, "little"), size=2)
    if "bid" in mix:
        setup.providers = [await chain.signer(conn, k) for k in provider_keys]
        setup.tenant = await chain.signer(conn, tenant_key)
        setup.bid_deposit = TAO
    return setup


def setup_keys(accounts: int) -> list[Keypair]:
    return derived("account", accounts)


def weights_range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition(":")
    lo, hi = int(lo), int(hi or lo)
    if not 1 <= lo <= hi:
        raise ValueError("--weights-uids: LO:HI with 1 <= LO <= HI")
    return lo, hi


async def feed_orders(conn: Connection, calls: Calls, tenant: Signer, book: OrderBook, providers: int, submit, slot_s: float) -> None:
    """Keep bids possible: a deployment (one order) from the tenant whenever fewer than two orders'
    worth of (provider, order) pairs are free, counting deployments still on their way."""
    in_flight: list[tuple[int, float]] = []   # (NextOrderId when submitted, time)
    while True:
        book.add_up_to(await next_order_id(conn))
        in_flight = [(n, t) for n, t in in_flight if book.next_order <= n and trio.current_time() - t < 6 * slot_s]
        want = 2 * providers - book.free_pairs(providers) - providers * len(in_flight)
        for _ in range(min(4, -(-want // providers))) if want > 0 else ():
            await submit(tenant, deployment_call(calls), "deployment")
            in_flight.append((book.next_order, trio.current_time()))
        await trio.sleep(slot_s / 4)


class EpochWatch:
    """The subnet's epochs as finalized blocks record them: LastEpochBlock (the slot) and
    LastMechansimStepBlock (the epoch ran there), read at every finalized block of the load."""

    def __init__(self, netuid: int, tempo: int):
        self.netuid, self.tempo = netuid, tempo
        self.ran: dict[int, bool] = {}   # epoch slot block -> the epoch ran at that block
        self.last_number = 0

    async def observe(self, conn: Connection, block_hash: str, number: int) -> None:
        key = self.netuid.to_bytes(2, "little")
        slot = await read_uint(conn, "SubtensorModule", "LastEpochBlock", key, at=block_hash)
        step = await read_uint(conn, "SubtensorModule", "LastMechansimStepBlock", key, at=block_hash)
        self.ran[slot] = self.ran.get(slot, False) or step == slot
        self.last_number = max(self.last_number, number)

    def summary(self, start_number: int) -> dict:
        """Epochs due after `start_number` and how many ran at their scheduled block (previous + tempo)."""
        slots = sorted(self.ran)
        due = on_time = 0
        late = []
        for prev, cur in zip(slots, slots[1:]):
            if cur <= start_number:
                continue
            due += 1
            if cur - prev == self.tempo and self.ran[cur]:
                on_time += 1
            else:
                late.append(cur)
        if slots and self.tempo and self.last_number - slots[-1] >= self.tempo:
            due += 1   # one was due and had not run by the last finalized block seen
            late.append(slots[-1] + self.tempo)
        return {"netuid": self.netuid, "tempo": self.tempo, "due": due, "on_time": on_time, "late": late}
