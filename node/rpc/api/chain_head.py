"""chainHead_v1_*: the new JSON-RPC spec's view of the chain head (what polkadot-api and smoldot use).

A client follows the chain with `chainHead_v1_follow`; every block it is told about is pinned for
it (its header, body and state stay readable) until it unpins it. Reads are operations: the method
answers `{"result": "started", "operationId"}` at once and the result comes later as an event of the
follow subscription. https://paritytech.github.io/json-rpc-interface-spec/api/chainHead.html
"""
from __future__ import annotations

import itertools
import logging

import trio

from node.rpc.api.common import INVALID_PARAMS, hx, parse_hash, parse_hex, positional
from node.rpc.jsonrpc import RpcError, RpcModule
from node.runtime_api import RuntimeApiError, call as runtime_call
from runtime.version import VERSION

log = logging.getLogger("agora.rpc")

INVALID_BLOCK_HASH = -32801   # the spec's "block hash not pinned" error
INVALID_OPERATION = -32803   # the spec's "operation id not found" / bad continue
MAX_PINNED_BLOCKS = 512       # a follower past this is stopped (the spec lets a server do so)
MAX_OPERATIONS = 16           # per subscription; more answer "limitReached"
STORAGE_ITEMS_PER_STEP = 256  # then `operationWaitingForContinue`
MAX_QUERY_ITEMS = 1024        # items of one chainHead_v1_storage call; the rest are `discardedItems`
_QUERY_TYPES = ("value", "hash", "closestDescendantMerkleValue", "descendantsValues", "descendantsHashes")


def runtime_spec_json() -> dict:
    """The runtime as the new spec describes it (`apis` as an object, not pairs)."""
    legacy = VERSION.to_json()
    return {"type": "valid", "spec": {
        "specName": legacy["specName"], "implName": legacy["implName"], "specVersion": legacy["specVersion"],
        "implVersion": legacy["implVersion"], "transactionVersion": legacy["transactionVersion"],
        "apis": {api_id: version for api_id, version in legacy["apis"]}}}


