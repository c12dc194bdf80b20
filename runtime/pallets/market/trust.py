"""The market trusts the compute subnet's Yuma consensus (`Params.compute_netuid`).

A provider's subnet identity is its own account: it registers that account as a hotkey on
`compute_netuid` (`burned_register(netuid, hotkey=<provider account>)`), so no link call (and
no proof that a hotkey is the provider's) is needed.

- Auto-match (`best_trusted_bid`): the lowest price among the bids whose provider has consensus
  >= `min_consensus`; equal prices go to the higher consensus, then to the earlier bid. If no bid
  qualifies, nothing matches: the order stays open to new bids and to the tenant's own
  `create_lease` until its timeout. Without `compute_netuid` every bid qualifies (the old rule).
- Untrusted providers (`on_subnet_epoch`): after each completed epoch of the subnet, a provider
  whose consensus is 0 counts one more zero epoch (any other value resets the count). From
  `zero_consensus_epochs` zero epochs on (0 disables the rule), each epoch closes all its leases
  (reason ProviderUntrusted): each is paid up to this block, `slash_fraction` of its bid deposit
  goes to the treasury (ProviderSlashed; total issuance is unchanged), the rest is unreserved, and
  the escrow it no longer draws stays with the tenant (refunded when the deployment has nothing
  left open). A lease whose escrow ran dry at an earlier block (the scheduler had not reached it)
  ended then: it closes as InsufficientFunds, unslashed. A provider not registered on the subnet
  has consensus 0.

The subnet's epoch runs in SubtensorModule's on_initialize (pallet index 7), before the market's
(index 8); the market notices it by reading `views.epoch_ran_at` (subtensor imports nothing of
the market).
"""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.pallets import balances
from runtime.pallets.subtensor import views as subtensor_views

from runtime.pallets.market import lifecycle
from runtime.pallets.market.escrow import EscrowInvariantBroken, settle
from runtime.pallets.market.events import ProviderSlashed
from runtime.pallets.market.storage import (Bids, Deployments, Leases, OrderBids, ProviderLeases, Providers,
                                            ZeroConsensusEpochs, params)
from runtime.pallets.market.types import Bid, Params

PERBILL = 10**9


def open_bids(ctx: BlockContext, order_id: int) -> list[tuple[int, Bid]]:
    """The order's open bids, decoded once (the auction reads them all, then refunds the losers)."""
    bids = [(bid_id, Bids.get(ctx.state, bid_id)) for bid_id in OrderBids.get(ctx.state, order_id)]
    return [(bid_id, b) for bid_id, b in bids if b is not None]


def best_trusted_bid(ctx: BlockContext, order_id: int,
                     bids: list[tuple[int, Bid]] | None = None) -> tuple[int, Bid] | None:
    p = params(ctx.state)
    bids = open_bids(ctx, order_id) if bids is None else bids
    if p.compute_netuid is None:
        return min(bids, key=lambda item: (item[1].price, item[0]), default=None)
    consensus = subtensor_views.consensus_of(ctx.state, p.compute_netuid, {b.provider for _, b in bids})
    trusted = [(bid_id, b) for bid_id, b in bids if consensus[b.provider] >= p.min_consensus]
    return min(trusted, key=lambda item: (item[1].price, -consensus[item[1].provider], item[0]), default=None)


def slash_amount(deposit: int, p: Params) -> int:
    return deposit * p.slash_fraction // PERBILL


def on_subnet_epoch(ctx: BlockContext) -> None:
    """Run after a completed epoch of the compute subnet (see the module docstring)."""
    p = params(ctx.state)
    if p.compute_netuid is None or subtensor_views.epoch_ran_at(ctx.state, p.compute_netuid) != ctx.block_number:
        return
    providers = [who for (who,), _ in Providers.iter(ctx.state)]
    consensus = subtensor_views.consensus_of(ctx.state, p.compute_netuid, providers)
    for who in providers:
        if consensus[who] > 0:
            ZeroConsensusEpochs.remove(ctx.state, who)
            continue
        zeros = ZeroConsensusEpochs.get(ctx.state, who) + 1
        ZeroConsensusEpochs.insert(ctx.state, who, zeros)
        if p.zero_consensus_epochs and zeros >= p.zero_consensus_epochs:
            close_untrusted_leases(ctx, who, p)


def close_untrusted_leases(ctx: BlockContext, provider: bytes, p: Params) -> None:
    for (_, lease_id), dep_id in list(ProviderLeases.iter(ctx.state, provider)):
        dep = Deployments.get(ctx.state, dep_id)
        if dep is None or lease_id not in dep.leases:
            continue  # closed with an earlier lease of this provider (its deployment ran dry)
        settle(ctx, dep, ctx.block_number)
        if dep.escrow < dep.rate:  # ran dry at an earlier block: the lease ended then, unslashed
            lifecycle.close_deployment(ctx, dep_id, dep, "InsufficientFunds")
            continue
        lease = Leases.get(ctx.state, lease_id)  # after `settle`, which updates `paid`
        slashed = slash_amount(lease.deposit, p)
        if slashed:
            if balances.repatriate_reserved(ctx, provider, p.treasury, slashed):
                raise EscrowInvariantBroken(f"market: reserve of 0x{provider.hex()} short of its lease deposit")
            lease.deposit -= slashed
            Leases.insert(ctx.state, lease_id, lease)
            ctx.deposit_event(ProviderSlashed(provider, lease_id, slashed, p.treasury))
        lifecycle.close_lease(ctx, lease_id, dep, "ProviderUntrusted")
        lifecycle.store(ctx, dep_id, dep)
