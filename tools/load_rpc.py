"""Client pieces `agora load` shares with its setup: pipelined JSON-RPC over one WebSocket, a
signer that keeps its nonce, storage reads, and "submit these and wait until they are finalized"."""
from __future__ import annotations

import itertools
import json
import math
import time
from typing import Callable

import trio

from primitives.hashing import blake2_128, blake2_256, storage_prefix
from primitives.scale import encode_compact


class RpcFailure(Exception):
    def __init__(self, error: dict):
        super().__init__(f"{error.get('message')}" + (f": {error['data']}" if error.get("data") else ""))
        self.error = error


class SetupFailed(Exception):
    """The load's setup (funding, subnet, providers) did not reach the chain as planned."""


# terminal statuses of author_submitAndWatchExtrinsic (TransactionStatus), besides `finalized`
DROP_STATUSES = ("usurped", "dropped", "invalid", "finalityTimeout")


class Connection:
    """JSON-RPC over one WebSocket: pipelined calls; subscriptions call a function per notification
    (registered as the subscribe call's answer is read, so no early notification is missed)."""

    def __init__(self, ws):
        self.ws = ws
        self._ids = itertools.count(1)
        self._batches = itertools.count()
        self._waiting: dict[int, list] = {}
        self._subs: dict[object, Callable[[object], bool]] = {}

    async def read_forever(self) -> None:
        while True:
            msg = json.loads(await self.ws.get_message())
            for answer in msg if type(msg) is list else (msg,):
                self._receive(answer)

    def _receive(self, msg: dict) -> None:
        if "id" in msg and msg["id"] in self._waiting:
            self._settle(self._waiting.pop(msg["id"]), msg)
        elif msg.get("id", 0) is None and "error" in msg:
            # a batch refused as a whole (too long, too big, batches disabled): each of its calls fails.
            # The node answers messages in the order sent, so it is the oldest batch still waiting.
            oldest = min((slot[3] for slot in self._waiting.values() if slot[3] is not None), default=None)
            if oldest is not None:
                for rid in [rid for rid, slot in self._waiting.items() if slot[3] == oldest]:
                    self._settle(self._waiting.pop(rid), msg)
        elif "params" in msg:
            sub = msg["params"].get("subscription")
            on_item = self._subs.get(sub)
            if on_item is not None and on_item(msg["params"]["result"]):
                del self._subs[sub]   # the subscription is over (a terminal transaction status)

    def _settle(self, slot: list, msg: dict) -> None:
        slot[1] = msg
        if slot[2] is not None and "result" in msg:
            self._subs[msg["result"]] = slot[2]
        slot[0].set()

    async def call(self, method: str, *params, on_item: Callable[[object], bool] | None = None):
        """Call `method`; with `on_item` it is a subscription: each notification goes to `on_item`,
        which returns True when it was the last one."""
        slot, request = self._open(method, params, on_item, None)
        await self.ws.send_message(json.dumps(request))
        await slot[0].wait()
        if "error" in slot[1]:
            raise RpcFailure(slot[1]["error"])
        return slot[1]["result"]

    async def call_batch(self, requests: list[tuple[str, tuple, Callable[[object], bool] | None]]) -> list:
        """Several calls in one JSON-RPC batch message, (method, params, on_item) each as for `call`:
        their results in order, an RpcFailure in place of each refused one. One message and one
        answer instead of one each per call: what a client sending thousands of transactions a second
        spends most of its time on, and the node too."""
        batch = next(self._batches)
        slots, body = [], []
        for method, params, on_item in requests:
            slot, request = self._open(method, params, on_item, batch)
            slots.append(slot)
            body.append(request)
        await self.ws.send_message(json.dumps(body))
        for slot in slots:
            await slot[0].wait()
        return [RpcFailure(slot[1]["error"]) if "error" in slot[1] else slot[1]["result"] for slot in slots]

    def _open(self, method: str, params: tuple, on_item, batch: int | None) -> tuple[list, dict]:
        """A waiting slot [answered, answer, on_item, batch number or None] and its request."""
        rid = next(self._ids)
        slot = self._waiting[rid] = [trio.Event(), None, on_item, batch]
        return slot, {"jsonrpc": "2.0", "id": rid, "method": method, "params": list(params)}

    async def subscribe(self, method: str, *params) -> trio.MemoryReceiveChannel:
        send, receive = trio.open_memory_channel(math.inf)
        await self.call(method, *params, on_item=lambda item: send.send_nowait(item) and False)
        return receive


