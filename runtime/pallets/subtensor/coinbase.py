"""The per-block coinbase of dynamic TAO (opentensor/subtensor 14bc6f9f `coinbase/run_coinbase.rs`,
`coinbase/subnet_emissions.rs`, `coinbase/block_emission.rs`, `staking/stake_utils.rs`).

Block emission (`get_block_emission_for_issuance`, translated without floats):

    if issuance >= 21M TAO: 0
    k = the largest k with 2^k * (21M TAO - issuance) <= 21M TAO     (= floor(log2(1/(1 - issuance/21M))))
    emission = floor(1e9 / 2^k) rao

(I96F32 quantises issuance/21M to 32 fractional bits; both forms halve at 10.5M, 15.75M, 18.375M, ...
TAO.) The same function gives each subnet's alpha emission from its alpha issuance (AlphaIn + AlphaOut).

Per block, for every subnet that emits (non-root, `FirstEmissionBlockNumber` set, `SubtokenEnabled`,
registration allowed), in U96F32/U64F64 as upstream:
1. share_i = EMA price_i / sum of EMA prices, weighted by (1 - MinerBurned_i) and renormalised;
   subnets with `SubnetEmissionEnabled` off get 0, the others are renormalised. tao_emission_i = E * share_i.
2. alpha_in_i = tao_emission_i / price_i, capped at root_prop_i * alpha_emission_i (then tao_in_i =
   alpha_in_i * price_i); root_prop_i = w*R / (w*R + alpha_issuance_i) with R = SubnetTAO(root),
   w = TaoWeight. tao_in_i and alpha_in_i go into the pool; excess_i = tao_emission_i - tao_in_i buys
   alpha (fee-less) for the protocol (`SubnetProtocolAlpha`).
3. alpha_out_i = alpha_emission_i is minted outside the pool: the owner cut (SubnetOwnerCut of it)
   goes to `PendingOwnerCut`; of the rest, half to `PendingServerEmission`, root_prop * half to
   `PendingRootAlphaDivs` (recycled when the EMA prices sum to <= 1), the remainder to
   `PendingValidatorEmission`.
4. After the coinbase, each emitting subnet's price EMA moves: alpha = SubnetMovingAlpha * b/(b + h),
   P <- alpha*min(price, 1) + (1 - alpha)*P (b = blocks since start, h = EMAPriceHalvingBlocks).

The epoch (`epoch.py`) drains the pending alpha and pays it out (`distribute_emission`).

Agora's exactness rules (deviations below one rao per item per block, so that conservation holds to
the rao): the four pending parts of alpha_out add up to exactly the alpha minted (the validator part
takes the rounding); TAO is minted only as it enters a pool.
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.state import StateReader

from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import swap
from runtime.pallets.subtensor.fixed import F32, F64, U64_MAX, div, mul, ratio, to_int
from runtime.pallets.subtensor.networks import subnet_netuids
from runtime.pallets.subtensor.stake.core import sync_total_issuance
from runtime.pallets.subtensor.types import U16_MAX, block_emission_for_issuance

ONE64 = 1 << F64
ONE32 = 1 << F32


def u16_proportion_bits(value: int) -> int:
    """U96F32 value/65535 (truncated)."""
    return ratio(value, U16_MAX, F32)


def proportion_of(amount: int, value_u16: int) -> int:
    """floor(amount * (value/65535)) with the proportion truncated to 32 fractional bits."""
    return (amount * u16_proportion_bits(value_u16)) >> F32


def alpha_issuance(state: StateReader, netuid: int) -> int:
    return S.SubnetAlphaIn.get(state, netuid) + S.SubnetAlphaOut.get(state, netuid)


def tao_weight_bits(state: StateReader) -> int:
    """`get_tao_weight`: TaoWeight / u64::MAX as U96F32."""
    return ratio(S.TaoWeight.get(state), U64_MAX, F32)


def moving_price_bits(state: StateReader, netuid: int) -> int:
    """`get_moving_alpha_price` as U64F64 (1.0 on root and stable subnets)."""
    if not swap.is_dynamic(state, netuid):
        return ONE64
    return max(S.SubnetMovingPrice.get(state, netuid)["bits"], 0) << (F64 - F32)


def root_proportion_bits(state: StateReader, netuid: int) -> int:
    """`root_proportion` (U96F32): w*R / (w*R + alpha issuance)."""
    weighted_root = mul(S.SubnetTAO.get(state, 0) << F32, tao_weight_bits(state), F32)
    return div(weighted_root, weighted_root + (alpha_issuance(state, netuid) << F32), F32)


def subnets_to_emit_to(state: StateReader, netuids: list[int] | None = None) -> list[int]:
    """Non-root subnets with FirstEmissionBlockNumber set, SubtokenEnabled and registration allowed
    (`netuids`: the non-root subnets, when the caller has them already)."""
    return [netuid for netuid in (subnet_netuids(state) if netuids is None else netuids)
            if S.FirstEmissionBlockNumber.contains(state, netuid) and S.SubtokenEnabled.get(state, netuid)
            and S.NetworkRegistrationAllowed.get(state, netuid)]


def emission_shares(state: StateReader, netuids: list[int], prices: dict[int, int] | None = None) -> dict[int, int]:
    """`get_shares` then the SubnetEmissionEnabled renormalisation: U64F64 share per subnet."""
    prices = prices or {n: moving_price_bits(state, n) for n in netuids}
    total = sum(prices.values())
    shares = {n: div(p, total) if total else 0 for n, p in prices.items()}
    weighted = {n: mul(share, ONE64 - min(S.MinerBurned.get(state, n)["bits"] << (F64 - F32), ONE64))
                for n, share in shares.items()}
    total_weight = sum(weighted.values())
    if total_weight:
        shares = {n: div(w, total_weight) for n, w in weighted.items()}
    enabled = {n: S.SubnetEmissionEnabled.get(state, n) for n in netuids}
    if all(enabled.values()):
        return shares
    enabled_sum = sum(s for n, s in shares.items() if enabled[n])
    return {n: (div(s, enabled_sum) if enabled[n] and enabled_sum else 0) for n, s in shares.items()}


def root_sell_flag(state: StateReader, netuids: list[int]) -> bool:
    return sum(moving_price_bits(state, n) for n in netuids) > ONE64


class _Subnet:
    """One emitting subnet's pool as the coinbase reads it (each item read once, written once)."""

    __slots__ = ("netuid", "tao", "alpha_in", "alpha_out", "dynamic")

    def __init__(self, state: StateReader, netuid: int):
        self.netuid = netuid
        self.tao = S.SubnetTAO.get(state, netuid)
        self.alpha_in = S.SubnetAlphaIn.get(state, netuid)
        self.alpha_out = S.SubnetAlphaOut.get(state, netuid)
        self.dynamic = swap.is_dynamic(state, netuid)

    def price_bits(self) -> int:
        """`current_price` (U64F64)."""
        if not self.dynamic:
            return ONE64
        return swap.price_bits(self.tao, self.alpha_in)


