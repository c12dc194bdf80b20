"""The Substrate JSON-RPC surface, one module per namespace."""
from __future__ import annotations

from node.rpc.jsonrpc import RpcModule


def build_module(node) -> RpcModule:
    from node.rpc.api import author, chain, chain_head, keystore_rpc, payment, spec_v1, state, system

    module = RpcModule()
    for namespace in (system, chain, state, author, payment, keystore_rpc, chain_head, spec_v1):
        namespace.register(module, node)
    metrics = getattr(node, "metrics", None)
    if metrics is not None:   # substrate_rpc_calls_*
        module.wrap_methods(metrics.rpc_call_observer())
    return module
