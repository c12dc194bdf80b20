"""JSON-RPC 2.0 server (HTTP + WebSocket on one port) for the node's Substrate-compatible API.

Register methods on an :class:`RpcModule`, then run :func:`serve_rpc` in a nursery::

    rpc = RpcModule()

    @rpc.method("system_health")
    async def system_health(params):
        return {"peers": 0, "isSyncing": False, "shouldHavePeers": False}

    port = await nursery.start(partial(serve_rpc, rpc, "127.0.0.1", 9944))
"""
from node.rpc.jsonrpc import RpcModule, SubscriptionSink
from node.rpc.jsonrpc_wire import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RpcError,
)
from node.rpc.server import SUBSTRATE_DEFAULT_CORS, RpcServer, serve_rpc

__all__ = [
    "INTERNAL_ERROR", "INVALID_PARAMS", "INVALID_REQUEST", "METHOD_NOT_FOUND", "PARSE_ERROR",
    "RpcError", "RpcModule", "RpcServer", "SUBSTRATE_DEFAULT_CORS", "SubscriptionSink", "serve_rpc",
]