def _inject(state, pool_: _Subnet, tao_in: int, alpha_in: int, excess: int) -> int:
    """`inject_and_maybe_swap` for one subnet: chain buy with the excess (fee-less), then TAO and alpha
    into the pool. Returns the TAO that entered the pool (minted)."""
    netuid = pool_.netuid
    bought_tao = bought_alpha = 0
    if excess > 0:
        try:
            if pool_.dynamic:
                result = swap.quote_buy(pool_.tao, pool_.alpha_in, excess, swap.limit_bits(swap.MAX_PRICE), 0)
            else:
                result = swap.SwapResult(excess, excess, 0)
        except swap.SwapRefused:
            result = None          # the emission is not minted (subtensor recycles the credit)
        if result is not None:
            bought_tao, bought_alpha = result.total_in, result.amount_paid_out
            if pool_.dynamic:
                pool_.alpha_in -= bought_alpha
            pool_.alpha_out += bought_alpha
            pool_.tao += bought_tao
            S.SubnetVolume.mutate(state, netuid, lambda v: v + bought_tao)
            S.SubnetProtocolAlpha.mutate(state, netuid, lambda v: v + bought_alpha)
    S.SubnetExcessTao.insert(state, netuid, bought_tao)
    S.SubnetAlphaInEmission.insert(state, netuid, alpha_in)
    S.SubnetTaoInEmission.insert(state, netuid, tao_in)
    pool_.alpha_in += alpha_in
    pool_.tao += tao_in
    return bought_tao + tao_in


def _emit_alpha_out(state, pool_: _Subnet, alpha_out_bits: int, cut_bits: int, root_prop: int, sell: bool) -> None:
    netuid = pool_.netuid
    created = to_int(alpha_out_bits, F32)
    S.SubnetAlphaOutEmission.insert(state, netuid, created)
    pool_.alpha_out += created
    owner_cut = 0
    if S.OwnerCutEnabled.get(state, netuid):
        cut = mul(alpha_out_bits, cut_bits, F32)
        alpha_out_bits -= cut
        owner_cut = min(to_int(cut, F32), created)
    root_alpha_bits = mul(mul(root_prop, alpha_out_bits, F32), ONE32 >> 1, F32)
    server = to_int(mul(alpha_out_bits, ONE32 >> 1, F32), F32)
    root_alpha = to_int(root_alpha_bits, F32)
    validator = max(created - owner_cut - server - root_alpha, 0)   # takes the rounding: parts sum to created
    if owner_cut:
        S.PendingOwnerCut.mutate(state, netuid, lambda v: v + owner_cut)
    S.PendingServerEmission.mutate(state, netuid, lambda v: v + server)
    S.PendingValidatorEmission.mutate(state, netuid, lambda v: v + validator)
    if sell:
        S.PendingRootAlphaDivs.mutate(state, netuid, lambda v: v + root_alpha)
    elif root_alpha:
        pool_.alpha_out -= root_alpha                                   # recycled
        S.SubnetAlphaRecycled.mutate(state, netuid, lambda v: v + root_alpha)


