"""Parameter parsing and JSON shapes shared by the RPC namespaces."""
from __future__ import annotations

from typing import Any

from node.rpc.jsonrpc import RpcError
from primitives.scale import ScaleError
from primitives.types import DigestItem
from primitives import ss58

INVALID_PARAMS = -32602


def positional(params: Any, names: tuple[str, ...], required: int = 0) -> list:
    """Params as a list of len(names); accepts a list or a dict keyed by names."""
    if params is None:
        params = []
    if isinstance(params, dict):
        params = [params.get(n) for n in names]
    if not isinstance(params, list):
        raise RpcError(INVALID_PARAMS, "Invalid params", "params must be an array or an object")
    if len(params) > len(names):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"expected at most {len(names)} parameters")
    if len(params) < required or any(p is None for p in params[:required]):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"missing parameter '{names[len(params)] if len(params) < len(names) else names[0]}'")
    return list(params) + [None] * (len(names) - len(params))


def parse_hex(value: Any, what: str = "bytes") -> bytes:
    if not isinstance(value, str):
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{what}: expected a hex string")
    text = value[2:] if value[:2] in ("0x", "0X") else value
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise RpcError(INVALID_PARAMS, "Invalid params", f"{what}: invalid hex string") from None


def parse_hash(value: Any) -> bytes:
    raw = parse_hex(value, "hash")
    if len(raw) != 32:
        raise RpcError(INVALID_PARAMS, "Invalid params", "hash: expected 32 bytes")
    return raw


def parse_number(value: Any) -> int:
    if isinstance(value, bool):
        raise RpcError(INVALID_PARAMS, "Invalid params", "block number: expected a number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value, 16) if value[:2] in ("0x", "0X") else int(value)
        except ValueError:
            raise RpcError(INVALID_PARAMS, "Invalid params", "block number: not a number") from None
    else:
        raise RpcError(INVALID_PARAMS, "Invalid params", "block number: expected a number")
    if number < 0 or number >= 2**32:
        raise RpcError(INVALID_PARAMS, "Invalid params", "block number out of range")
    return number


def parse_account(value: Any) -> bytes:
    if not isinstance(value, str):
        raise RpcError(INVALID_PARAMS, "Invalid params", "account: expected an SS58 address or hex")
    try:
        return ss58.parse_account(value)
    except ValueError as exc:
        raise RpcError(INVALID_PARAMS, "Invalid params", f"account: {exc}") from None


def hx(raw: bytes) -> str:
    return "0x" + raw.hex()


def header_json(header: dict) -> dict:
    return {
        "parentHash": hx(header["parent_hash"]),
        "number": hex(header["number"]),
        "stateRoot": hx(header["state_root"]),
        "extrinsicsRoot": hx(header["extrinsics_root"]),
        "digest": {"logs": [hx(DigestItem.encode(item)) for item in header["digest"]["logs"]]},
    }


def block_hash_or_best(node, value: Any) -> bytes:
    """An optional block hash parameter: null means the best block."""
    return node.chain.best_hash if value is None else parse_hash(value)


def unknown_block(block_hash: bytes) -> RpcError:
    return RpcError(4003, f"Client error: UnknownBlock: Header was not found in the database: 0x{block_hash.hex()}")


def state_at(node, block_hash: bytes):
    state = node.chain.state_at(block_hash)
    if state is None:
        raise unknown_block(block_hash)
    return state


__all__ = ["positional", "parse_hex", "parse_hash", "parse_number", "parse_account", "hx", "header_json",
           "block_hash_or_best", "unknown_block", "state_at", "RpcError", "ScaleError"]