class Follower:
    """One `chainHead_v1_follow` subscription: what it pinned, what it was told, what it runs."""

    def __init__(self, chain, sink, with_runtime: bool):
        self.chain = chain
        self.sink = sink
        self.with_runtime = with_runtime
        self.pinned: set[bytes] = set()
        self.reported: dict[bytes, int] = {}       # every block announced and not yet pruned, by number
        self.best: bytes | None = None
        self.finalized: bytes | None = None
        self.operations: dict[str, "Operation"] = {}
        self._ids = itertools.count(1)
        self.requests_send, self.requests = trio.open_memory_channel(MAX_OPERATIONS * 2)
        self.stopped = False

    # -- block events --------------------------------------------------------------------------
    async def initialize(self) -> None:
        chain = self.chain
        self.finalized = chain.finalized_hash
        finalized_number = chain.finalized_number
        self._pin(self.finalized, finalized_number)
        event = {"event": "initialized", "finalizedBlockHashes": [hx(self.finalized)]}
        if self.with_runtime:
            event["finalizedBlockRuntime"] = runtime_spec_json()
        await self.sink.send(event)
        # every block above the finalized one, parents first
        for leaf in chain.leaves():
            await self._announce_with_ancestors(leaf)
        await self._best_changed(chain.best_hash)

    async def on_imported(self, block_hash: bytes, is_new_best: bool) -> None:
        await self._announce_with_ancestors(block_hash)
        if is_new_best:
            await self._best_changed(block_hash)

    async def on_finalized(self, block_hash: bytes) -> None:
        chain = self.chain
        await self._announce_with_ancestors(block_hash)
        header = chain.header(block_hash)
        newly: list[bytes] = []
        cursor, number = block_hash, header["number"]
        while cursor != self.finalized and number > chain_number(self.reported, self.finalized):
            newly.append(cursor)
            parent = chain.header(cursor)["parent_hash"]
            cursor, number = parent, number - 1
        if not newly:
            return
        newly.reverse()
        final_number = header["number"]
        on_chain = set(newly) | {self.finalized}
        pruned = [h for h, n in self.reported.items()
                  if h not in on_chain and not self._descends(h, n, block_hash, final_number)]
        if self.best in pruned or self.best is None:
            await self._announce_with_ancestors(chain.best_hash)
            await self._best_changed(chain.best_hash)
        for h in pruned:
            del self.reported[h]
        for h in newly[:-1]:
            self.reported.pop(h, None)
        self.reported.pop(self.finalized, None)
        self.finalized = block_hash
        await self.sink.send({"event": "finalized", "finalizedBlockHashes": [hx(h) for h in newly],
                              "prunedBlockHashes": [hx(h) for h in pruned]})

    def _descends(self, block_hash: bytes, number: int, ancestor: bytes, ancestor_number: int) -> bool:
        if number <= ancestor_number:
            return False
        cursor = block_hash
        for _ in range(number - ancestor_number):
            header = self.chain.header(cursor)
            if header is None:
                return False
            cursor = header["parent_hash"]
        return cursor == ancestor

    async def _announce_with_ancestors(self, block_hash: bytes) -> None:
        missing: list[tuple[bytes, dict]] = []
        cursor = block_hash
        while cursor not in self.reported:
            header = self.chain.header(cursor)
            if header is None or header["number"] <= chain_number(self.reported, self.finalized):
                return  # below our finalized block: on a pruned fork or already final
            missing.append((cursor, header))
            cursor = header["parent_hash"]
        for block, header in reversed(missing):
            self._pin(block, header["number"])
            await self.sink.send({"event": "newBlock", "blockHash": hx(block),
                                  "parentBlockHash": hx(header["parent_hash"]),
                                  **({"newRuntime": None} if self.with_runtime else {})})

    async def _best_changed(self, block_hash: bytes) -> None:
        if block_hash != self.best and block_hash in self.reported:
            self.best = block_hash
            await self.sink.send({"event": "bestBlockChanged", "bestBlockHash": hx(block_hash)})

    def _pin(self, block_hash: bytes, number: int) -> None:
        self.reported[block_hash] = number
        self.pinned.add(block_hash)
        if len(self.pinned) > MAX_PINNED_BLOCKS:
            self.stopped = True

    def unpin(self, hashes: list[bytes]) -> None:
        if any(h not in self.pinned for h in hashes):
            raise RpcError(INVALID_BLOCK_HASH, "Invalid block hash", "a block is not pinned")
        if len(set(hashes)) != len(hashes):
            raise RpcError(INVALID_BLOCK_HASH, "Invalid block hash", "duplicate block hash")
        self.pinned.difference_update(hashes)

    def require_pinned(self, block_hash: bytes) -> None:
        if block_hash not in self.pinned:
            raise RpcError(INVALID_BLOCK_HASH, "Invalid block hash", f"block 0x{block_hash.hex()} is not pinned")

    # -- operations ----------------------------------------------------------------------------
    def start(self, work) -> dict:
        if len(self.operations) >= MAX_OPERATIONS:
            return {"result": "limitReached"}
        operation = Operation(str(next(self._ids)), self, work)
        try:
            self.requests_send.send_nowait(operation)
        except trio.WouldBlock:
            return {"result": "limitReached"}
        self.operations[operation.id] = operation
        return {"result": "started", "operationId": operation.id}


def chain_number(reported: dict[bytes, int], block_hash: bytes | None) -> int:
    return reported.get(block_hash, -1) if block_hash is not None else -1


