"""author_*: submit transactions and watch them into a finalized block."""
from __future__ import annotations

import trio

from node.rpc.api.common import hx, parse_hex, positional
from node.rpc.jsonrpc import RpcError, RpcModule
from node.txpool import PoolError

_FINAL = ("dropped", "invalid", "usurped", "finalityTimeout")


def _rpc_error(err: PoolError) -> RpcError:
    return RpcError(err.code, err.message, err.data)


def register(rpc: RpcModule, node) -> None:
    @rpc.method("author_submitExtrinsic")
    async def submit_extrinsic(params):
        (extrinsic,) = positional(params, ("extrinsic",), 1)
        try:
            tx_hash = await node.submit_transaction_async(parse_hex(extrinsic, "extrinsic"))
        except PoolError as err:
            raise _rpc_error(err) from None
        return hx(tx_hash)

    @rpc.method("author_pendingExtrinsics")
    def pending_extrinsics(params):
        return [hx(raw) for raw in node.pool.pending_extrinsics()]

    @rpc.method("author_removeExtrinsic", unsafe=True)
    def remove_extrinsic(params):
        (hashes,) = positional(params, ("bytes_or_hash",), 1)
        removed = []
        for item in hashes if isinstance(hashes, list) else []:
            value = item.get("hash") if isinstance(item, dict) else None
            if value is not None and node.pool.remove_by_hash(parse_hex(value, "hash")):
                removed.append(value)
        return removed

    @rpc.subscription("author_submitAndWatchExtrinsic", "author_unwatchExtrinsic", "author_extrinsicUpdate")
    async def submit_and_watch(params, sink):
        (extrinsic,) = positional(params, ("extrinsic",), 1)
        raw = parse_hex(extrinsic, "extrinsic")
        send, receive = trio.open_memory_channel(64)

        def watcher(status):
            try:
                send.send_nowait(status)
            except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
                pass

        try:
            tx_hash = await node.submit_transaction_async(raw, watcher)
        except PoolError as err:
            raise _rpc_error(err) from None
        # A single-authority dev chain finalizes each block as it imports it, so `finalized` would
        # follow `inBlock` within a millisecond. polkadot.js maps each status to its block's events
        # with rxjs switchMap, and a status that arrives while the previous one's events are still
        # being fetched cancels it: its callback would never see InBlock (with its events). GRANDPA
        # finalizes a block or more later; keep at least half a slot between the two notifications.
        finalized_gap = node.config.slot_ms / 2000
        in_block_at = None
        try:
            async for status in receive:
                finalized = isinstance(status, dict) and "finalized" in status
                if finalized and in_block_at is not None:
                    await trio.sleep_until(in_block_at + finalized_gap)
                await sink.send(status)
                if isinstance(status, dict) and "inBlock" in status:
                    in_block_at = trio.current_time()
                if status in _FINAL or finalized:
                    return
        finally:
            node.pool.unwatch(tx_hash, watcher)
            send.close()
