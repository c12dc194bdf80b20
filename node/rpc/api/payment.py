"""payment_* and system_dryRun: the RPC forms of TransactionPaymentApi and BlockBuilder_apply_extrinsic."""
from __future__ import annotations

from node.rpc.api.common import block_hash_or_best, hx, parse_hex, positional, state_at
from node.rpc.jsonrpc import RpcError, RpcModule
from node.runtime_api import RuntimeApiError, call as runtime_call
from runtime.apis import RuntimeDispatchInfo


def _call(node, at: bytes, name: str, data: bytes) -> bytes:
    try:
        return runtime_call(node.chain, at, name, data)
    except RuntimeApiError as exc:
        raise RpcError(4003, f"Client error: Execution failed: {exc}") from None


def register(rpc: RpcModule, node) -> None:
    @rpc.method("payment_queryInfo")
    def query_info(params):
        extrinsic, block_hash = positional(params, ("extrinsic", "at"), 1)
        raw = parse_hex(extrinsic, "extrinsic")
        at = block_hash_or_best(node, block_hash)
        state_at(node, at)
        # TransactionPaymentApi_query_info(uxt, len): the extrinsic as submitted, then its length
        data = raw + len(raw).to_bytes(4, "little")
        info = RuntimeDispatchInfo.decode(_call(node, at, "TransactionPaymentApi_query_info", data))
        return {"weight": {"ref_time": info["weight"]["ref_time"], "proof_size": info["weight"]["proof_size"]},
                "class": info["class"][:1].lower() + info["class"][1:], "partialFee": str(info["partial_fee"])}

    @rpc.method("system_dryRun", aliases=["system_dryRunAt"], unsafe=True)
    def dry_run(params):
        extrinsic, block_hash = positional(params, ("extrinsic", "at"), 1)
        at = block_hash_or_best(node, block_hash)
        state_at(node, at)
        return hx(_call(node, at, "BlockBuilder_apply_extrinsic", parse_hex(extrinsic, "extrinsic")))