class Operation:
    def __init__(self, op_id: str, follower: Follower, work):
        self.id = op_id
        self.follower = follower
        self.work = work                   # async fn(operation) sending its own events
        self.cancel_scope = trio.CancelScope()
        self.resume = trio.Event()

    async def send(self, event: str, **fields) -> None:
        await self.follower.sink.send({"event": event, "operationId": self.id, **fields})

    async def wait_for_continue(self) -> None:
        self.resume = trio.Event()
        await self.send("operationWaitingForContinue")
        await self.resume.wait()

    async def run(self) -> None:
        try:
            with self.cancel_scope:
                await self.work(self)
        finally:
            self.follower.operations.pop(self.id, None)


def register(rpc: RpcModule, node) -> None:
    chain = node.chain
    followers: dict[str, Follower] = {}

    def follower_of(sub_id) -> Follower | None:
        if not isinstance(sub_id, str):
            raise RpcError(INVALID_PARAMS, "Invalid params", "followSubscription: expected a string")
        follower = followers.get(sub_id)
        return None if follower is None or follower.stopped else follower

    @rpc.subscription("chainHead_v1_follow", "chainHead_v1_unfollow", "chainHead_v1_followEvent")
    async def follow(params, sink):
        (with_runtime,) = positional(params, ("withRuntime",), 1)
        if not isinstance(with_runtime, bool):
            raise RpcError(INVALID_PARAMS, "Invalid params", "withRuntime: expected a boolean")
        follower = Follower(chain, sink, with_runtime)
        events = node.hub.subscribe()
        followers[sink.id] = follower
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_run_operations, follower)
                await follower.initialize()
                async for event in events:
                    if event.kind == "imported":
                        await follower.on_imported(event.hash, event.is_new_best)
                    elif event.kind == "finalized":
                        await follower.on_finalized(event.hash)
                    if follower.stopped:
                        break
                # too many pinned blocks, or the chain event channel cut us off for lagging
                follower.stopped = True
                await sink.send({"event": "stop"})
                nursery.cancel_scope.cancel()
        finally:
            follower.stopped = True
            followers.pop(sink.id, None)
            events.close()

    async def _run_operations(follower: Follower) -> None:
        async with trio.open_nursery() as nursery:
            async for operation in follower.requests:
                nursery.start_soon(operation.run)

    @rpc.method("chainHead_v1_header")
    def header(params):
        sub_id, block_hash = positional(params, ("followSubscription", "hash"), 2)
        follower = follower_of(sub_id)
        if follower is None:
            return None
        block_hash = parse_hash(block_hash)
        follower.require_pinned(block_hash)
        raw = chain.header_bytes(block_hash)
        return None if raw is None else hx(raw)

    @rpc.method("chainHead_v1_body")
    def body(params):
        sub_id, block_hash = positional(params, ("followSubscription", "hash"), 2)
        follower = follower_of(sub_id)
        if follower is None:
            return {"result": "limitReached"}
        block_hash = parse_hash(block_hash)
        follower.require_pinned(block_hash)

        async def work(op: Operation):
            block = chain.block(block_hash)
            if block is None:
                await op.send("operationInaccessible")
            else:
                await op.send("operationBodyDone", value=[hx(e) for e in block.extrinsics])
        return follower.start(work)

    @rpc.method("chainHead_v1_call")
    def call(params):
        sub_id, block_hash, function, call_parameters = positional(
            params, ("followSubscription", "hash", "function", "callParameters"), 4)
        follower = follower_of(sub_id)
        if follower is None:
            return {"result": "limitReached"}
        block_hash = parse_hash(block_hash)
        follower.require_pinned(block_hash)
        if not isinstance(function, str):
            raise RpcError(INVALID_PARAMS, "Invalid params", "function: expected a string")
        data = parse_hex(call_parameters, "callParameters")

        async def work(op: Operation):
            try:
                output = runtime_call(chain, block_hash, function, data)
            except RuntimeApiError as exc:
                await op.send("operationError", error=str(exc))
            else:
                await op.send("operationCallDone", output=hx(output))
        return follower.start(work)

    @rpc.method("chainHead_v1_storage")
    def storage(params):
        sub_id, block_hash, items, child_trie = positional(
            params, ("followSubscription", "hash", "items", "childTrie"), 3)
        follower = follower_of(sub_id)
        if follower is None:
            return {"result": "limitReached"}
        block_hash = parse_hash(block_hash)
        follower.require_pinned(block_hash)
        queries = _parse_queries(items)
        if child_trie is not None:
            # no child tries in this runtime: every query answers nothing
            queries = []
        kept, discarded = queries[:MAX_QUERY_ITEMS], max(0, len(queries) - MAX_QUERY_ITEMS)

        async def work(op: Operation):
            header = chain.header(block_hash)
            state = chain.state_at(block_hash)
            if header is None or state is None:
                await op.send("operationInaccessible")
                return
            trie = chain.store.trie_at(header["state_root"])
            batch: list[dict] = []
            for item in _storage_items(state, trie, kept):
                batch.append(item)
                if len(batch) >= STORAGE_ITEMS_PER_STEP:
                    await op.send("operationStorageItems", items=batch)
                    batch = []
                    await op.wait_for_continue()
            if batch:
                await op.send("operationStorageItems", items=batch)
            await op.send("operationStorageDone")
        answer = follower.start(work)
        if answer["result"] == "started":
            answer["discardedItems"] = discarded
        return answer

    @rpc.method("chainHead_v1_continue")
    def continue_(params):
        sub_id, op_id = positional(params, ("followSubscription", "operationId"), 2)
        follower = follower_of(sub_id)
        if follower is None:
            return None
        operation = follower.operations.get(op_id) if isinstance(op_id, str) else None
        if operation is None or operation.resume.is_set():
            raise RpcError(INVALID_OPERATION, "Invalid operation id", "no operation is waiting for continue")
        operation.resume.set()
        return None

    @rpc.method("chainHead_v1_stopOperation")
    def stop_operation(params):
        sub_id, op_id = positional(params, ("followSubscription", "operationId"), 2)
        follower = follower_of(sub_id)
        if follower is not None and isinstance(op_id, str):
            operation = follower.operations.pop(op_id, None)
            if operation is not None:
                operation.cancel_scope.cancel()
        return None

    @rpc.method("chainHead_v1_unpin")
    def unpin(params):
        sub_id, hashes = positional(params, ("followSubscription", "hashOrHashes"), 2)
        follower = follower_of(sub_id)
        if follower is None:
            return None
        follower.unpin([parse_hash(h) for h in (hashes if isinstance(hashes, list) else [hashes])])
        return None


