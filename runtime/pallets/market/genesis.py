"""Genesis: the market parameters from the chain spec's `market` section; the treasury is endowed."""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.pallets import balances, system
from primitives.ss58 import parse_account

from runtime.pallets.market.calls import check_params
from runtime.pallets.market.pallet import default_params, pallet
from runtime.pallets.market.storage import ParamsStore
from runtime.pallets.market.types import Params

_KEYS = {  # spec key (camelCase, as Substrate's JSON genesis) -> Params field
    "minDeposit": "min_deposit", "bidMinDeposit": "bid_min_deposit", "providerDeposit": "provider_deposit",
    "maxBidsPerOrder": "max_bids_per_order", "biddingWindow": "bidding_window", "orderTimeout": "order_timeout",
    "settlementPeriod": "settlement_period", "takeRateBps": "take_rate_bps", "treasury": "treasury",
    "maxTasksPerBlock": "max_tasks_per_block", "computeNetuid": "compute_netuid", "minConsensus": "min_consensus",
    "zeroConsensusEpochs": "zero_consensus_epochs", "slashFraction": "slash_fraction",
}


def params_from_config(config: dict) -> Params:
    p = default_params()
    for key, value in (config or {}).items():
        field = _KEYS.get(key, key)
        if field not in Params.__dataclass_fields__:
            raise ValueError(f"market genesis: unknown key {key!r}")
        if field == "treasury":
            value = parse_account(value)
        elif not (field == "compute_netuid" and value is None):
            value = int(value)
        setattr(p, field, value)
    return p


@pallet.genesis_builder
def build_genesis(ctx: BlockContext, config: dict) -> None:
    p = params_from_config(config)
    if system.get_account(ctx, p.treasury).providers == 0:
        balances.mint(ctx, p.treasury, balances.EXISTENTIAL_DEPOSIT)
    check_params(ctx, p)
    ParamsStore.put(ctx.state, p)
