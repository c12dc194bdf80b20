"""On-chain types of the market pallet (values are dataclasses, codecs are SCALE `Struct`s)."""
from __future__ import annotations

import dataclasses

from primitives.scale import U16, U32, U64, U128, Bytes, Enum, FixedBytes, Option, Variant, Vec, struct_of
from primitives.types import AccountId

P = "pallet_market::types::"


@dataclasses.dataclass
class Attribute:
    key: Bytes
    value: Bytes


AttributeType = struct_of(Attribute, P + "Attribute")


@dataclasses.dataclass
class GpuSpec:
    """`units` GPUs per replica; with units > 0 `vendor` is required, `model` may be `*`."""
    units: U32
    vendor: Bytes
    model: Bytes


GpuSpecType = struct_of(GpuSpec, P + "GpuSpec")


@dataclasses.dataclass
class ResourceUnit:
    cpu_millis: U32
    memory_bytes: U64
    storage_bytes: U64
    gpu: GpuSpecType
    replicas: U32


ResourceUnitType = struct_of(ResourceUnit, P + "ResourceUnit")


@dataclasses.dataclass
class GroupSpec:
    """A group of resources leased from one provider; `max_price` is rao per block for the whole group."""
    name: Bytes
    requirements: Vec(AttributeType)
    resources: Vec(ResourceUnitType)
    max_price: U128


GroupSpecType = struct_of(GroupSpec, P + "GroupSpec")


@dataclasses.dataclass
class Provider:
    host_uri: Bytes
    attributes: Vec(AttributeType)
    deposit: U128
    registered_at: U32
    open_bids: U32
    active_leases: U32


ProviderType = struct_of(Provider, P + "Provider")


@dataclasses.dataclass
class Deployment:
    """A tenant's deployment and its escrow.

    `escrow` is the part of the owner's reserved balance that belongs to this deployment;
    it has paid every active lease up to `settled_at`. `rate` is the sum of the active
    leases' prices. `next_due` is the block at which the scheduler settles it next
    (0: nothing scheduled).
    """
    owner: AccountId
    version: FixedBytes(32)
    created_at: U32
    escrow: U128
    rate: U128
    settled_at: U32
    next_due: U32
    orders: Vec(U64)
    leases: Vec(U64)


DeploymentType = struct_of(Deployment, P + "Deployment")


@dataclasses.dataclass
class Order:
    """One per group. Open while `lease` is None; closed orders are removed."""
    deployment: U64
    group: U32
    spec: GroupSpecType
    created_at: U32
    lease: Option(U64)


OrderType = struct_of(Order, P + "Order")


@dataclasses.dataclass
class Bid:
    """An open bid. A winning bid becomes the lease of the same id; closed bids are removed."""
    order: U64
    provider: AccountId
    price: U128
    deposit: U128
    created_at: U32


BidType = struct_of(Bid, P + "Bid")


@dataclasses.dataclass
class Lease:
    """An active lease (id = the winning bid's id). `deposit` is the bid collateral, held until it closes."""
    order: U64
    deployment: U64
    tenant: AccountId
    provider: AccountId
    price: U128
    deposit: U128
    created_at: U32
    paid: U128


LeaseType = struct_of(Lease, P + "Lease")


@dataclasses.dataclass
class Params:
    """Tunables, set from genesis config and by Root (`set_params`)."""
    min_deposit: U128
    bid_min_deposit: U128
    provider_deposit: U128
    max_bids_per_order: U32
    bidding_window: U32
    order_timeout: U32
    settlement_period: U32
    take_rate_bps: U32
    treasury: AccountId
    max_tasks_per_block: U32
    # Trust in the compute subnet (`trust.py`): with `compute_netuid` set, auto-match only picks
    # providers whose Yuma consensus there is >= `min_consensus` (u16 proportion), and a provider
    # whose consensus stays 0 for `zero_consensus_epochs` epochs (0: never) loses its leases and
    # `slash_fraction` (Perbill) of their bid deposits.
    compute_netuid: Option(U16) = None
    min_consensus: U16 = 0
    zero_consensus_epochs: U32 = 0
    slash_fraction: U32 = 0


ParamsType = struct_of(Params, P + "Params", type_names={"compute_netuid": "Option<NetUid>", "min_consensus": "u16", "slash_fraction": "Perbill"})

# Scheduled work, keyed by block: ("Settle", deployment_id) or ("Auction", order_id).
TaskType = Enum(P + "Task", [Variant("Settle", 0, ((None, U64, "DeploymentId"),)),
                             Variant("Auction", 1, ((None, U64, "OrderId"),))])

LeaseCloseReason = Enum(P + "LeaseCloseReason", [
    Variant("TenantClosed", 0), Variant("ProviderClosed", 1), Variant("InsufficientFunds", 2),
    Variant("DeploymentClosed", 3), Variant("ProviderUntrusted", 4)])
OrderCloseReason = Enum(P + "OrderCloseReason", [
    Variant("Expired", 0), Variant("DeploymentClosed", 1), Variant("LeaseClosed", 2),
    Variant("InsufficientFunds", 3)])
BidCloseReason = Enum(P + "BidCloseReason", [
    Variant("ProviderClosed", 0), Variant("Lost", 1), Variant("OrderClosed", 2),
    Variant("ProviderDeregistered", 3)])
DeploymentCloseReason = Enum(P + "DeploymentCloseReason", [
    Variant("TenantClosed", 0), Variant("InsufficientFunds", 1), Variant("Finished", 2)])