def _parse_queries(items) -> list[tuple[bytes, str]]:
    if not isinstance(items, list):
        raise RpcError(INVALID_PARAMS, "Invalid params", "items: expected an array")
    queries = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in _QUERY_TYPES:
            raise RpcError(INVALID_PARAMS, "Invalid params",
                           f"items: each item is {{key, type}} with type one of {', '.join(_QUERY_TYPES)}")
        queries.append((parse_hex(item.get("key"), "key"), item["type"]))
    return queries


def _storage_items(state, trie, queries):
    """The answers to storage queries, one item per key found (absent keys give no item)."""
    from primitives.hashing import blake2_256

    for key, kind in queries:
        if kind == "value":
            value = state.get(key)
            if value is not None:
                yield {"key": hx(key), "value": hx(value)}
        elif kind == "hash":
            value = state.get(key)
            if value is not None:
                yield {"key": hx(key), "hash": hx(blake2_256(value))}
        elif kind == "closestDescendantMerkleValue":
            merkle = trie.closest_descendant_merkle_value(key)
            if merkle is not None:
                yield {"key": hx(key), "closestDescendantMerkleValue": hx(merkle)}
        else:
            for sub_key, value in trie.items(key):
                if kind == "descendantsValues":
                    yield {"key": hx(sub_key), "value": hx(value)}
                else:
                    yield {"key": hx(sub_key), "hash": hx(blake2_256(value))}
