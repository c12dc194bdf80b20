"""Transitions shared by calls and hooks: closing bids, orders, leases and deployments,
matching a bid into a lease. Callers have settled the deployment first."""
from __future__ import annotations

import struct

from primitives.scale import ScaleError
from runtime.frame.context import BlockContext
from runtime.frame.dispatch import ensure
from runtime.pallets import balances

from runtime.pallets.market.errors import Error
from runtime.pallets.market.escrow import U128_MAX, reschedule
from runtime.pallets.market.events import (BidClosed, DeploymentClosed, LeaseClosed, LeaseCreated, OrderClosed)
from runtime.pallets.market.storage import (Bids, Deployments, Leases, OrderBids, Orders, ProviderBids, ProviderLeases,
                                            Providers)
from runtime.pallets.market.types import Bid, Deployment, Lease, Order, ProviderType  # noqa: F401


# A provider's counters are the last fields of its encoding: a delta rewrites those bytes instead of
# decoding and re-encoding the whole provider (host URI, attributes) once per refunded bid.
_COUNTERS = ProviderType.fixed_tail(("open_bids", "active_leases"))


def _provider_delta(ctx: BlockContext, who: bytes, open_bids: int = 0, active_leases: int = 0) -> None:
    key = Providers.key(who)
    raw = ctx.state.get(key)
    if raw is None:
        return
    at = len(raw) - _COUNTERS.size
    bids, leases = _COUNTERS.unpack_from(raw, at)
    try:
        counters = _COUNTERS.pack(bids + open_bids, leases + active_leases)
    except struct.error:
        raise ScaleError(f"Provider: counters {bids + open_bids}, {leases + active_leases} out of range") from None
    ctx.state.set(key, bytes(raw[:at]) + counters)


def close_bid(ctx: BlockContext, bid_id: int, bid: Bid, reason: str, *, unlink_order: bool = True) -> None:
    """Remove an open bid and refund its deposit."""
    balances.unreserve(ctx, bid.provider, bid.deposit)
    Bids.remove(ctx.state, bid_id)
    ProviderBids.remove(ctx.state, bid.provider, bid_id)
    _provider_delta(ctx, bid.provider, open_bids=-1)
    if unlink_order:
        ids = [b for b in OrderBids.get(ctx.state, bid.order) if b != bid_id]
        if ids:
            OrderBids.insert(ctx.state, bid.order, ids)
        else:
            OrderBids.remove(ctx.state, bid.order)
    ctx.deposit_event(BidClosed(bid_id, reason))


def close_open_order(ctx: BlockContext, order_id: int, dep: Deployment, reason: str) -> None:
    """Close an order without a lease: every open bid is closed and refunded."""
    for bid_id in OrderBids.take(ctx.state, order_id):
        bid = Bids.get(ctx.state, bid_id)
        if bid is not None:
            close_bid(ctx, bid_id, bid, "OrderClosed", unlink_order=False)
    Orders.remove(ctx.state, order_id)
    if order_id in dep.orders:
        dep.orders.remove(order_id)
    ctx.deposit_event(OrderClosed(order_id, reason))


def close_lease(ctx: BlockContext, lease_id: int, dep: Deployment, reason: str) -> None:
    """Close a lease of a settled deployment (paid up to `dep.settled_at`); its order closes too."""
    lease = Leases.get(ctx.state, lease_id)
    balances.unreserve(ctx, lease.provider, lease.deposit)
    Leases.remove(ctx.state, lease_id)
    ProviderLeases.remove(ctx.state, lease.provider, lease_id)
    _provider_delta(ctx, lease.provider, active_leases=-1)
    Orders.remove(ctx.state, lease.order)
    if lease.order in dep.orders:
        dep.orders.remove(lease.order)
    if lease_id in dep.leases:
        dep.leases.remove(lease_id)
        dep.rate -= lease.price
    ctx.deposit_event(LeaseClosed(lease_id, reason, dep.settled_at, lease.paid))
    ctx.deposit_event(OrderClosed(lease.order, "LeaseClosed"))


def close_deployment(ctx: BlockContext, dep_id: int, dep: Deployment, reason: str) -> None:
    """Close every lease and order, refund what is left in escrow, remove the deployment."""
    funds = reason == "InsufficientFunds"
    for lease_id in list(dep.leases):
        close_lease(ctx, lease_id, dep, "InsufficientFunds" if funds else "DeploymentClosed")
    for order_id in list(dep.orders):
        close_open_order(ctx, order_id, dep, "InsufficientFunds" if funds else "DeploymentClosed")
    refund = dep.escrow
    balances.unreserve(ctx, dep.owner, refund)
    dep.escrow = 0
    Deployments.remove(ctx.state, dep_id)
    ctx.deposit_event(DeploymentClosed(dep_id, reason, refund))


def store(ctx: BlockContext, dep_id: int, dep: Deployment) -> bool:
    """After a change to a settled deployment: close it if its escrow ran dry or nothing is
    left (no open order, no lease), else reschedule and write it. Returns whether it lives."""
    if dep.rate and dep.escrow < dep.rate:
        close_deployment(ctx, dep_id, dep, "InsufficientFunds")
        return False
    if not dep.orders and not dep.leases:
        close_deployment(ctx, dep_id, dep, "Finished")
        return False
    reschedule(ctx, dep_id, dep)
    Deployments.insert(ctx.state, dep_id, dep)
    return True


def escrow_covers(dep: Deployment, price: int) -> bool:
    return dep.escrow >= dep.rate + price


def create_lease(ctx: BlockContext, bid_id: int, bid: Bid, order: Order, dep: Deployment,
                 decoded: dict[int, Bid] | None = None) -> None:
    """The bid wins its order: the other open bids lose (refunded now), the lease starts now.
    The deployment must be settled to now and able to pay a block (`escrow_covers`). `decoded`:
    the order's open bids as the caller already read them in this block (spares decoding them twice)."""
    ensure(dep.rate + bid.price <= U128_MAX, Error.Overflow)
    ensure(escrow_covers(dep, bid.price), Error.InsufficientEscrow)
    now = ctx.block_number
    decoded = decoded or {}
    for other in OrderBids.take(ctx.state, bid.order):
        if other != bid_id:
            loser = decoded[other] if other in decoded else Bids.get(ctx.state, other)
            if loser is not None:
                close_bid(ctx, other, loser, "Lost", unlink_order=False)
    Bids.remove(ctx.state, bid_id)
    ProviderBids.remove(ctx.state, bid.provider, bid_id)
    ProviderLeases.insert(ctx.state, bid.provider, bid_id, order.deployment)
    _provider_delta(ctx, bid.provider, open_bids=-1, active_leases=1)
    Leases.insert(ctx.state, bid_id, Lease(bid.order, order.deployment, dep.owner, bid.provider, bid.price,
                                           bid.deposit, now, 0))
    order.lease = bid_id
    Orders.insert(ctx.state, bid.order, order)
    dep.leases.append(bid_id)
    dep.rate += bid.price
    ctx.deposit_event(LeaseCreated(bid_id, bid.order, order.deployment, dep.owner, bid.provider, bid.price))

