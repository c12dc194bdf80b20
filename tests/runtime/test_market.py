"""Market calls and their errors, through the test externality (a failed call changes nothing)."""
from __future__ import annotations

import dataclasses

import pytest

from runtime.frame.dispatch import BadOrigin
from runtime.pallets import balances, market
from runtime.pallets.market import Error
from runtime.pallets.market import storage as S
from runtime.pallets.market.types import Attribute, GpuSpec, ResourceUnit, ResourceUnitType
from tests.runtime import helpers
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE
from tests.runtime.test_market_support import (GiB, TAO, VERSION, attrs, bid, check_invariants, deploy, free, group,
                                               market_events, market_ext, orders_of, register, reserved)


def test_genesis_sets_dev_params_and_endows_treasury():
    ext = helpers.TestExternalities.dev()
    p = S.params(ext.state)
    assert (p.bidding_window, p.order_timeout, p.settlement_period) == (3, 30, 5)
    assert p.treasury == market.TREASURY
    assert free(ext, market.TREASURY) == balances.EXISTENTIAL_DEPOSIT
    check_invariants(ext)


def test_genesis_rejects_unknown_keys():
    from runtime.pallets.market.genesis import params_from_config

    with pytest.raises(ValueError):
        params_from_config({"bogus": 1})
    assert params_from_config({"biddingWindow": 7}).bidding_window == 7


# --- providers --------------------------------------------------------------------------------
def test_register_update_deregister_provider():
    ext = market_ext()
    before = free(ext, BOB)
    register(ext, BOB, ("region", "eu"), ("gpu", "nvidia/h100"))
    provider = S.Providers.get(ext.state, BOB)
    assert provider.host_uri == b"https://provider.example" and provider.deposit == TAO
    assert free(ext, BOB) == before - TAO and reserved(ext, BOB) == TAO
    assert market.ProviderRegistered(BOB, b"https://provider.example") in ext.events()
    ext.call(BOB, "Market", "update_provider", host_uri=b"https://new", attributes=attrs(("tier", "gold")))
    assert S.Providers.get(ext.state, BOB).attributes == attrs(("tier", "gold"))
    ext.call(BOB, "Market", "deregister_provider")
    assert not S.Providers.contains(ext.state, BOB)
    assert free(ext, BOB) == before and reserved(ext, BOB) == 0
    check_invariants(ext)


