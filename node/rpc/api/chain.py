"""chain_*: blocks, headers, hashes, head subscriptions."""
from __future__ import annotations

from node.rpc.api.common import block_hash_or_best, header_json, hx, parse_number, positional
from node.rpc.jsonrpc import RpcModule


def register(rpc: RpcModule, node) -> None:
    chain = node.chain

    @rpc.method("chain_getBlockHash", aliases=["chain_getHead"])
    def get_block_hash(params):
        if isinstance(params, list) and len(params) == 1 and isinstance(params[0], list):
            return [_hash_at(n) for n in params[0]]
        (number,) = positional(params, ("height",))
        if number is None:
            return hx(chain.best_hash)
        return _hash_at(number)

    def _hash_at(value):
        found = chain.hash_at(parse_number(value))
        return None if found is None else hx(found)

    @rpc.method("chain_getFinalizedHead", aliases=["chain_getFinalisedHead"])
    def get_finalized_head(params):
        return hx(chain.finalized_hash)

    @rpc.method("chain_getHeader")
    def get_header(params):
        (block_hash,) = positional(params, ("hash",))
        header = chain.header(block_hash_or_best(node, block_hash))
        return None if header is None else header_json(header)

    @rpc.method("chain_getBlock")
    def get_block(params):
        (block_hash,) = positional(params, ("hash",))
        block_hash = block_hash_or_best(node, block_hash)
        block = chain.block(block_hash)
        if block is None:
            return None
        justification = chain.store.justification(block_hash)
        return {"block": {"header": header_json(block.header), "extrinsics": [hx(e) for e in block.extrinsics]},
                "justifications": None if justification is None else [["FRNK", hx(justification)]]}

    async def _follow(sink, want):
        events = node.hub.subscribe()
        try:
            await sink.send(header_json(chain.header(chain.best_hash if want != "finalized" else chain.finalized_hash)))
            async for event in events:
                if want == "finalized" and event.kind == "finalized":
                    await sink.send(header_json(event.header))
                elif want == "new" and event.kind == "imported" and event.is_new_best:
                    await sink.send(header_json(event.header))
                elif want == "all" and event.kind == "imported":
                    await sink.send(header_json(event.header))
        finally:
            events.close()

    @rpc.subscription("chain_subscribeNewHeads", "chain_unsubscribeNewHeads", "chain_newHead",
                      aliases=["chain_subscribeNewHead", "subscribe_newHead"],
                      unsubscribe_aliases=["chain_unsubscribeNewHead", "unsubscribe_newHead"])
    async def subscribe_new_heads(params, sink):
        await _follow(sink, "new")

    @rpc.subscription("chain_subscribeFinalizedHeads", "chain_unsubscribeFinalizedHeads", "chain_finalizedHead",
                      aliases=["chain_subscribeFinalisedHeads"],
                      unsubscribe_aliases=["chain_unsubscribeFinalisedHeads"])
    async def subscribe_finalized_heads(params, sink):
        await _follow(sink, "finalized")

    @rpc.subscription("chain_subscribeAllHeads", "chain_unsubscribeAllHeads", "chain_allHead")
    async def subscribe_all_heads(params, sink):
        await _follow(sink, "all")

