"""Market dispatchables. Every check runs before any write, and a call runs in a
transactional layer, so a failed call changes nothing."""
from __future__ import annotations

from runtime.frame.context import BlockContext
from runtime.frame.dispatch import Origin, ensure, ensure_root, ensure_signed
from runtime.frame.pallet import CallWeight
from runtime.pallets import balances, system
from primitives.scale import U64, U128, Bytes, Compact, FixedBytes, Vec

from runtime.pallets.market import lifecycle
from runtime.pallets.market.errors import Error
from runtime.pallets.market.escrow import U128_MAX, is_exhausted, settle
from runtime.pallets.market.events import (BidCreated, DeploymentCreated, DeploymentUpdated, EscrowDeposited,
                                           OrderCreated, ParamsUpdated, ProviderDeregistered, ProviderRegistered,
                                           ProviderUpdated)
from runtime.pallets.market.escrow import schedule
from runtime.pallets.market.pallet import (BPS, GPU_ATTRIBUTE, MAX_ATTRIBUTE_KEY, MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES,
                                           MAX_CPU_MILLIS, MAX_GPU_UNITS, MAX_GROUP_NAME, MAX_GROUPS, MAX_HOST_URI,
                                           MAX_MEMORY, MAX_REPLICAS, MAX_RESOURCES, MAX_STORAGE, MIN_CPU_MILLIS,
                                           MIN_MEMORY, WILDCARD, pallet)
from runtime.pallets.market.storage import (Bids, Deployments, Leases, NextBidId, NextDeploymentId, NextOrderId,
                                            OrderBids, Orders, ParamsStore, ProviderBids, Providers, ZeroConsensusEpochs,
                                            params)
from runtime.pallets.market.trust import PERBILL
from runtime.pallets.market.types import (AttributeType, Bid, Deployment, GroupSpec, GroupSpecType, Order, Params,
                                          ParamsType, Provider)

_W = CallWeight(150_000_000, 8_000)
_W_HEAVY = CallWeight(400_000_000, 32_000)


# --- checks ----------------------------------------------------------------------------------
def _check_attributes(attributes: list) -> None:
    ensure(len(attributes) <= MAX_ATTRIBUTES, Error.TooManyAttributes)
    for a in attributes:
        ensure(0 < len(a.key) <= MAX_ATTRIBUTE_KEY and 0 < len(a.value) <= MAX_ATTRIBUTE_VALUE,
               Error.AttributeInvalid)


def _check_groups(groups: list) -> None:
    ensure(len(groups) > 0, Error.NoGroups)
    ensure(len(groups) <= MAX_GROUPS, Error.TooManyGroups)
    names = set()
    for g in groups:
        ensure(0 < len(g.name) <= MAX_GROUP_NAME, Error.GroupNameInvalid)
        ensure(g.name not in names, Error.DuplicateGroupName)
        names.add(g.name)
        _check_attributes(g.requirements)
        ensure(len(g.resources) > 0, Error.NoResources)
        ensure(len(g.resources) <= MAX_RESOURCES, Error.TooManyResources)
        for r in g.resources:
            ensure(MIN_CPU_MILLIS <= r.cpu_millis <= MAX_CPU_MILLIS, Error.CpuOutOfRange)
            ensure(MIN_MEMORY <= r.memory_bytes <= MAX_MEMORY, Error.MemoryOutOfRange)
            ensure(r.storage_bytes <= MAX_STORAGE, Error.StorageOutOfRange)
            ensure(1 <= r.replicas <= MAX_REPLICAS, Error.ReplicasOutOfRange)
            ensure(r.gpu.units <= MAX_GPU_UNITS, Error.GpuUnitsOutOfRange)
            if r.gpu.units:
                ensure(0 < len(r.gpu.vendor) <= MAX_ATTRIBUTE_VALUE and 0 < len(r.gpu.model) <= MAX_ATTRIBUTE_VALUE,
                       Error.GpuAttributesMissing)
        ensure(g.max_price > 0, Error.ZeroMaxPrice)


def attributes_satisfy(offered: list, required: list) -> bool:
    """Every required (key, value) is offered; a required value `*` accepts any value of the key."""
    pairs = {(a.key, a.value) for a in offered}
    keys = {a.key for a in offered}
    return all((r.key in keys) if r.value == WILDCARD else ((r.key, r.value) in pairs) for r in required)


def gpus_satisfy(offered: list, spec: GroupSpec) -> bool:
    """Each GPU resource's vendor/model is offered as an attribute `gpu = vendor/model` (`*` matches any)."""
    models = [a.value.partition(b"/") for a in offered if a.key == GPU_ATTRIBUTE]
    for r in spec.resources:
        if r.gpu.units and not any(r.gpu.vendor in (WILDCARD, vendor) and r.gpu.model in (WILDCARD, model)
                                   for vendor, _, model in models):
            return False
    return True


