"""The subnet pool swap: constant product over protocol liquidity only, with subtensor's fee.

Follows opentensor/subtensor 14bc6f9f `pallets/swap` (pallet/impls.rs, pallet/swap_step.rs,
pallet/balancer.rs). There the pool is a weighted (balancer) pool whose weights stay at 0.5/0.5 when
liquidity is added at the current price, and user liquidity is disabled: i.e. a full-range,
constant-product pool `x * y = k` (x = SubnetAlphaIn, y = SubnetTAO). Agora computes that exactly in
integers instead of through the 1e18-scaled `pow_ratio_scaled` (results can differ in the last rao).

Per swap (`BasicSwapStep`):
    fee = floor(amount * FeeRate/65535)            (U64F64; 0 on root / stable subnets and for drop_fees)
    net = amount - fee; refused if net > 1000 * reserve_in (SwapInputTooLarge)
    refused unless reserve_out >= 1_000_000 (ReservesTooLow) and the current price is on the near side
    of the limit (PriceLimitExceeded)
    if the price after swapping `net` passes the limit, only the largest input that keeps the price
    within it is swapped (found by bisection, fee included) and the fee is recomputed as
    delta_in * rate / (65535 - rate)
    out = floor(reserve_out * delta_in / (reserve_in + delta_in))

Fees: subtensor pays them to the block author (or burns them). Agora leaves the fee in the pool's
input reserve, so no TAO or alpha leaves circulation through a swap (conservation stays exact).

Pure functions (`quote_buy`, `quote_sell`) take reserves and return a `SwapResult`; the
state-facing ones read the pool: `current_alpha_price`, `sim_swap_tao_for_alpha`,
`sim_swap_alpha_for_tao` (what the SwapRuntimeApi serves), and `swap_tao_for_alpha` /
`swap_alpha_for_tao` that move the reserves (used by staking, registration and the coinbase).
"""
from __future__ import annotations

import dataclasses

from runtime.frame.state import Overlay, StateReader
from runtime.pallets import swap as swap_pallet

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.fixed import F64, U64_MAX, div, ratio

DYNAMIC_MECHANISM = 1
MIN_RESERVE = 1_000_000                    # SwapMinimumReserve
MAX_SWAP_INPUT_RESERVE_MULTIPLIER = 1_000  # swap_step.rs
MIN_PRICE = 1_000                          # min_price_inner: limit prices are rao of TAO per 1e9 alpha
MAX_PRICE = 1_000_000_000_000_000          # max_price_inner
RAO = 1_000_000_000
U16_MAX = 0xFFFF