def run_coinbase(ctx: BlockContext, subnets: list[int] | None = None) -> int:
    """Emit this block's TAO and alpha into the subnets (`subnets`: the non-root subnets, if known);
    returns the block emission E (rao)."""
    state = ctx.state
    emission = block_emission_for_issuance(sync_total_issuance(ctx))
    if S.BlockEmission.get(state) != emission:
        S.BlockEmission.put(state, emission)
    netuids = subnets_to_emit_to(state, subnets)
    if not netuids:
        return emission
    prices = {n: moving_price_bits(state, n) for n in netuids}
    shares = emission_shares(state, netuids, prices)
    sell = sum(prices.values()) > ONE64                      # root_sell_flag
    cut_bits = u16_proportion_bits(S.SubnetOwnerCut.get(state))
    weighted_root = mul(S.SubnetTAO.get(state, 0) << F32, tao_weight_bits(state), F32)
    pools = {netuid: _Subnet(state, netuid) for netuid in netuids}
    terms = {}
    for netuid, pool_ in pools.items():
        issuance = pool_.alpha_in + pool_.alpha_out
        tao_emission = (emission * shares[netuid]) >> (F64 - F32)          # U64F64 * share -> U96F32
        alpha_emission = block_emission_for_issuance(issuance) << F32
        price = pool_.price_bits() >> (F64 - F32)
        tao_in, alpha_in = tao_emission, div(tao_emission, price, F32)
        root_prop = div(weighted_root, weighted_root + (issuance << F32), F32)     # root_proportion
        cap = mul(root_prop, alpha_emission, F32)
        if alpha_in > cap:
            alpha_in = cap
            tao_in = mul(alpha_in, price, F32)
        excess = max(tao_emission - tao_in, 0)
        terms[netuid] = (tao_in, alpha_in, alpha_emission, excess, root_prop)
    minted = 0
    for netuid, (tao_in, alpha_in, _, excess, _) in terms.items():
        minted += _inject(state, pools[netuid], to_int(tao_in, F32), to_int(alpha_in, F32), to_int(excess, F32))
    for netuid, (_, _, alpha_out, _, root_prop) in terms.items():
        _emit_alpha_out(state, pools[netuid], alpha_out, cut_bits, root_prop, sell)
    for pool_ in pools.values():
        S.SubnetTAO.insert(state, pool_.netuid, pool_.tao)
        S.SubnetAlphaIn.insert(state, pool_.netuid, pool_.alpha_in)
        S.SubnetAlphaOut.insert(state, pool_.netuid, pool_.alpha_out)
    if minted:
        S.TotalStake.mutate(state, lambda v: v + minted)
    sync_total_issuance(ctx)
    return emission


def update_moving_prices(ctx: BlockContext, current_block: int, subnets: list[int] | None = None) -> None:
    """`update_moving_price` for every emitting subnet (after the coinbase), and `RootProp`."""
    state = ctx.state
    base = S.SubnetMovingAlpha.get(state)["bits"] << (F64 - F32)                 # I96F32 -> U64F64
    weighted_root = mul(S.SubnetTAO.get(state, 0) << F32, tao_weight_bits(state), F32)
    for netuid in subnets_to_emit_to(state, subnets):
        start = max(S.FirstEmissionBlockNumber.get(state, netuid) - 1, 0)
        blocks = max(current_block - start, 0)
        halving = S.EMAPriceHalvingBlocks.get(state, netuid)
        alpha = mul(base, ratio(blocks, blocks + halving))
        price = min(swap.current_price_bits(state, netuid), ONE64)
        new = mul(alpha, price) + mul(ONE64 - alpha, moving_price_bits(state, netuid))
        S.SubnetMovingPrice.insert(state, netuid, {"bits": new >> (F64 - F32)})
        issuance = alpha_issuance(state, netuid) << F32
        S.RootProp.insert(state, netuid, {"bits": div(weighted_root, weighted_root + issuance, F32)})
