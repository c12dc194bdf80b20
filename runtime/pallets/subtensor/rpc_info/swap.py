"""SwapRuntimeApi (`pallets/swap/runtime-api`, implemented in subtensor's `runtime/src/lib.rs`):
prices and simulated swaps of the subnet pools.

With the dynamic-TAO pool math present (`runtime/pallets/subtensor/swap.py`) the answers come from
it. A runtime without subnet pools (stake is TAO 1:1) answers as subtensor does for a non-dynamic
subnet: price 1.0, swaps 1:1 with no fee and no slippage.
"""
from __future__ import annotations

from runtime.frame.state import StateReader

from runtime.pallets.subtensor.rpc_info.reads import netuids

try:
    from runtime.pallets.subtensor import swap as pool
except ImportError:       # pools not part of this runtime (the dTAO change lands separately)
    pool = None

RAO = 10**9


def current_alpha_price(state: StateReader, netuid: int) -> int:
    return RAO if pool is None else pool.current_alpha_price(state, netuid)


def current_alpha_price_all(state: StateReader) -> list[dict]:
    return [{"netuid": netuid, "price": current_alpha_price(state, netuid)} for netuid in netuids(state)]


def _one_to_one(amount: int) -> dict:
    return {"tao_amount": amount, "alpha_amount": amount, "tao_fee": 0, "alpha_fee": 0, "tao_slippage": 0,
            "alpha_slippage": 0}


def sim_swap_tao_for_alpha(state: StateReader, netuid: int, tao: int) -> dict:
    return _one_to_one(tao) if pool is None else pool.sim_swap_tao_for_alpha(state, netuid, tao)


def sim_swap_alpha_for_tao(state: StateReader, netuid: int, alpha: int) -> dict:
    return _one_to_one(alpha) if pool is None else pool.sim_swap_alpha_for_tao(state, netuid, alpha)


def approx_fee_amount(state: StateReader, netuid: int, amount: int) -> int:
    """`SwapHandler::approx_fee_amount`: the fee the pool takes on `amount` (none on root/stable)."""
    if pool is None or not pool.is_dynamic(state, netuid):
        return 0
    return pool.fee_amount(amount, pool.fee_rate(state, netuid))