class SwapRefused(Exception):
    """A swap that cannot run; `error` names the Swap pallet error (the caller maps it)."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


@dataclasses.dataclass(frozen=True)
class SwapResult:
    amount_paid_in: int      # input that went into the reserve (excluding the fee)
    amount_paid_out: int     # output taken from the other reserve
    fee_paid: int            # fee, in the input token

    @property
    def total_in(self) -> int:
        """What the trader gives up: input plus fee."""
        return self.amount_paid_in + self.fee_paid


# --- pure math ------------------------------------------------------------------------------------
def price_bits(tao_reserve: int, alpha_reserve: int) -> int:
    """U64F64 price of alpha in TAO: y / x (0 with no alpha reserve, as `current_price`)."""
    return ratio(tao_reserve, alpha_reserve) if alpha_reserve else 0


def limit_bits(limit_price: int) -> int:
    """A limit given in rao per alpha (TaoBalance) as U64F64 TAO per alpha (`swap` in impls.rs)."""
    return ratio(limit_price, RAO)


def fee_amount(amount: int, rate: int) -> int:
    """`calculate_fee_amount`: floor(amount * U64F64(rate / 65535))."""
    return (amount * ratio(rate, U16_MAX)) >> F64


def _limit_fee(delta_in: int, rate: int) -> int:
    """Fee when the limit cuts the swap: delta_in * rate / (65535 - rate) (U64F64)."""
    return (delta_in * div(rate << F64, (U16_MAX - rate) << F64)) >> F64


def _checked(reserve_in: int, reserve_out: int, amount: int, rate: int) -> tuple[int, int]:
    fee = fee_amount(amount, rate)
    net = amount - fee
    if net > reserve_in * MAX_SWAP_INPUT_RESERVE_MULTIPLIER:
        raise SwapRefused("SwapInputTooLarge")
    if reserve_out < MIN_RESERVE:
        raise SwapRefused("ReservesTooLow")
    return fee, net


def _out(reserve_in: int, reserve_out: int, delta_in: int) -> int:
    return reserve_out * delta_in // (reserve_in + delta_in) if delta_in else 0


def _largest_within(delta_max: int, fits) -> int:
    """The largest delta in [0, delta_max] with fits(delta) (fits is monotone: true up to some point)."""
    lo, hi = 0, delta_max
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def quote_buy(tao_reserve: int, alpha_reserve: int, tao: int, limit: int, rate: int) -> SwapResult:
    """TAO in, alpha out, not above price `limit` (U64F64). The fee joins the TAO reserve, so the
    price after the swap counts it."""
    fee, net = _checked(tao_reserve, alpha_reserve, tao, rate)
    current = price_bits(tao_reserve, alpha_reserve)
    if not current < limit:
        raise SwapRefused("PriceLimitExceeded")

    def price_after(delta: int, delta_fee: int) -> int:
        return price_bits(tao_reserve + delta + delta_fee, alpha_reserve - _out(tao_reserve, alpha_reserve, delta))

    delta_in = net
    if price_after(net, fee) > limit:
        delta_in = _largest_within(net, lambda d: price_after(d, _limit_fee(d, rate)) <= limit)
        fee = _limit_fee(delta_in, rate)
    out = _out(tao_reserve, alpha_reserve, delta_in)
    if delta_in and not out:
        raise SwapRefused("ReservesTooLow")
    return SwapResult(delta_in, out, fee)


def quote_sell(tao_reserve: int, alpha_reserve: int, alpha: int, limit: int, rate: int) -> SwapResult:
    """Alpha in, TAO out, not below price `limit` (U64F64). The fee joins the alpha reserve."""
    fee, net = _checked(alpha_reserve, tao_reserve, alpha, rate)
    current = price_bits(tao_reserve, alpha_reserve)
    if not current > limit:
        raise SwapRefused("PriceLimitExceeded")

    def price_after(delta: int, delta_fee: int) -> int:
        return price_bits(tao_reserve - _out(alpha_reserve, tao_reserve, delta), alpha_reserve + delta + delta_fee)

    delta_in = net
    if price_after(net, fee) < limit:
        delta_in = _largest_within(net, lambda d: price_after(d, _limit_fee(d, rate)) >= limit)
        fee = _limit_fee(delta_in, rate)
    out = _out(alpha_reserve, tao_reserve, delta_in)
    if delta_in and not out:
        raise SwapRefused("ReservesTooLow")
    return SwapResult(delta_in, out, fee)


# --- reading the pool -----------------------------------------------------------------------------
def is_dynamic(state: StateReader, netuid: int) -> bool:
    return netuid != 0 and S.SubnetMechanism.get(state, netuid) == DYNAMIC_MECHANISM


def fee_rate(state: StateReader, netuid: int) -> int:
    return swap_pallet.FeeRate.get(state, netuid)


def current_price_bits(state: StateReader, netuid: int) -> int:
    """`current_price`: y/x on a dynamic subnet, 1.0 on root and stable subnets."""
    if not is_dynamic(state, netuid):
        return 1 << F64
    return price_bits(S.SubnetTAO.get(state, netuid), S.SubnetAlphaIn.get(state, netuid))


def current_alpha_price(state: StateReader, netuid: int) -> int:
    """`SwapRuntimeApi::current_alpha_price`: the price in rao per alpha (floor(price * 1e9))."""
    return min((current_price_bits(state, netuid) * RAO) >> F64, U64_MAX)


def quote(state: StateReader, netuid: int, buy: bool, amount: int, limit_price: int | None = None,
          drop_fees: bool = False) -> SwapResult:
    """Quote a swap on the subnet's pool without changing it; raises SwapRefused.
    `limit_price` in rao per alpha; None = the default limit (max for buys, min for sells)."""
    if not is_dynamic(state, netuid):
        return SwapResult(amount, amount, 0)
    if limit_price is None:
        limit_price = MAX_PRICE if buy else MIN_PRICE
    rate = 0 if drop_fees else fee_rate(state, netuid)
    tao, alpha = S.SubnetTAO.get(state, netuid), S.SubnetAlphaIn.get(state, netuid)
    limit = limit_bits(limit_price)
    return quote_buy(tao, alpha, amount, limit, rate) if buy else quote_sell(tao, alpha, amount, limit, rate)


def _sim(state: StateReader, netuid: int, buy: bool, amount: int) -> SwapResult | None:
    if not S.NetworksAdded.get(state, netuid):
        return SwapResult(0, 0, 0) if not is_dynamic(state, netuid) else None
    try:
        return quote(state, netuid, buy, amount)
    except SwapRefused:
        return None


def sim_swap_tao_for_alpha(state: StateReader, netuid: int, tao: int) -> dict:
    """`SwapRuntimeApi::sim_swap_tao_for_alpha` -> SimSwapResult fields (all zero if refused)."""
    no_slippage_alpha = min(div(tao << F64, current_price_bits(state, netuid)) >> F64, U64_MAX)
    result = _sim(state, netuid, True, tao)
    if result is None:
        return dict.fromkeys(SIM_SWAP_FIELDS, 0)
    return {"tao_amount": result.amount_paid_in, "alpha_amount": result.amount_paid_out,
            "tao_fee": result.fee_paid, "alpha_fee": 0, "tao_slippage": 0,
            "alpha_slippage": max(no_slippage_alpha - result.amount_paid_out, 0)}


def sim_swap_alpha_for_tao(state: StateReader, netuid: int, alpha: int) -> dict:
    """`SwapRuntimeApi::sim_swap_alpha_for_tao` -> SimSwapResult fields (all zero if refused)."""
    no_slippage_tao = min((alpha * current_price_bits(state, netuid)) >> F64, U64_MAX)
    result = _sim(state, netuid, False, alpha)
    if result is None:
        return dict.fromkeys(SIM_SWAP_FIELDS, 0)
    return {"tao_amount": result.amount_paid_out, "alpha_amount": result.amount_paid_in,
            "tao_fee": 0, "alpha_fee": result.fee_paid,
            "tao_slippage": max(no_slippage_tao - result.amount_paid_out, 0), "alpha_slippage": 0}


SIM_SWAP_FIELDS = ("tao_amount", "alpha_amount", "tao_fee", "alpha_fee", "tao_slippage", "alpha_slippage")


# --- moving the reserves (stake_utils.rs swap_tao_for_alpha / swap_alpha_for_tao) -----------------
def swap_tao_for_alpha(state: Overlay, netuid: int, tao: int, limit_price: int | None = None,
                       drop_fees: bool = False) -> SwapResult:
    """Put `result.total_in` TAO into the pool, take `amount_paid_out` alpha out of it (to AlphaOut).
    The caller has already taken the TAO from a balance; raises SwapRefused before any write."""
    result = quote(state, netuid, True, tao, limit_price, drop_fees)
    paid = result.total_in
    if is_dynamic(state, netuid):
        S.SubnetAlphaIn.mutate(state, netuid, lambda v: v - result.amount_paid_out)
    S.SubnetAlphaOut.mutate(state, netuid, lambda v: v + result.amount_paid_out)
    S.SubnetTAO.mutate(state, netuid, lambda v: v + paid)
    S.TotalStake.mutate(state, lambda v: v + paid)
    S.SubnetVolume.mutate(state, netuid, lambda v: v + paid)
    return result


def swap_alpha_for_tao(state: Overlay, netuid: int, alpha: int, limit_price: int | None = None,
                       drop_fees: bool = False) -> SwapResult:
    """Put `result.total_in` alpha (from AlphaOut) into the pool, take `amount_paid_out` TAO out of it.
    The caller pays the TAO to a balance; raises SwapRefused before any write."""
    result = quote(state, netuid, False, alpha, limit_price, drop_fees)
    paid = result.total_in
    if is_dynamic(state, netuid):
        S.SubnetAlphaIn.mutate(state, netuid, lambda v: v + paid)
    S.SubnetAlphaOut.mutate(state, netuid, lambda v: v - paid)
    S.SubnetTAO.mutate(state, netuid, lambda v: v - result.amount_paid_out)
    S.TotalStake.mutate(state, lambda v: v - result.amount_paid_out)
    S.SubnetVolume.mutate(state, netuid, lambda v: v + result.amount_paid_out)
    return result


def max_amount_add(state: StateReader, netuid: int, limit_price: int) -> int:
    """`get_max_amount_add`: the most TAO (fee included) that buys without passing `limit_price`."""
    if not is_dynamic(state, netuid):
        return U64_MAX if limit_price >= RAO else 0
    budget = S.SubnetTAO.get(state, netuid) * MAX_SWAP_INPUT_RESERVE_MULTIPLIER
    return quote(state, netuid, True, budget, limit_price).total_in


def max_amount_remove(state: StateReader, netuid: int, limit_price: int) -> int:
    """`get_max_amount_remove`: the most alpha (fee included) that sells without passing `limit_price`."""
    if not is_dynamic(state, netuid):
        return U64_MAX if limit_price <= RAO else 0
    budget = S.SubnetAlphaIn.get(state, netuid) * MAX_SWAP_INPUT_RESERVE_MULTIPLIER
    return quote(state, netuid, False, budget, limit_price).total_in


def recycle_alpha(state: Overlay, netuid: int, amount: int) -> None:
    """`recycle_subnet_alpha`: take alpha out of issuance (SubnetAlphaOut falls; Agora counts it in
    SubnetAlphaRecycled so the issuance ledger closes)."""
    if amount > 0:
        S.SubnetAlphaOut.mutate(state, netuid, lambda v: v - amount)
        S.SubnetAlphaRecycled.mutate(state, netuid, lambda v: v + amount)
