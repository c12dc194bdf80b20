"""SwapRuntimeApi (`pallets/swap/runtime-api`, implemented in subtensor's `runtime/src/lib.rs`):
prices and simulated swaps of the subnet pools, from the pool math in `subtensor/swap.py`."""
from __future__ import annotations

from runtime.frame.state import StateReader

from runtime.pallets.subtensor import swap as pool
from runtime.pallets.subtensor.rpc_info.reads import netuids


def current_alpha_price(state: StateReader, netuid: int) -> int:
    return pool.current_alpha_price(state, netuid)


def current_alpha_price_all(state: StateReader) -> list[dict]:
    return [{"netuid": netuid, "price": pool.current_alpha_price(state, netuid)} for netuid in netuids(state)]


def sim_swap_tao_for_alpha(state: StateReader, netuid: int, tao: int) -> dict:
    return pool.sim_swap_tao_for_alpha(state, netuid, tao)


def sim_swap_alpha_for_tao(state: StateReader, netuid: int, alpha: int) -> dict:
    return pool.sim_swap_alpha_for_tao(state, netuid, alpha)


def approx_fee_amount(state: StateReader, netuid: int, amount: int) -> int:
    """`SwapHandler::approx_fee_amount`: the fee the pool takes on `amount` (none on root/stable)."""
    if not pool.is_dynamic(state, netuid):
        return 0
    return pool.fee_amount(amount, pool.fee_rate(state, netuid))
