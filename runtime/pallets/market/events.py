"""Market events: one for every state transition (providers' bots run off them)."""
from __future__ import annotations

import dataclasses

from primitives.scale import U32, U64, U128, Bytes
from primitives.types import AccountId

from runtime.pallets.market.pallet import pallet
from runtime.pallets.market.types import (BidCloseReason, DeploymentCloseReason, LeaseCloseReason,
                                          OrderCloseReason, ParamsType)


@pallet.event(0)
@dataclasses.dataclass(frozen=True)
class ProviderRegistered:
    """A provider registered (its deposit is reserved)."""
    provider: AccountId
    host_uri: Bytes


@pallet.event(1)
@dataclasses.dataclass(frozen=True)
class ProviderUpdated:
    """A provider changed its host URI or attributes."""
    provider: AccountId


@pallet.event(2)
@dataclasses.dataclass(frozen=True)
class ProviderDeregistered:
    """A provider deregistered; its deposit and open bids' deposits were refunded."""
    provider: AccountId


@pallet.event(3)
@dataclasses.dataclass(frozen=True)
class DeploymentCreated:
    """A deployment was created with an escrow deposit."""
    deployment: U64
    owner: AccountId
    deposit: U128


@pallet.event(4)
@dataclasses.dataclass(frozen=True)
class DeploymentUpdated:
    """A deployment's version (manifest hash) changed."""
    deployment: U64
    version: Bytes


@pallet.event(5)
@dataclasses.dataclass(frozen=True)
class DeploymentClosed:
    """A deployment closed; what was left in its escrow was refunded to the owner."""
    deployment: U64
    reason: DeploymentCloseReason
    refunded: U128


@pallet.event(6)
@dataclasses.dataclass(frozen=True)
class EscrowDeposited:
    """The escrow of a deployment was topped up (`escrow` is the new balance)."""
    deployment: U64
    depositor: AccountId
    amount: U128
    escrow: U128


@pallet.event(7)
@dataclasses.dataclass(frozen=True)
class OrderCreated:
    """An order opened for a group; it auto-matches at `bidding_ends` if it has bids."""
    order: U64
    deployment: U64
    group: U32
    max_price: U128
    bidding_ends: U32


@pallet.event(8)
@dataclasses.dataclass(frozen=True)
class OrderClosed:
    """An order closed."""
    order: U64
    reason: OrderCloseReason


@pallet.event(9)
@dataclasses.dataclass(frozen=True)
class BidCreated:
    """A provider bid on an order (price per block)."""
    bid: U64
    order: U64
    provider: AccountId
    price: U128
    deposit: U128


@pallet.event(10)
@dataclasses.dataclass(frozen=True)
class BidClosed:
    """A bid closed and its deposit was refunded."""
    bid: U64
    reason: BidCloseReason


@pallet.event(11)
@dataclasses.dataclass(frozen=True)
class LeaseCreated:
    """A bid won: the lease (same id as the bid) pays `price` per block from the deployment's escrow."""
    lease: U64
    order: U64
    deployment: U64
    tenant: AccountId
    provider: AccountId
    price: U128


@pallet.event(12)
@dataclasses.dataclass(frozen=True)
class LeasePaid:
    """A lease was settled up to `settled_to`: `amount` left escrow, `take` of it went to the treasury."""
    lease: U64
    provider: AccountId
    amount: U128
    take: U128
    settled_to: U32


@pallet.event(13)
@dataclasses.dataclass(frozen=True)
class LeaseClosed:
    """A lease closed at block `closed_on` (the last block paid); `paid` is what it paid in total."""
    lease: U64
    reason: LeaseCloseReason
    closed_on: U32
    paid: U128


@pallet.event(14)
@dataclasses.dataclass(frozen=True)
class ParamsUpdated:
    """Root changed the market parameters."""
    params: ParamsType


@pallet.event(15)
@dataclasses.dataclass(frozen=True)
class ProviderSlashed:
    """A provider whose consensus on the compute subnet stayed 0 lost `amount` of the lease's bid
    deposit to `to` (the treasury); the lease closes with reason ProviderUntrusted."""
    provider: AccountId
    lease: U64
    amount: U128
    to: AccountId
