"""The automatic auction: lowest price after the bidding window, deterministic ties,
losers refunded in the same block, orders without bids expire and refund."""
from __future__ import annotations

from runtime.pallets import market
from runtime.pallets.market import storage as S
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE
from tests.runtime.test_market_support import (TAO, bid, check_invariants, deploy, free, group, market_events,
                                               market_ext, orders_of, register, reserved)


def test_lowest_bid_wins_when_the_window_ends_and_losers_are_refunded_that_block():
    ext = market_ext(bidding_window=3)
    for who in (BOB, CHARLIE, DAVE):
        register(ext, who)
    start = ext.number
    (order,) = orders_of(ext, deploy(ext, ALICE))
    bids = {BOB: bid(ext, BOB, order, 5 * 10**7), CHARLIE: bid(ext, CHARLIE, order, 3 * 10**7)}
    ext.next_block()
    bids[DAVE] = bid(ext, DAVE, order, 4 * 10**7)
    balances_before = {who: free(ext, who) for who in bids}
    ext.run_to_block(start + 2)
    assert S.Orders.get(ext.state, order).lease is None  # still bidding
    ext.next_block()  # start + 3: the window ends
    assert ext.number == start + 3
    assert market.LeaseCreated(bids[CHARLIE], order, 1, ALICE, CHARLIE, 3 * 10**7) in ext.events()
    assert {e.bid for e in market_events(ext, market.BidClosed)} == {bids[BOB], bids[DAVE]}
    assert all(e.reason == "Lost" for e in market_events(ext, market.BidClosed))
    for who in (BOB, DAVE):  # deposits back in the same block
        assert free(ext, who) == balances_before[who] + TAO // 10 and reserved(ext, who) == TAO
    assert S.Orders.get(ext.state, order).lease == bids[CHARLIE]
    assert S.OrderBids.get(ext.state, order) == []
    check_invariants(ext)


def test_ties_go_to_the_earliest_bid():
    ext = market_ext(bidding_window=2)
    for who in (BOB, CHARLIE, DAVE):
        register(ext, who)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    bid(ext, DAVE, order, 4 * 10**7)
    first = bid(ext, CHARLIE, order, 3 * 10**7)
    bid(ext, BOB, order, 3 * 10**7)
    ext.run_to_block(ext.number + 2)
    (created,) = market_events(ext, market.LeaseCreated)
    assert created.lease == first and created.provider == CHARLIE


def test_manual_accept_before_the_window_ends_wins():
    ext = market_ext(bidding_window=5)
    register(ext, BOB)
    register(ext, CHARLIE)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    dear = bid(ext, BOB, order, 9 * 10**7)
    bid(ext, CHARLIE, order, 10**7)
    ext.next_block()
    ext.call(ALICE, "Market", "create_lease", bid=dear)
    ext.run_to_block(ext.number + 6)  # the auction task finds the order leased and does nothing
    assert S.Leases.get(ext.state, dear).provider == BOB
    check_invariants(ext)


def test_order_without_bids_expires_at_its_timeout_and_refunds():
    ext = market_ext(bidding_window=3, order_timeout=8)
    alice = free(ext, ALICE)
    start = ext.number
    dep = deploy(ext, ALICE, deposit=2 * TAO)
    (order,) = orders_of(ext, dep)
    ext.run_to_block(start + 7)
    assert S.Orders.contains(ext.state, order)
    ext.next_block()
    assert market.OrderClosed(order, "Expired") in ext.events()
    assert market.DeploymentClosed(dep, "Finished", 2 * TAO) in ext.events()
    assert free(ext, ALICE) == alice and reserved(ext, ALICE) == 0
    check_invariants(ext)


def test_one_group_expires_the_other_keeps_its_lease():
    ext = market_ext(bidding_window=2, order_timeout=4)
    register(ext, BOB)
    dep = deploy(ext, ALICE, [group("a"), group("b")])
    a, b = orders_of(ext, dep)
    lease = bid(ext, BOB, a, 10**7)
    ext.run_to_block(ext.number + 4)
    assert S.Leases.contains(ext.state, lease)
    assert not S.Orders.contains(ext.state, b)
    assert S.Deployments.get(ext.state, dep).orders == [a]
    check_invariants(ext)


def test_a_late_first_bid_opens_a_new_window():
    ext = market_ext(bidding_window=3, order_timeout=20)
    register(ext, BOB)
    register(ext, CHARLIE)
    start = ext.number
    (order,) = orders_of(ext, deploy(ext, ALICE))
    ext.run_to_block(start + 5)  # the window passed without bids
    bid(ext, BOB, order, 5 * 10**7)
    ext.next_block()
    cheaper = bid(ext, CHARLIE, order, 4 * 10**7)
    ext.run_to_block(start + 7)
    assert S.Orders.get(ext.state, order).lease is None
    ext.next_block()  # start + 8 = late bid + window
    assert S.Orders.get(ext.state, order).lease == cheaper
    check_invariants(ext)


def test_auction_with_too_little_escrow_closes_the_order():
    ext = market_ext(bidding_window=2)
    register(ext, BOB)
    dep = deploy(ext, ALICE, [group(max_price=3 * TAO)], deposit=TAO)
    (order,) = orders_of(ext, dep)
    bid(ext, BOB, order, 2 * TAO)
    bob = free(ext, BOB)
    ext.run_to_block(ext.number + 2)
    assert market.OrderClosed(order, "InsufficientFunds") in ext.events()
    assert market.DeploymentClosed(dep, "Finished", TAO) in ext.events()
    assert free(ext, BOB) == bob + TAO // 10
    check_invariants(ext)


def test_two_orders_of_two_tenants_match_independently():
    ext = market_ext(bidding_window=2)
    register(ext, BOB)
    register(ext, CHARLIE)
    (o1,) = orders_of(ext, deploy(ext, ALICE))
    (o2,) = orders_of(ext, deploy(ext, EVE))
    bid(ext, BOB, o1, 2 * 10**7)
    w1 = bid(ext, CHARLIE, o1, 10**7)
    w2 = bid(ext, BOB, o2, 10**7)
    bid(ext, CHARLIE, o2, 2 * 10**7)
    ext.run_to_block(ext.number + 2)
    assert {e.lease for e in market_events(ext, market.LeaseCreated)} == {w1, w2}
    assert S.Providers.get(ext.state, BOB).active_leases == 1 and S.Providers.get(ext.state, BOB).open_bids == 0
    check_invariants(ext)


def test_an_empty_auction_of_a_deployment_with_a_lease_keeps_the_escrow_books():
    """Regression: the auction task of a bid-less order settles the deployment's running lease;
    that settlement must be stored even though the order only waits for its timeout."""
    ext = market_ext(bidding_window=3, order_timeout=10, settlement_period=100)
    register(ext, BOB)
    start = ext.number
    dep = deploy(ext, ALICE, [group("a"), group("b")])
    a, b = orders_of(ext, dep)
    lease = bid(ext, BOB, a, 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=lease)
    ext.run_to_block(start + 3)  # b's window ends without bids: it waits for its timeout
    assert market.LeasePaid(lease, BOB, 3 * 10**7, 3 * 10**6, start + 3) in ext.events()
    assert S.Deployments.get(ext.state, dep).escrow == TAO - 3 * 10**7
    check_invariants(ext)
    ext.run_to_block(start + 10)
    assert market.OrderClosed(b, "Expired") in ext.events()
    check_invariants(ext)
