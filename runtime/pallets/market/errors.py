"""Market errors. Append-only: a variant's index is permanent (it is in metadata and in receipts)."""
from __future__ import annotations

from runtime.frame.dispatch import PalletError

from runtime.pallets.market.pallet import pallet


@pallet.errors
class Error(PalletError):
    ProviderAlreadyRegistered = 0
    ProviderNotRegistered = 1
    HostUriInvalid = 2
    TooManyAttributes = 3
    AttributeInvalid = 4
    ProviderHasActiveLeases = 5
    NoGroups = 6
    TooManyGroups = 7
    GroupNameInvalid = 8
    DuplicateGroupName = 9
    NoResources = 10
    TooManyResources = 11
    CpuOutOfRange = 12
    MemoryOutOfRange = 13
    StorageOutOfRange = 14
    ReplicasOutOfRange = 15
    GpuUnitsOutOfRange = 16
    GpuAttributesMissing = 17
    ZeroMaxPrice = 18
    DepositBelowMinimum = 19
    InsufficientBalance = 20
    DeploymentNotFound = 21
    NotDeploymentOwner = 22
    VersionUnchanged = 23
    ZeroAmount = 24
    EscrowExhausted = 25
    OrderNotFound = 26
    OrderNotOpen = 27
    CannotBidOnOwnOrder = 28
    ZeroPrice = 29
    PriceAboveMaximum = 30
    BidDepositBelowMinimum = 31
    DuplicateBid = 32
    TooManyBids = 33
    AttributesMismatch = 34
    GpuMismatch = 35
    BidNotFound = 36
    NotBidOwner = 37
    InsufficientEscrow = 38
    LeaseNotFound = 39
    NotLeaseParty = 40
    NotLeaseProvider = 41
    InvalidParams = 42
    TreasuryNotFound = 43
    Overflow = 44

    __docs__ = {
        "ProviderAlreadyRegistered": "The signer is already a registered provider.",
        "ProviderNotRegistered": "The signer (or the bid's provider) is not a registered provider.",
        "HostUriInvalid": "The host URI is empty or longer than MaxHostUriLen.",
        "TooManyAttributes": "More attributes than MaxAttributes.",
        "AttributeInvalid": "An attribute key or value is empty or too long.",
        "ProviderHasActiveLeases": "A provider with active leases cannot deregister; close them first.",
        "NoGroups": "A deployment needs at least one group.",
        "TooManyGroups": "More groups than MaxGroups.",
        "GroupNameInvalid": "A group name is empty or longer than MaxGroupNameLen.",
        "DuplicateGroupName": "Two groups of one deployment have the same name.",
        "NoResources": "A group needs at least one resource unit.",
        "TooManyResources": "More resource units in a group than MaxResources.",
        "CpuOutOfRange": "CPU per replica must be within MinCpuMillis..=MaxCpuMillis millicores.",
        "MemoryOutOfRange": "Memory per replica must be within MinMemoryBytes..=MaxMemoryBytes.",
        "StorageOutOfRange": "Storage per replica must be at most MaxStorageBytes.",
        "ReplicasOutOfRange": "Replicas must be within 1..=MaxReplicas.",
        "GpuUnitsOutOfRange": "GPUs per replica must be at most MaxGpuUnits.",
        "GpuAttributesMissing": "A resource with GPUs must name a vendor and a model (`*` for any model).",
        "ZeroMaxPrice": "A group's max price per block must be positive.",
        "DepositBelowMinimum": "The escrow deposit is below the MinDeposit parameter.",
        "InsufficientBalance": "The signer's free balance cannot cover the deposit.",
        "DeploymentNotFound": "No active deployment with this id.",
        "NotDeploymentOwner": "Only the deployment's owner (tenant) may do this.",
        "VersionUnchanged": "The new deployment version equals the current one.",
        "ZeroAmount": "The amount must be positive.",
        "EscrowExhausted": "The deployment's escrow ran dry at an earlier block; it is being closed.",
        "OrderNotFound": "No open or active order with this id.",
        "OrderNotOpen": "The order already has a lease: it takes no bids.",
        "CannotBidOnOwnOrder": "A provider cannot bid on its own deployment's order.",
        "ZeroPrice": "A bid's price per block must be positive.",
        "PriceAboveMaximum": "The bid's price is above the group's max price per block.",
        "BidDepositBelowMinimum": "The bid deposit is below the BidMinDeposit parameter.",
        "DuplicateBid": "This provider already has an open bid on this order.",
        "TooManyBids": "The order already has MaxBidsPerOrder open bids.",
        "AttributesMismatch": "The provider's attributes do not satisfy the group's requirements.",
        "GpuMismatch": "The provider does not offer the GPU vendor/model the group requires.",
        "BidNotFound": "No open bid with this id.",
        "NotBidOwner": "Only the provider that placed the bid may close it.",
        "InsufficientEscrow": "The escrow cannot pay one block of the deployment's leases at this price.",
        "LeaseNotFound": "No active lease with this id.",
        "NotLeaseParty": "Only the lease's tenant or provider may close it.",
        "NotLeaseProvider": "Only the lease's provider may withdraw.",
        "InvalidParams": "Parameters out of range: windows/periods/limits >= 1, order_timeout >= "
                         "bidding_window, take_rate_bps <= 10000, provider_deposit >= ExistentialDeposit, "
                         "slash_fraction <= 1_000_000_000 (Perbill).",
        "TreasuryNotFound": "The treasury account does not exist (it must hold at least ExistentialDeposit).",
        "Overflow": "An amount would overflow u128.",
    }