def test_provider_errors_are_noops():
    ext = market_ext()
    register(ext, BOB)
    with ext.assert_noop(Error.ProviderAlreadyRegistered):
        register(ext, BOB)
    with ext.assert_noop(Error.HostUriInvalid):
        ext.call(CHARLIE, "Market", "register_provider", host_uri=b"", attributes=[])
    with ext.assert_noop(Error.HostUriInvalid):
        ext.call(CHARLIE, "Market", "register_provider", host_uri=b"x" * 257, attributes=[])
    with ext.assert_noop(Error.TooManyAttributes):
        ext.call(CHARLIE, "Market", "register_provider", host_uri=b"h",
                 attributes=[Attribute(b"k%d" % i, b"v") for i in range(33)])
    with ext.assert_noop(Error.AttributeInvalid):
        ext.call(CHARLIE, "Market", "register_provider", host_uri=b"h", attributes=[Attribute(b"", b"v")])
    with ext.assert_noop(Error.AttributeInvalid):
        ext.call(BOB, "Market", "update_provider", host_uri=b"h", attributes=[Attribute(b"k", b"v" * 129)])
    with ext.assert_noop(Error.ProviderNotRegistered):
        ext.call(CHARLIE, "Market", "update_provider", host_uri=b"h", attributes=[])
    with ext.assert_noop(Error.ProviderNotRegistered):
        ext.call(CHARLIE, "Market", "deregister_provider")
    with ext.assert_noop(BadOrigin):
        ext.call(None, "Market", "register_provider", host_uri=b"h", attributes=[])
    poor = FERDIE
    ext.call(None, "Balances", "force_set_balance", who=("Id", poor), new_free=TAO // 2)
    with ext.assert_noop(Error.InsufficientBalance):
        register(ext, poor)


def test_deregister_refuses_active_lease_and_closes_open_bids():
    ext = market_ext()
    register(ext, BOB)
    dep = deploy(ext, ALICE, [group("a"), group("b")])
    o1, o2 = orders_of(ext, dep)
    b1 = bid(ext, BOB, o1, 10**7)
    b2 = bid(ext, BOB, o2, 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=b1)
    with ext.assert_noop(Error.ProviderHasActiveLeases):
        ext.call(BOB, "Market", "deregister_provider")
    ext.call(ALICE, "Market", "close_lease", lease=b1)
    ext.call(BOB, "Market", "deregister_provider")
    assert market.BidClosed(b2, "ProviderDeregistered") in ext.events()
    assert S.OrderBids.get(ext.state, o2) == [] and not S.Bids.contains(ext.state, b2)
    assert reserved(ext, BOB) == 0
    check_invariants(ext)


# --- deployments ------------------------------------------------------------------------------
def test_create_deployment_reserves_escrow_and_opens_orders():
    ext = market_ext()
    before = free(ext, ALICE)
    dep_id = deploy(ext, ALICE, [group("a"), group("b", 5 * 10**7)], deposit=3 * TAO)
    dep = S.Deployments.get(ext.state, dep_id)
    assert dep.escrow == 3 * TAO and dep.owner == ALICE and len(dep.orders) == 2
    assert free(ext, ALICE) == before - 3 * TAO and reserved(ext, ALICE) == 3 * TAO
    created = market_events(ext, market.OrderCreated)
    assert [(e.group, e.max_price, e.bidding_ends) for e in created] == [(0, 10**8, 4), (1, 5 * 10**7, 4)]
    check_invariants(ext)


@pytest.mark.parametrize("mutate,error", [
    (lambda g: [], Error.NoGroups),
    (lambda g: [dataclasses.replace(g, name=f"g{i}".encode()) for i in range(9)], Error.TooManyGroups),
    (lambda g: [dataclasses.replace(g, name=b"")], Error.GroupNameInvalid),
    (lambda g: [g, g], Error.DuplicateGroupName),
    (lambda g: [dataclasses.replace(g, resources=[])], Error.NoResources),
    (lambda g: [dataclasses.replace(g, resources=g.resources * 9)], Error.TooManyResources),
    (lambda g: [group(cpu=5)], Error.CpuOutOfRange),
    (lambda g: [group(cpu=384_001)], Error.CpuOutOfRange),
    (lambda g: [group(mem=1000)], Error.MemoryOutOfRange),
    (lambda g: [group(storage=33 << 40)], Error.StorageOutOfRange),
    (lambda g: [group(replicas=0)], Error.ReplicasOutOfRange),
    (lambda g: [group(replicas=51)], Error.ReplicasOutOfRange),
    (lambda g: [group(gpus=25, vendor="nvidia", model="*")], Error.GpuUnitsOutOfRange),
    (lambda g: [group(gpus=1)], Error.GpuAttributesMissing),
    (lambda g: [group(gpus=1, vendor="nvidia")], Error.GpuAttributesMissing),
    (lambda g: [group(max_price=0)], Error.ZeroMaxPrice),
    (lambda g: [group(requirements=[("", "x")])], Error.AttributeInvalid),
])
def test_create_deployment_validation(mutate, error):
    ext = market_ext()
    with ext.assert_noop(error):
        ext.call(ALICE, "Market", "create_deployment", groups=mutate(group()), deposit=TAO, version=VERSION)


def test_create_deployment_deposit_checks():
    ext = market_ext()
    with ext.assert_noop(Error.DepositBelowMinimum):
        deploy(ext, ALICE, deposit=TAO - 1)
    ext.call(None, "Balances", "force_set_balance", who=("Id", FERDIE), new_free=TAO)
    with ext.assert_noop(Error.InsufficientBalance):
        deploy(ext, FERDIE, deposit=2 * TAO)


def test_update_deployment():
    ext = market_ext()
    dep = deploy(ext, ALICE)
    with ext.assert_noop(Error.VersionUnchanged):
        ext.call(ALICE, "Market", "update_deployment", deployment=dep, version=VERSION)
    with ext.assert_noop(Error.NotDeploymentOwner):
        ext.call(BOB, "Market", "update_deployment", deployment=dep, version=b"\2" * 32)
    with ext.assert_noop(Error.DeploymentNotFound):
        ext.call(ALICE, "Market", "update_deployment", deployment=99, version=b"\2" * 32)
    ext.call(ALICE, "Market", "update_deployment", deployment=dep, version=b"\2" * 32)
    assert S.Deployments.get(ext.state, dep).version == b"\2" * 32
    assert market.DeploymentUpdated(dep, b"\2" * 32) in ext.events()


def test_close_deployment_refunds_everything_and_closes_bids():
    ext = market_ext()
    register(ext, BOB)
    alice, bob = free(ext, ALICE), free(ext, BOB)
    dep = deploy(ext, ALICE, deposit=2 * TAO)
    (order,) = orders_of(ext, dep)
    b = bid(ext, BOB, order, 10**7)
    with ext.assert_noop(Error.NotDeploymentOwner):
        ext.call(BOB, "Market", "close_deployment", deployment=dep)
    ext.call(ALICE, "Market", "close_deployment", deployment=dep)
    assert market.DeploymentClosed(dep, "TenantClosed", 2 * TAO) in ext.events()
    assert market.BidClosed(b, "OrderClosed") in ext.events()
    assert market.OrderClosed(order, "DeploymentClosed") in ext.events()
    assert free(ext, ALICE) == alice and free(ext, BOB) == bob
    assert not S.Orders.contains(ext.state, order) and not S.Deployments.contains(ext.state, dep)
    with ext.assert_noop(Error.DeploymentNotFound):
        ext.call(ALICE, "Market", "close_deployment", deployment=dep)
    check_invariants(ext)


def test_deposit_by_owner_and_by_third_party():
    ext = market_ext()
    dep = deploy(ext, ALICE)
    with ext.assert_noop(Error.ZeroAmount):
        ext.call(ALICE, "Market", "deposit_deployment", deployment=dep, amount=0)
    with ext.assert_noop(Error.DeploymentNotFound):
        ext.call(ALICE, "Market", "deposit_deployment", deployment=7, amount=1)
    ext.call(ALICE, "Market", "deposit_deployment", deployment=dep, amount=TAO)
    eve, alice = free(ext, EVE), free(ext, ALICE)
    ext.call(EVE, "Market", "deposit_deployment", deployment=dep, amount=TAO)
    assert market.EscrowDeposited(dep, EVE, TAO, 3 * TAO) in ext.events()
    assert free(ext, EVE) == eve - TAO and free(ext, ALICE) == alice and reserved(ext, ALICE) == 3 * TAO
    ext.call(None, "Balances", "force_set_balance", who=("Id", FERDIE), new_free=TAO)
    with ext.assert_noop(Error.InsufficientBalance):
        ext.call(FERDIE, "Market", "deposit_deployment", deployment=dep, amount=2 * TAO)
    check_invariants(ext)


# --- bids -------------------------------------------------------------------------------------
def test_bid_checks_in_order():
    ext = market_ext(max_bids_per_order=2)
    for who in (BOB, CHARLIE, DAVE):
        register(ext, who)
    register(ext, EVE, ("region", "us"))
    dep = deploy(ext, ALICE, [group("web", 10**8), group("gpu", 10**8, gpus=2, vendor="nvidia", model="h100")])
    web, gpu = orders_of(ext, dep)
    with ext.assert_noop(Error.ProviderNotRegistered):
        bid(ext, FERDIE, web, 10**7)
    with ext.assert_noop(Error.OrderNotFound):
        bid(ext, BOB, 999, 10**7)
    register(ext, ALICE)
    with ext.assert_noop(Error.CannotBidOnOwnOrder):
        bid(ext, ALICE, web, 10**7)
    with ext.assert_noop(Error.ZeroPrice):
        bid(ext, BOB, web, 0)
    with ext.assert_noop(Error.PriceAboveMaximum):
        bid(ext, BOB, web, 10**8 + 1)
    with ext.assert_noop(Error.BidDepositBelowMinimum):
        bid(ext, BOB, web, 10**7, deposit=TAO // 10 - 1)
    with ext.assert_noop(Error.AttributesMismatch):
        bid(ext, EVE, web, 10**7)
    with ext.assert_noop(Error.GpuMismatch):
        bid(ext, BOB, gpu, 10**7)
    b1 = bid(ext, BOB, web, 10**8)  # at the ceiling is fine
    with ext.assert_noop(Error.DuplicateBid):
        bid(ext, BOB, web, 9 * 10**7)
    bid(ext, CHARLIE, web, 9 * 10**7)
    with ext.assert_noop(Error.TooManyBids):
        bid(ext, DAVE, web, 8 * 10**7)
    # only open bids count: after a close there is room again, and the provider may bid anew
    ext.call(BOB, "Market", "close_bid", bid=b1)
    bid(ext, DAVE, web, 8 * 10**7)
    with ext.assert_noop(Error.TooManyBids):
        bid(ext, BOB, web, 7 * 10**7)
    ext.call(DAVE, "Market", "close_bid", bid=S.NextBidId.get(ext.state) - 1)
    ext.call(None, "Balances", "force_set_balance", who=("Id", DAVE), new_free=TAO // 20)
    with ext.assert_noop(Error.InsufficientBalance):
        bid(ext, DAVE, web, 7 * 10**7)
    check_invariants(ext)


def test_gpu_and_attribute_matching():
    from runtime.pallets.market.calls import attributes_satisfy, gpus_satisfy

    offered = attrs(("region", "eu"), ("tier", "gold"), ("gpu", "nvidia/h100"), ("gpu", "amd/mi300"))
    assert attributes_satisfy(offered, attrs(("region", "eu")))
    assert attributes_satisfy(offered, attrs(("region", "*"), ("tier", "gold")))
    assert not attributes_satisfy(offered, attrs(("region", "us")))
    assert not attributes_satisfy(offered, attrs(("zone", "*")))
    assert gpus_satisfy(offered, group(gpus=1, vendor="nvidia", model="h100"))
    assert gpus_satisfy(offered, group(gpus=1, vendor="amd", model="*"))
    assert gpus_satisfy(offered, group(gpus=1, vendor="*", model="mi300"))
    assert not gpus_satisfy(offered, group(gpus=1, vendor="nvidia", model="mi300"))  # not the same card
    assert not gpus_satisfy(attrs(("region", "eu")), group(gpus=1, vendor="*", model="*"))
    assert gpus_satisfy(attrs(("region", "eu")), group())


def test_bid_on_leased_order_and_close_bid_errors():
    ext = market_ext()
    register(ext, BOB)
    register(ext, CHARLIE)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    b = bid(ext, BOB, order, 10**7)
    with ext.assert_noop(Error.NotBidOwner):
        ext.call(CHARLIE, "Market", "close_bid", bid=b)
    with ext.assert_noop(Error.BidNotFound):
        ext.call(BOB, "Market", "close_bid", bid=b + 5)
    ext.call(ALICE, "Market", "create_lease", bid=b)
    with ext.assert_noop(Error.OrderNotOpen):
        bid(ext, CHARLIE, order, 10**7)
    with ext.assert_noop(Error.BidNotFound):  # a winning bid is a lease now
        ext.call(BOB, "Market", "close_bid", bid=b)


# --- leases -----------------------------------------------------------------------------------
def test_tenant_accepts_any_bid_losers_refunded_same_block():
    ext = market_ext()
    register(ext, BOB)
    register(ext, CHARLIE)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    cheap = bid(ext, BOB, order, 10**7)
    dear = bid(ext, CHARLIE, order, 2 * 10**7)
    charlie = free(ext, CHARLIE)
    with ext.assert_noop(Error.NotDeploymentOwner):
        ext.call(BOB, "Market", "create_lease", bid=dear)
    ext.call(ALICE, "Market", "create_lease", bid=dear)  # not the cheapest: the tenant's choice
    assert market.LeaseCreated(dear, order, 1, ALICE, CHARLIE, 2 * 10**7) in ext.events()
    assert market.BidClosed(cheap, "Lost") in ext.events()
    assert reserved(ext, BOB) == TAO and free(ext, CHARLIE) == charlie  # Bob's bid deposit is back
    assert reserved(ext, CHARLIE) == TAO + TAO // 10  # the winner's deposit backs the lease
    assert S.Providers.get(ext.state, CHARLIE).active_leases == 1
    check_invariants(ext)


def test_create_lease_needs_escrow_for_one_block():
    ext = market_ext()
    register(ext, BOB)
    (order,) = orders_of(ext, deploy(ext, ALICE, [group(max_price=2 * TAO)], deposit=TAO))
    b = bid(ext, BOB, order, TAO + 1)
    with ext.assert_noop(Error.InsufficientEscrow):
        ext.call(ALICE, "Market", "create_lease", bid=b)
    with ext.assert_noop(Error.BidNotFound):
        ext.call(ALICE, "Market", "create_lease", bid=b + 1)


def test_close_lease_by_either_party_and_errors():
    ext = market_ext()
    register(ext, BOB)
    dep = deploy(ext, ALICE, [group("a"), group("b")], deposit=5 * TAO)
    o1, o2 = orders_of(ext, dep)
    l1 = bid(ext, BOB, o1, 10**7)
    l2 = bid(ext, BOB, o2, 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=l1)
    ext.call(ALICE, "Market", "create_lease", bid=l2)
    ext.next_block()
    with ext.assert_noop(Error.NotLeaseParty):
        ext.call(CHARLIE, "Market", "close_lease", lease=l1)
    with ext.assert_noop(Error.LeaseNotFound):
        ext.call(ALICE, "Market", "close_lease", lease=99)
    ext.call(BOB, "Market", "close_lease", lease=l1)
    assert market.LeaseClosed(l1, "ProviderClosed", ext.number, 10**7) in ext.events()
    assert S.Deployments.contains(ext.state, dep)  # the other group still runs
    ext.next_block()
    ext.call(ALICE, "Market", "close_lease", lease=l2)
    assert market.LeaseClosed(l2, "TenantClosed", ext.number, 2 * 10**7) in ext.events()
    # nothing left: the deployment finishes and refunds
    assert market.DeploymentClosed(dep, "Finished", 5 * TAO - 3 * 10**7) in ext.events()
    assert reserved(ext, ALICE) == 0
    check_invariants(ext)


def test_withdraw_lease():
    ext = market_ext()
    register(ext, BOB)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    lease = bid(ext, BOB, order, 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=lease)
    ext.run_to_block(ext.number + 3)
    with ext.assert_noop(Error.NotLeaseProvider):
        ext.call(ALICE, "Market", "withdraw_lease", lease=lease)
    with ext.assert_noop(Error.LeaseNotFound):
        ext.call(BOB, "Market", "withdraw_lease", lease=lease + 1)
    bob = free(ext, BOB)
    ext.call(BOB, "Market", "withdraw_lease", lease=lease)
    assert free(ext, BOB) == bob + 3 * 10**7 * 9 // 10  # 10% take
    assert market.LeasePaid(lease, BOB, 3 * 10**7, 3 * 10**6, ext.number) in ext.events()
    ext.call(BOB, "Market", "withdraw_lease", lease=lease)  # nothing more accrued this block
    assert free(ext, BOB) == bob + 3 * 10**7 * 9 // 10
    check_invariants(ext)


# --- parameters -------------------------------------------------------------------------------
def test_set_params_root_only_and_validated():
    ext = market_ext()
    p = S.params(ext.state)
    with ext.assert_noop(BadOrigin):
        ext.call(ALICE, "Market", "set_params", params=p)
    for bad in (dict(bidding_window=0), dict(order_timeout=2), dict(settlement_period=0),
                dict(take_rate_bps=10_001), dict(max_bids_per_order=0), dict(max_tasks_per_block=0),
                dict(provider_deposit=1)):
        with ext.assert_noop(Error.InvalidParams):
            ext.call(None, "Market", "set_params", params=dataclasses.replace(p, **bad))
    with ext.assert_noop(Error.TreasuryNotFound):
        ext.call(None, "Market", "set_params", params=dataclasses.replace(p, treasury=b"\x09" * 32))
    ext.call(None, "Market", "set_params", params=dataclasses.replace(p, bidding_window=7, treasury=BOB))
    assert S.params(ext.state).bidding_window == 7 and S.params(ext.state).treasury == BOB


def test_call_indices_and_error_indices_are_stable():
    calls = {name: spec.index for name, spec in market.pallet.calls.items()}
    assert calls == {"register_provider": 0, "update_provider": 1, "deregister_provider": 2, "create_deployment": 3,
                     "update_deployment": 4, "close_deployment": 5, "deposit_deployment": 6, "create_bid": 7,
                     "close_bid": 8, "create_lease": 9, "close_lease": 10, "withdraw_lease": 11, "set_params": 12}
    assert Error.ProviderAlreadyRegistered == 0 and Error.Overflow == 44
    docs = Error.__docs__
    assert all(e.name in docs for e in Error), "every error is documented"
    # the SCALE layout of a resource unit is part of the metadata clients decode with (field order, widths):
    # u32 cpu_millis, u64 memory, u64 storage, GpuSpec{u32 units, Vec<u8> vendor, Vec<u8> model}, u32 replicas
    unit = ResourceUnit(10, GiB, 0, GpuSpec(2, b"nvidia", b"*"), 1)
    encoded = ResourceUnitType.encode(unit)
    assert encoded.hex() == ("0a000000" "0000004000000000" "0000000000000000"
                             "02000000" "18" + b"nvidia".hex() + "04" + b"*".hex() + "01000000")
    assert ResourceUnitType.decode(encoded) == unit
