"""chainSpec_v1_*, transaction_v1_* and transactionWatch_v1_*: the rest of the new JSON-RPC spec.

`transaction_v1_broadcast` hands a transaction to the pool and the network and answers an
operation id; the client then looks for it in block bodies (polkadot-api does so through
chainHead_v1). `transactionWatch_v1_submitAndWatch` is the watched variant, reporting
`validated`, `bestChainBlockIncluded`, `finalized`, `invalid` or `dropped`.
"""
from __future__ import annotations

import itertools
import logging
from collections import OrderedDict

import trio

from node.rpc.api.common import INVALID_PARAMS, hx, parse_hex, positional
from node.rpc.jsonrpc import RpcError, RpcModule
from node.txpool import PoolError
from primitives.hashing import blake2_256

log = logging.getLogger("agora.rpc")

MAX_BROADCASTS = 4096  # remembered broadcast operation ids; the oldest is forgotten past this


def register(rpc: RpcModule, node) -> None:
    chain = node.chain
    broadcasts: OrderedDict[str, bytes] = OrderedDict()
    ids = itertools.count(1)

    @rpc.method("chainSpec_v1_chainName")
    def chain_name(params):
        return node.config.chain_name

    @rpc.method("chainSpec_v1_genesisHash")
    def genesis_hash(params):
        return hx(chain.genesis_hash)

    @rpc.method("chainSpec_v1_properties")
    def properties(params):
        return node.config.properties

    @rpc.method("transaction_v1_broadcast")
    async def broadcast(params):
        (transaction,) = positional(params, ("transaction",), 1)
        raw = parse_hex(transaction, "transaction")
        try:
            await node.submit_transaction_async(raw)
        except PoolError as err:
            # The spec's broadcast never reports validity (clients validate first, through
            # TaggedTransactionQueue): an invalid transaction is simply never included.
            log.debug("transaction_v1_broadcast 0x%s refused: %s", blake2_256(raw).hex(), err.message)
        op_id = f"tx-{next(ids)}"
        broadcasts[op_id] = blake2_256(raw)
        while len(broadcasts) > MAX_BROADCASTS:
            broadcasts.popitem(last=False)
        return op_id

    @rpc.method("transaction_v1_stop")
    def stop(params):
        (op_id,) = positional(params, ("operationId",), 1)
        if not isinstance(op_id, str) or broadcasts.pop(op_id, None) is None:
            raise RpcError(INVALID_PARAMS, "Invalid operation id")
        return None

    @rpc.subscription("transactionWatch_v1_submitAndWatch", "transactionWatch_v1_unwatch",
                      "transactionWatch_v1_watchEvent")
    async def submit_and_watch(params, sink):
        (transaction,) = positional(params, ("transaction",), 1)
        raw = parse_hex(transaction, "transaction")
        send, receive = trio.open_memory_channel(64)

        def watcher(status):
            try:
                send.send_nowait(status)
            except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
                pass

        try:
            tx_hash = await node.submit_transaction_async(raw, watcher)
        except PoolError as err:
            # The subscription exists either way; an invalid transaction is its only event.
            await sink.send({"event": "invalid", "error": f"{err.message}: {err.data}" if err.data else err.message})
            return
        validated = False
        try:
            async for status in receive:
                event = _watch_event(chain, raw, status)
                if event is None or (event["event"] == "validated" and validated):
                    continue
                validated = True
                await sink.send(event)
                if event["event"] in ("finalized", "invalid", "dropped", "error"):
                    return
        finally:
            node.pool.unwatch(tx_hash, watcher)
            send.close()


def _watch_event(chain, raw: bytes, status) -> dict | None:
    """A pool status in the new spec's words (None: nothing to tell)."""
    if status == "ready" or status == "future":
        return {"event": "validated"}
    if status == "invalid":
        return {"event": "invalid", "error": "the transaction became invalid"}
    if status in ("dropped", "usurped"):
        return {"event": "dropped", "error": f"the transaction was {status}"}
    if isinstance(status, dict):
        for key, event in (("inBlock", "bestChainBlockIncluded"), ("finalized", "finalized")):
            if key in status:
                block_hash = bytes.fromhex(status[key][2:])
                return {"event": event, "block": {"hash": status[key], "index": _index_in(chain, block_hash, raw)}}
        if "retracted" in status:
            return {"event": "bestChainBlockIncluded", "block": None}
    return None


def _index_in(chain, block_hash: bytes, raw: bytes) -> int:
    block = chain.block(block_hash)
    if block is not None:
        for index, extrinsic in enumerate(block.extrinsics):
            if extrinsic == raw:
                return index
    raise LookupError(f"transaction not found in block 0x{block_hash.hex()}")