async def open_connection(nursery: trio.Nursery, url: str) -> Connection:
    from trio_websocket import open_websocket_url

    async def hold(*, task_status=trio.TASK_STATUS_IGNORED):
        async with open_websocket_url(url, max_message_size=64 * 2**20) as ws:
            task_status.started(ws)
            await trio.sleep_forever()

    conn = Connection(await nursery.start(hold))
    nursery.start_soon(conn.read_forever)
    return conn


class Signer:
    """Signs extrinsics for one account (immortal, no tip), keeping its next nonce. A refused or
    dropped transaction leaves a gap in its nonces: `resync` makes the next submission ask the node."""

    def __init__(self, key, nonce: int, chain: "ChainInfo"):
        self.key = key
        self.nonce = nonce
        self.resync = False
        self.tail = chain.signing_tail

    @property
    def address(self) -> str:
        return self.key.ss58_address

    def sign(self, call: bytes, nonce: int | None = None) -> tuple[bytes, int]:
        """(extrinsic, its nonce): at `nonce` if given (a gap to fill), else at the next one."""
        from primitives import crypto

        if nonce is None:
            nonce = self.nonce
            self.nonce += 1
        # immortal era, nonce, no tip, no metadata hash (CheckMetadataHash mode 0); an sr25519 MultiSignature
        extra = b"\x00" + encode_compact(nonce) + encode_compact(0) + b"\x00"
        signature = self.key.sign(crypto.signing_payload(call + extra + self.tail))
        body = b"\x84\x00" + self.key.public_key + b"\x01" + signature + extra + call
        return encode_compact(len(body)) + body, nonce

    async def next_nonce(self, conn: Connection) -> int | None:
        """After a refusal: the node's next index (its pool counted). A smaller one than ours is a gap
        to fill once (returned); a larger one moves us on."""
        self.resync = False
        index = await conn.call("system_accountNextIndex", self.address)
        if index < self.nonce:
            return index
        self.nonce = index
        return None


class ChainInfo:
    def __init__(self, genesis: bytes, spec_version: int, tx_version: int):
        self.genesis = genesis
        self.signing_tail = (spec_version.to_bytes(4, "little") + tx_version.to_bytes(4, "little")
                             + genesis + genesis + b"\x00")

    @classmethod
    async def read(cls, conn: Connection) -> "ChainInfo":
        genesis = bytes.fromhex((await conn.call("chain_getBlockHash", 0))[2:])
        version = await conn.call("state_getRuntimeVersion")
        return cls(genesis, version["specVersion"], version["transactionVersion"])

    async def signer(self, conn: Connection, key) -> Signer:
        return Signer(key, await conn.call("system_accountNextIndex", key.ss58_address), self)


class Calls:
    """Call encoding without the runtime: each call's (pallet, call) index comes from the node's
    metadata (substrate-interface composes a sample once); the arguments are SCALE-encoded here."""

    SAMPLES = {
        ("Balances", "transfer_keep_alive"): {"dest": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "value": 1},
        ("SubtensorModule", "set_weights"): {"netuid": 1, "dests": [], "weights": [], "version_key": 0},
        ("SubtensorModule", "burned_register"): {"netuid": 1, "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"},
        ("SubtensorModule", "add_stake"): {"hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "netuid": 1,
                                           "amount_staked": 1},
        ("SubtensorModule", "register_network"): {"hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"},
        ("Market", "register_provider"): {"host_uri": "x", "attributes": []},
        ("Market", "create_bid"): {"order": 1, "price": 1, "deposit": 1},
        ("Market", "create_deployment"): {"groups": [], "deposit": 1, "version": "0x" + "00" * 32},
    }

    def __init__(self, prefixes: dict[tuple[str, str], bytes], metadata: dict | None = None):
        self.prefixes = prefixes
        self.metadata = metadata    # the node's V14 metadata (types, pallets), as substrate-interface reads it

    @classmethod
    async def load(cls, url: str, pallets: set[str]) -> "Calls":
        def compose() -> "Calls":
            from substrateinterface import SubstrateInterface

            from tools.load_events import metadata_v14

            substrate = SubstrateInterface(url=url)
            try:
                return cls({key: bytes(substrate.compose_call(key[0], key[1], args).data.data[:2])
                            for key, args in cls.SAMPLES.items() if key[0] in pallets}, metadata_v14(substrate))
            finally:
                substrate.close()
        return await trio.to_thread.run_sync(compose)

    def transfer(self, dest: bytes, value: int) -> bytes:
        return self.prefixes[("Balances", "transfer_keep_alive")] + b"\x00" + dest + encode_compact(value)

    def set_weights(self, netuid: int, dests: list[int], weights: list[int], version_key: int = 0) -> bytes:
        u16s = lambda xs: encode_compact(len(xs)) + b"".join(x.to_bytes(2, "little") for x in xs)  # noqa: E731
        return (self.prefixes[("SubtensorModule", "set_weights")] + netuid.to_bytes(2, "little") + u16s(dests)
                + u16s(weights) + version_key.to_bytes(8, "little"))

    def burned_register(self, netuid: int, hotkey: bytes) -> bytes:
        return self.prefixes[("SubtensorModule", "burned_register")] + netuid.to_bytes(2, "little") + hotkey

    def add_stake(self, hotkey: bytes, netuid: int, amount: int) -> bytes:
        return (self.prefixes[("SubtensorModule", "add_stake")] + hotkey + netuid.to_bytes(2, "little")
                + amount.to_bytes(8, "little"))

    def register_network(self, hotkey: bytes) -> bytes:
        return self.prefixes[("SubtensorModule", "register_network")] + hotkey

    def register_provider(self, host_uri: bytes) -> bytes:
        return self.prefixes[("Market", "register_provider")] + _bytes(host_uri) + encode_compact(0)

    def create_bid(self, order: int, price: int, deposit: int) -> bytes:
        return (self.prefixes[("Market", "create_bid")] + order.to_bytes(8, "little") + encode_compact(price)
                + encode_compact(deposit))

    def create_deployment(self, name: bytes, cpu_millis: int, memory: int, max_price: int, deposit: int) -> bytes:
        resource = (cpu_millis.to_bytes(4, "little") + memory.to_bytes(8, "little") + bytes(8)   # storage 0
                    + bytes(4) + _bytes(b"") + _bytes(b"") + (1).to_bytes(4, "little"))         # no GPU, 1 replica
        group = _bytes(name) + encode_compact(0) + encode_compact(1) + resource + max_price.to_bytes(16, "little")
        return (self.prefixes[("Market", "create_deployment")] + encode_compact(1) + group + encode_compact(deposit)
                + bytes(32))


