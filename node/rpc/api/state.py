"""state_*: storage, runtime version, metadata, runtime API calls, storage subscriptions."""
from __future__ import annotations

import trio

from node.rpc.api.common import (
    INVALID_PARAMS, block_hash_or_best, hx, parse_hex, positional, state_at,
)
from node.rpc.jsonrpc import RpcError, RpcModule
from node.runtime_api import RuntimeApiError, call as runtime_call
from runtime.metadata import metadata_at
from runtime.version import VERSION

MAX_KEYS_PAGE = 1000
MAX_STORAGE_KEYS = 1000
MAX_PAIRS = 100_000


def register(rpc: RpcModule, node) -> None:
    chain = node.chain

    @rpc.method("state_getRuntimeVersion", aliases=["chain_getRuntimeVersion"])
    def get_runtime_version(params):
        (block_hash,) = positional(params, ("at",))
        state_at(node, block_hash_or_best(node, block_hash))
        return VERSION.to_json()

    metadata_hex: dict[int, str] = {}   # id(metadata blob) -> its hex: encoded once per runtime and slot

    @rpc.method("state_getMetadata")
    def get_metadata(params):
        (block_hash,) = positional(params, ("at",))
        blob = metadata_at(state_at(node, block_hash_or_best(node, block_hash)), 14)
        answer = metadata_hex.get(id(blob))   # metadata_at's cache keeps each blob alive: ids stay unique
        if answer is None:
            answer = metadata_hex[id(blob)] = hx(blob)
        return answer

    @rpc.method("state_call", aliases=["state_callAt"])
    def call(params):
        name, data, block_hash = positional(params, ("name", "bytes", "hash"), 2)
        if not isinstance(name, str):
            raise RpcError(INVALID_PARAMS, "Invalid params", "name: expected a string")
        at = block_hash_or_best(node, block_hash)
        state_at(node, at)
        try:
            return hx(runtime_call(chain, at, name, parse_hex(data, "data")))
        except RuntimeApiError as exc:
            raise RpcError(4003, f"Client error: Execution failed: {exc}") from None

    @rpc.method("state_getStorage", aliases=["state_getStorageAt"])
    def get_storage(params):
        key, block_hash = positional(params, ("key", "hash"), 1)
        value = state_at(node, block_hash_or_best(node, block_hash)).get(parse_hex(key, "key"))
        return None if value is None else hx(value)

    @rpc.method("state_getStorageHash", aliases=["state_getStorageHashAt"])
    def get_storage_hash(params):
        from primitives.hashing import blake2_256

        key, block_hash = positional(params, ("key", "hash"), 1)
        value = state_at(node, block_hash_or_best(node, block_hash)).get(parse_hex(key, "key"))
        return None if value is None else hx(blake2_256(value))

    @rpc.method("state_getStorageSize", aliases=["state_getStorageSizeAt"])
    def get_storage_size(params):
        key, block_hash = positional(params, ("key", "hash"), 1)
        value = state_at(node, block_hash_or_best(node, block_hash)).get(parse_hex(key, "key"))
        return None if value is None else len(value)

    @rpc.method("state_queryStorageAt")
    def query_storage_at(params):
        keys, block_hash = positional(params, ("keys", "at"), 1)
        if not isinstance(keys, list) or len(keys) > MAX_STORAGE_KEYS:
            raise RpcError(INVALID_PARAMS, "Invalid params", f"keys: expected an array of at most {MAX_STORAGE_KEYS}")
        at = block_hash_or_best(node, block_hash)
        state = state_at(node, at)
        changes = []
        for key in keys:
            value = state.get(parse_hex(key, "key"))
            changes.append([key if key.startswith("0x") else "0x" + key, None if value is None else hx(value)])
        return [{"block": hx(at), "changes": changes}]

    @rpc.method("state_getKeysPaged", aliases=["state_getKeysPagedAt"])
    def get_keys_paged(params):
        prefix, count, start_key, block_hash = positional(params, ("prefix", "count", "start_key", "hash"), 2)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise RpcError(INVALID_PARAMS, "Invalid params", "count: expected a non-negative integer")
        if count > MAX_KEYS_PAGE:
            raise RpcError(INVALID_PARAMS, "Invalid params", f"count exceeds maximum value {MAX_KEYS_PAGE}")
        state = state_at(node, block_hash_or_best(node, block_hash))
        raw_prefix = b"" if prefix is None else parse_hex(prefix, "prefix")
        start = None if start_key is None else parse_hex(start_key, "start_key")
        out = []
        for key in state.iter_keys(raw_prefix, start if start is not None and start >= raw_prefix else None):
            if len(out) >= count:
                break
            out.append(hx(key))
        return out

    @rpc.method("state_getKeys")
    def get_keys(params):
        prefix, block_hash = positional(params, ("prefix", "hash"), 1)
        state = state_at(node, block_hash_or_best(node, block_hash))
        keys = []
        for key in state.iter_keys(parse_hex(prefix, "prefix")):
            keys.append(hx(key))
            if len(keys) > 100_000:
                raise RpcError(-32603, "Internal error", "too many keys; use state_getKeysPaged")
        return keys

    @rpc.method("state_getPairs", unsafe=True)
    def get_pairs(params):
        prefix, block_hash = positional(params, ("prefix", "hash"), 1)
        state = state_at(node, block_hash_or_best(node, block_hash))
        pairs = []
        for key in state.iter_keys(parse_hex(prefix, "prefix")):
            if len(pairs) >= MAX_PAIRS:
                raise RpcError(-32603, "Internal error", f"more than {MAX_PAIRS} pairs; use state_getKeysPaged")
            pairs.append([hx(key), hx(state.get(key))])
        return pairs

    @rpc.method("state_getReadProof")
    def get_read_proof(params):
        keys, block_hash = positional(params, ("keys", "hash"), 1)
        if not isinstance(keys, list) or len(keys) > MAX_STORAGE_KEYS:
            raise RpcError(INVALID_PARAMS, "Invalid params", f"keys: expected an array of at most {MAX_STORAGE_KEYS}")
        at = block_hash_or_best(node, block_hash)
        header = chain.header(at)
        if header is None:
            raise RpcError(4003, f"Client error: UnknownBlock: 0x{at.hex()}")
        trie = chain.store.trie_at(header["state_root"])
        proof = trie.read_proof([parse_hex(k, "key") for k in keys])
        return {"at": hx(at), "proof": [hx(n) for n in proof]}

    @rpc.subscription("state_subscribeRuntimeVersion", "state_unsubscribeRuntimeVersion", "state_runtimeVersion",
                      aliases=["chain_subscribeRuntimeVersion"],
                      unsubscribe_aliases=["chain_unsubscribeRuntimeVersion"])
    async def subscribe_runtime_version(params, sink):
        await sink.send(VERSION.to_json())
        await trio.sleep_forever()  # the runtime has no upgrade path yet: nothing more to send

    @rpc.subscription("state_subscribeStorage", "state_unsubscribeStorage", "state_storage")
    async def subscribe_storage(params, sink):
        (keys,) = positional(params, ("keys",))
        if keys is not None and (not isinstance(keys, list) or len(keys) > MAX_STORAGE_KEYS):
            raise RpcError(INVALID_PARAMS, "Invalid params", "keys: expected an array")
        wanted = None if keys is None else {parse_hex(k, "key"): k for k in keys}
        events = node.hub.subscribe()
        try:
            best = chain.best_hash
            state = chain.state_at(best)
            if wanted is not None:
                await sink.send({"block": hx(best), "changes": [
                    [hx(k), None if (v := state.get(k)) is None else hx(v)] for k in wanted]})
            else:
                await sink.accept()
            async for event in events:
                if event.kind != "imported" or not event.is_new_best or not event.changes:
                    continue
                changed = [(k, v) for k, v in event.changes.items() if wanted is None or k in wanted]
                if changed:
                    await sink.send({"block": hx(event.hash),
                                     "changes": [[hx(k), None if v is None else hx(v)] for k, v in changed]})
        finally:
            events.close()