def _ensure_free(ctx: BlockContext, who: bytes, amount: int) -> None:
    ensure(balances.free_balance(ctx, who) >= amount, Error.InsufficientBalance)


def _deployment(ctx: BlockContext, dep_id: int) -> Deployment:
    dep = Deployments.get(ctx.state, dep_id)
    ensure(dep is not None, Error.DeploymentNotFound)
    return dep


def _live_deployment(ctx: BlockContext, dep_id: int) -> Deployment:
    dep = _deployment(ctx, dep_id)
    ensure(not is_exhausted(dep, ctx.block_number), Error.EscrowExhausted)
    return dep


def _next_id(ctx: BlockContext, item) -> int:
    value = item.get(ctx.state)
    item.put(ctx.state, value + 1)
    return value


# --- providers -------------------------------------------------------------------------------
PROVIDER_ARGS = [("host_uri", Bytes, "Vec<u8>"), ("attributes", Vec(AttributeType), "Vec<Attribute>")]


@pallet.call(0, PROVIDER_ARGS, weight=_W)
def register_provider(ctx: BlockContext, origin: Origin, host_uri: bytes, attributes: list) -> None:
    """Register the signer as a provider (reserves ProviderDeposit). Attributes are key/value
    pairs such as `region=eu-west`, `tier=premium`, and one `gpu=<vendor>/<model>` per GPU model."""
    who = ensure_signed(origin)
    ensure(not Providers.contains(ctx.state, who), Error.ProviderAlreadyRegistered)
    ensure(0 < len(host_uri) <= MAX_HOST_URI, Error.HostUriInvalid)
    _check_attributes(attributes)
    deposit = params(ctx.state).provider_deposit
    _ensure_free(ctx, who, deposit)
    balances.reserve(ctx, who, deposit)
    Providers.insert(ctx.state, who, Provider(bytes(host_uri), list(attributes), deposit, ctx.block_number, 0, 0))
    ctx.deposit_event(ProviderRegistered(who, bytes(host_uri)))


@pallet.call(1, PROVIDER_ARGS, weight=_W)
def update_provider(ctx: BlockContext, origin: Origin, host_uri: bytes, attributes: list) -> None:
    """Replace the provider's host URI and attributes (active leases are not re-checked)."""
    who = ensure_signed(origin)
    provider = Providers.get(ctx.state, who)
    ensure(provider is not None, Error.ProviderNotRegistered)
    ensure(0 < len(host_uri) <= MAX_HOST_URI, Error.HostUriInvalid)
    _check_attributes(attributes)
    provider.host_uri, provider.attributes = bytes(host_uri), list(attributes)
    Providers.insert(ctx.state, who, provider)
    ctx.deposit_event(ProviderUpdated(who))


@pallet.call(2, weight=_W_HEAVY)
def deregister_provider(ctx: BlockContext, origin: Origin) -> None:
    """Deregister (only with no active lease): open bids are closed and every deposit refunded."""
    who = ensure_signed(origin)
    provider = Providers.get(ctx.state, who)
    ensure(provider is not None, Error.ProviderNotRegistered)
    ensure(provider.active_leases == 0, Error.ProviderHasActiveLeases)
    for (_, bid_id), _order in list(ProviderBids.iter(ctx.state, who)):
        bid = Bids.get(ctx.state, bid_id)
        if bid is not None:
            lifecycle.close_bid(ctx, bid_id, bid, "ProviderDeregistered")
    Providers.remove(ctx.state, who)
    ZeroConsensusEpochs.remove(ctx.state, who)
    balances.unreserve(ctx, who, provider.deposit)
    ctx.deposit_event(ProviderDeregistered(who))


# --- deployments -----------------------------------------------------------------------------
@pallet.call(3, [("groups", Vec(GroupSpecType), "Vec<GroupSpec>"), ("deposit", Compact(U128), "BalanceOf<T>"),
                 ("version", FixedBytes(32), "[u8; 32]")], weight=_W_HEAVY)
def create_deployment(ctx: BlockContext, origin: Origin, groups: list, deposit: int, version: bytes) -> None:
    """Create a deployment funded by `deposit` (reserved as its escrow, at least MinDeposit);
    each group opens an order. `version` is the manifest hash."""
    who = ensure_signed(origin)
    _check_groups(groups)
    p = params(ctx.state)
    ensure(deposit >= p.min_deposit, Error.DepositBelowMinimum)
    _ensure_free(ctx, who, deposit)
    balances.reserve(ctx, who, deposit)
    now = ctx.block_number
    dep_id = _next_id(ctx, NextDeploymentId)
    dep = Deployment(who, bytes(version), now, deposit, 0, now, 0, [], [])
    ctx.deposit_event(DeploymentCreated(dep_id, who, deposit))
    for index, group in enumerate(groups):
        order_id = _next_id(ctx, NextOrderId)
        Orders.insert(ctx.state, order_id, Order(dep_id, index, group, now, None))
        dep.orders.append(order_id)
        ends = schedule(ctx, now + p.bidding_window, ("Auction", order_id))
        ctx.deposit_event(OrderCreated(order_id, dep_id, index, group.max_price, ends))
    Deployments.insert(ctx.state, dep_id, dep)


