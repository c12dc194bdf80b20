"""The Substrate JSON-RPC surface, one module per namespace."""
from __future__ import annotations

from node.rpc.jsonrpc import RpcModule


def build_module(node) -> RpcModule:
    from node.rpc.api import author, chain, keystore_rpc, payment, state, system

    module = RpcModule()
    for namespace in (system, chain, state, author, payment, keystore_rpc):
        namespace.register(module, node)
    return module