def _bytes(data: bytes) -> bytes:
    return encode_compact(len(data)) + data


# --- storage ------------------------------------------------------------------------------------------
def account_key(account: bytes) -> bytes:
    return storage_prefix("System", "Account") + blake2_128(account) + account


async def read_storage(conn: Connection, key: bytes, at: str | None = None) -> bytes | None:
    value = await conn.call("state_getStorage", "0x" + key.hex(), *([at] if at else []))
    return None if value is None else bytes.fromhex(value[2:])


async def read_uint(conn: Connection, pallet: str, item: str, key: bytes = b"", size: int = 8,
                    at: str | None = None) -> int:
    raw = await read_storage(conn, storage_prefix(pallet, item) + key, at)
    return int.from_bytes(raw[:size], "little") if raw else 0


async def free_balance(conn: Connection, account: bytes) -> int:
    raw = await read_storage(conn, account_key(account))
    return int.from_bytes(raw[16:32], "little") if raw else 0   # AccountInfo: nonce, 3 refcounts, then free


async def finalized_nonce(conn: Connection, account: bytes, at: str) -> int:
    raw = await read_storage(conn, account_key(account), at)
    return int.from_bytes(raw[:4], "little") if raw else 0


# --- setup submissions --------------------------------------------------------------------------------
async def submit_all_finalized(conn: Connection, items: list[tuple[Signer, bytes]], *, timeout: float,
                               what: str) -> None:
    """Sign and watch each (signer, call), in order (a signer's nonces in sequence), until every one is
    finalized; raises SetupFailed naming the first refused or dropped one, or the count left at `timeout`."""
    left = {}
    problems: list[str] = []
    done = trio.Event()

    def watcher(tx_hash: bytes):
        def on_item(status) -> bool:
            key = next(iter(status)) if isinstance(status, dict) else status[0] if isinstance(status, list) else status
            if key == "finalized" or key in DROP_STATUSES:
                if key != "finalized":
                    problems.append(f"{what}: a transaction was {key}")
                left.pop(tx_hash, None)
                if not left:
                    done.set()
                return True
            return False
        return on_item

    signed = []
    for signer, call in items:
        raw, _ = signer.sign(call)
        signed.append(raw)
        left[blake2_256(raw)] = True
    if not left:
        return
    for raw in signed:
        try:
            await conn.call("author_submitAndWatchExtrinsic", "0x" + raw.hex(), on_item=watcher(blake2_256(raw)))
        except RpcFailure as err:
            raise SetupFailed(f"{what}: the node refused a transaction: {err}") from None
    with trio.move_on_after(timeout):
        await done.wait()
    if problems:
        raise SetupFailed(problems[0])
    if left:
        raise SetupFailed(f"{what}: {len(left)} of {len(items)} transactions not finalized after {timeout:.0f} s")


def now() -> float:
    return time.monotonic()