@pallet.call(4, [("deployment", U64, "DeploymentId"), ("version", FixedBytes(32), "[u8; 32]")], weight=_W)
def update_deployment(ctx: BlockContext, origin: Origin, deployment: int, version: bytes) -> None:
    """Change the deployment's version (manifest hash)."""
    who = ensure_signed(origin)
    dep = _deployment(ctx, deployment)
    ensure(dep.owner == who, Error.NotDeploymentOwner)
    ensure(dep.version != bytes(version), Error.VersionUnchanged)
    dep.version = bytes(version)
    Deployments.insert(ctx.state, deployment, dep)
    ctx.deposit_event(DeploymentUpdated(deployment, bytes(version)))


@pallet.call(5, [("deployment", U64, "DeploymentId")], weight=_W_HEAVY)
def close_deployment(ctx: BlockContext, origin: Origin, deployment: int) -> None:
    """Close: leases are paid up to this block and closed, open orders and their bids closed,
    what is left in escrow is refunded."""
    who = ensure_signed(origin)
    dep = _deployment(ctx, deployment)
    ensure(dep.owner == who, Error.NotDeploymentOwner)
    settle(ctx, dep, ctx.block_number)
    exhausted = dep.rate and dep.escrow < dep.rate
    lifecycle.close_deployment(ctx, deployment, dep, "InsufficientFunds" if exhausted else "TenantClosed")


@pallet.call(6, [("deployment", U64, "DeploymentId"), ("amount", Compact(U128), "BalanceOf<T>")], weight=_W)
def deposit_deployment(ctx: BlockContext, origin: Origin, deployment: int, amount: int) -> None:
    """Top up a deployment's escrow (any signer; the funds become the owner's escrow and are
    refunded to the owner). Only before the escrow runs dry."""
    who = ensure_signed(origin)
    ensure(amount > 0, Error.ZeroAmount)
    dep = _live_deployment(ctx, deployment)
    ensure(dep.escrow + amount <= U128_MAX, Error.Overflow)
    _ensure_free(ctx, who, amount)
    settle(ctx, dep, ctx.block_number)
    if who != dep.owner:
        balances.transfer(ctx, who, dep.owner, amount, keep_alive=True)
    balances.reserve(ctx, dep.owner, amount)
    dep.escrow += amount
    lifecycle.store(ctx, deployment, dep)
    ctx.deposit_event(EscrowDeposited(deployment, who, amount, dep.escrow))


# --- bids ------------------------------------------------------------------------------------
@pallet.call(7, [("order", U64, "OrderId"), ("price", Compact(U128), "BalanceOf<T>"),
                 ("deposit", Compact(U128), "BalanceOf<T>")], weight=_W)
def create_bid(ctx: BlockContext, origin: Origin, order: int, price: int, deposit: int) -> None:
    """Bid `price` rao per block on an open order, locking `deposit` (refunded when the bid
    closes, loses or its lease ends)."""
    who = ensure_signed(origin)
    provider = Providers.get(ctx.state, who)
    ensure(provider is not None, Error.ProviderNotRegistered)
    o = Orders.get(ctx.state, order)
    ensure(o is not None, Error.OrderNotFound)
    ensure(o.lease is None, Error.OrderNotOpen)
    dep = _live_deployment(ctx, o.deployment)
    ensure(dep.owner != who, Error.CannotBidOnOwnOrder)
    ensure(price > 0, Error.ZeroPrice)
    ensure(price <= o.spec.max_price, Error.PriceAboveMaximum)
    p = params(ctx.state)
    ensure(deposit >= p.bid_min_deposit, Error.BidDepositBelowMinimum)
    bid_ids = OrderBids.get(ctx.state, order)
    bids = [Bids.get(ctx.state, b) for b in bid_ids]
    ensure(all(b.provider != who for b in bids if b is not None), Error.DuplicateBid)
    ensure(len(bid_ids) < p.max_bids_per_order, Error.TooManyBids)
    ensure(attributes_satisfy(provider.attributes, o.spec.requirements), Error.AttributesMismatch)
    ensure(gpus_satisfy(provider.attributes, o.spec), Error.GpuMismatch)
    _ensure_free(ctx, who, deposit)
    balances.reserve(ctx, who, deposit)
    now = ctx.block_number
    bid_id = _next_id(ctx, NextBidId)
    Bids.insert(ctx.state, bid_id, Bid(order, who, price, deposit, now))
    OrderBids.insert(ctx.state, order, bid_ids + [bid_id])
    ProviderBids.insert(ctx.state, who, bid_id, order)
    provider.open_bids += 1
    Providers.insert(ctx.state, who, provider)
    if not bid_ids and now >= o.created_at + p.bidding_window:
        # the first bid after an empty window opens a new window (the order still expires at its timeout)
        schedule(ctx, now + p.bidding_window, ("Auction", order))
    ctx.deposit_event(BidCreated(bid_id, order, who, price, deposit))


@pallet.call(8, [("bid", U64, "BidId")], weight=_W)
def close_bid(ctx: BlockContext, origin: Origin, bid: int) -> None:
    """The provider withdraws its open bid; the deposit is refunded."""
    who = ensure_signed(origin)
    b = Bids.get(ctx.state, bid)
    ensure(b is not None, Error.BidNotFound)
    ensure(b.provider == who, Error.NotBidOwner)
    lifecycle.close_bid(ctx, bid, b, "ProviderClosed")


# --- leases ----------------------------------------------------------------------------------
@pallet.call(9, [("bid", U64, "BidId")], weight=_W_HEAVY)
def create_lease(ctx: BlockContext, origin: Origin, bid: int) -> None:
    """The tenant accepts an open bid (any one, at any time before the auction closes): the
    lease starts now, the other bids lose and are refunded."""
    who = ensure_signed(origin)
    b = Bids.get(ctx.state, bid)
    ensure(b is not None, Error.BidNotFound)
    order = Orders.get(ctx.state, b.order)
    ensure(order is not None, Error.OrderNotFound)
    ensure(order.lease is None, Error.OrderNotOpen)
    dep = _live_deployment(ctx, order.deployment)
    ensure(dep.owner == who, Error.NotDeploymentOwner)
    settle(ctx, dep, ctx.block_number)
    lifecycle.create_lease(ctx, bid, b, order, dep)
    lifecycle.store(ctx, order.deployment, dep)


@pallet.call(10, [("lease", U64, "LeaseId")], weight=_W_HEAVY)
def close_lease(ctx: BlockContext, origin: Origin, lease: int) -> None:
    """The tenant or the provider closes a lease; it is paid up to this block. A deployment
    left with no lease and no open order closes and refunds its escrow."""
    who = ensure_signed(origin)
    l = Leases.get(ctx.state, lease)
    ensure(l is not None, Error.LeaseNotFound)
    ensure(who in (l.tenant, l.provider), Error.NotLeaseParty)
    dep = _deployment(ctx, l.deployment)
    settle(ctx, dep, ctx.block_number)
    if dep.escrow < dep.rate:  # ran dry at an earlier block: close as the scheduler would have
        lifecycle.close_deployment(ctx, l.deployment, dep, "InsufficientFunds")
        return
    lifecycle.close_lease(ctx, lease, dep, "TenantClosed" if who == l.tenant else "ProviderClosed")
    lifecycle.store(ctx, l.deployment, dep)


@pallet.call(11, [("lease", U64, "LeaseId")], weight=_W)
def withdraw_lease(ctx: BlockContext, origin: Origin, lease: int) -> None:
    """The provider settles the lease's deployment now (payments land in its free balance)."""
    who = ensure_signed(origin)
    l = Leases.get(ctx.state, lease)
    ensure(l is not None, Error.LeaseNotFound)
    ensure(who == l.provider, Error.NotLeaseProvider)
    dep = _deployment(ctx, l.deployment)
    settle(ctx, dep, ctx.block_number)
    lifecycle.store(ctx, l.deployment, dep)


# --- parameters ------------------------------------------------------------------------------
def check_params(ctx: BlockContext, p: Params) -> None:
    ensure(p.max_bids_per_order >= 1 and p.bidding_window >= 1 and p.order_timeout >= p.bidding_window
           and p.settlement_period >= 1 and p.take_rate_bps <= BPS and p.max_tasks_per_block >= 1
           and p.provider_deposit >= balances.EXISTENTIAL_DEPOSIT and p.slash_fraction <= PERBILL, Error.InvalidParams)
    ensure(system.get_account(ctx, p.treasury).providers > 0, Error.TreasuryNotFound)


@pallet.call(12, [("params", ParamsType, "Params<T>")], weight=_W)
def set_params(ctx: BlockContext, origin: Origin, params: Params) -> None:
    """Root: set every market parameter. New windows and periods apply to what is scheduled next."""
    ensure_root(origin)
    check_params(ctx, params)
    ParamsStore.put(ctx.state, params)
    ctx.deposit_event(ParamsUpdated(params))
