"""Escrow: per-block payment settled lazily and every K blocks, the take, running dry at
the exact block, top-ups, and a scheduler that only touches what is due."""
from __future__ import annotations

from runtime.pallets import balances, market
from runtime.pallets.market import storage as S
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE
from tests.runtime.test_market_support import (TAO, bid, check_invariants, deploy, free, group, market_events,
                                               market_ext, orders_of, register, reserved)

PRICE = 3 * 10**7  # 1 TAO pays 33 blocks, 10^7 rao left over


def leased(ext, deposit=TAO, price=PRICE, provider=BOB, tenant=ALICE):
    if not S.Providers.contains(ext.state, provider):
        register(ext, provider)
    dep = deploy(ext, tenant, deposit=deposit)
    (order,) = orders_of(ext, dep)
    lease = bid(ext, provider, order, price)
    ext.call(tenant, "Market", "create_lease", bid=lease)
    return dep, lease


def test_settles_every_period_with_the_take_to_the_treasury():
    ext = market_ext(settlement_period=5, take_rate_bps=1_000)
    dep, lease = leased(ext)
    start = ext.number
    bob, treasury = free(ext, BOB), free(ext, market.TREASURY)
    ext.run_to_block(start + 4)
    assert free(ext, BOB) == bob  # lazy: nothing yet
    ext.next_block()
    assert market.LeasePaid(lease, BOB, 5 * PRICE, 5 * PRICE // 10, start + 5) in ext.events()
    assert free(ext, BOB) == bob + 5 * PRICE * 9 // 10
    assert free(ext, market.TREASURY) == treasury + 5 * PRICE // 10
    assert S.Deployments.get(ext.state, dep).escrow == TAO - 5 * PRICE
    ext.run_to_block(start + 10)
    assert free(ext, BOB) == bob + 10 * PRICE * 9 // 10
    check_invariants(ext)


def test_escrow_runs_dry_at_the_exact_block():
    ext = market_ext(settlement_period=7)
    issuance = balances.TotalIssuance.get(ext.state)
    alice, bob, treasury = free(ext, ALICE), free(ext, BOB), free(ext, market.TREASURY)
    dep, lease = leased(ext)
    start = ext.number
    blocks = TAO // PRICE  # 33
    ext.run_to_block(start + blocks - 1)
    assert S.Leases.contains(ext.state, lease)  # still paid for
    ext.next_block()
    assert ext.number == start + blocks
    assert market.LeaseClosed(lease, "InsufficientFunds", start + blocks, blocks * PRICE) in ext.events()
    assert market.DeploymentClosed(dep, "InsufficientFunds", TAO - blocks * PRICE) in ext.events()
    assert not S.Leases.contains(ext.state, lease) and not S.Deployments.contains(ext.state, dep)
    paid = blocks * PRICE
    assert free(ext, ALICE) == alice - paid and reserved(ext, ALICE) == 0
    # Bob had his provider deposit and bid deposit reserved; the bid deposit is back
    take = free(ext, market.TREASURY) - treasury
    assert take == blocks * PRICE // 10  # 10% of every payment
    assert free(ext, BOB) + reserved(ext, BOB) == bob + paid - take
    assert reserved(ext, BOB) == TAO
    assert balances.TotalIssuance.get(ext.state) == issuance
    check_invariants(ext, issuance)


def test_no_free_compute_when_a_settlement_is_late():
    """Even when the scheduler is behind (budget exhausted), payment stops at the dry block."""
    ext = market_ext(settlement_period=1_000, max_tasks_per_block=1)
    leases = []
    for tenant in (ALICE, EVE):
        leases.append(leased(ext, tenant=tenant, provider=BOB if tenant == ALICE else CHARLIE))
    start = ext.number
    blocks = TAO // PRICE
    ext.run_to_block(start + blocks)  # two deployments due at this block, one task per block
    closed = {}
    for _ in range(3):
        for e in market_events(ext, market.LeaseClosed):
            closed[e.lease] = e
        ext.next_block()
    assert {lease for _, lease in leases} == set(closed)
    assert all(e.closed_on == start + blocks and e.paid == blocks * PRICE for e in closed.values())
    check_invariants(ext)


def test_top_up_before_running_dry_extends_the_lease():
    ext = market_ext(settlement_period=100)
    dep, lease = leased(ext)
    start = ext.number
    ext.run_to_block(start + 30)
    ext.call(ALICE, "Market", "deposit_deployment", deployment=dep, amount=TAO)
    ext.run_to_block(start + 40)
    assert S.Leases.contains(ext.state, lease)
    # 2 TAO pays 66 blocks
    ext.run_to_block(start + 65)
    assert S.Leases.contains(ext.state, lease)
    ext.next_block()
    assert market.LeaseClosed(lease, "InsufficientFunds", start + 66, 66 * PRICE) in ext.events()
    assert market.DeploymentClosed(dep, "InsufficientFunds", 2 * TAO - 66 * PRICE) in ext.events()
    check_invariants(ext)


def test_close_settles_to_the_block_and_refunds_the_rest():
    ext = market_ext(settlement_period=5)
    dep, lease = leased(ext)
    alice = free(ext, ALICE)
    start = ext.number
    ext.run_to_block(start + 7)
    ext.call(ALICE, "Market", "close_deployment", deployment=dep)
    assert market.LeaseClosed(lease, "DeploymentClosed", start + 7, 7 * PRICE) in ext.events()
    assert market.DeploymentClosed(dep, "TenantClosed", TAO - 7 * PRICE) in ext.events()
    assert free(ext, ALICE) == alice + TAO - 7 * PRICE
    check_invariants(ext)


def test_deployment_with_two_leases_pays_both_and_runs_dry_together():
    ext = market_ext(settlement_period=4, take_rate_bps=0)
    register(ext, BOB)
    register(ext, CHARLIE)
    dep = deploy(ext, ALICE, [group("a"), group("b")], deposit=TAO)
    a, b = orders_of(ext, dep)
    la = bid(ext, BOB, a, 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=la)
    start = ext.number
    ext.run_to_block(start + 2)
    lb = bid(ext, CHARLIE, b, 2 * 10**7)
    ext.call(ALICE, "Market", "create_lease", bid=lb)  # settles la for 2 blocks first
    # from start+2: escrow 1e9 - 2e7 = 9.8e8 at 3e7/block: 32 blocks, 2e6 left
    ext.run_to_block(start + 2 + 31)
    assert S.Deployments.contains(ext.state, dep)
    bob, charlie = free(ext, BOB), free(ext, CHARLIE)
    ext.next_block()
    assert {(e.lease, e.closed_on) for e in market_events(ext, market.LeaseClosed)} == {
        (la, start + 34), (lb, start + 34)}
    assert market.DeploymentClosed(dep, "InsufficientFunds", 2 * 10**7) in ext.events()
    assert S.Leases.get(ext.state, la) is None
    assert sum(e.amount for e in market_events(ext, market.LeasePaid) if e.lease == la) + bob + TAO // 10 == free(ext, BOB)
    assert free(ext, CHARLIE) > charlie
    check_invariants(ext)


def test_stale_tasks_do_not_pay_twice():
    ext = market_ext(settlement_period=3, take_rate_bps=0)
    dep, lease = leased(ext)
    start = ext.number
    for _ in range(10):  # every touch reschedules; old tasks are stale
        ext.call(ALICE, "Market", "deposit_deployment", deployment=dep, amount=10**6)
        ext.call(BOB, "Market", "withdraw_lease", lease=lease)
        ext.next_block()
    ext.run_to_block(start + 20)
    paid = sum(S.Leases.get(ext.state, lease).paid for _ in [0])
    # settled up to the last periodic settlement: a multiple of blocks, never more than elapsed
    assert paid <= 20 * PRICE and paid % PRICE == 0
    ext.call(BOB, "Market", "withdraw_lease", lease=lease)
    assert S.Leases.get(ext.state, lease).paid == 20 * PRICE
    check_invariants(ext)


def test_scheduler_carries_over_past_the_per_block_budget():
    ext = market_ext(settlement_period=5, max_tasks_per_block=2, take_rate_bps=0)
    register(ext, BOB)
    deps = []
    for tenant in (ALICE, EVE, DAVE, CHARLIE):
        dep = deploy(ext, tenant, deposit=10 * TAO)
        (order,) = orders_of(ext, dep)
        ext.call(tenant, "Market", "create_lease", bid=bid(ext, BOB, order, 10**7))
        deps.append(dep)
    start = ext.number
    ext.run_to_block(start + 5)
    assert len(market_events(ext, market.LeasePaid)) == 2
    ext.next_block()
    assert len(market_events(ext, market.LeasePaid)) == 2  # the carried-over pair, settled to now
    assert S.ScheduleCursor.get(ext.state)[0] == ext.number + 1
    check_invariants(ext)


def test_an_idle_block_reads_only_its_own_schedule():
    """on_initialize with nothing due touches a constant number of keys, whatever the leases."""
    from runtime.pallets.market.hooks import on_initialize

    counts = []
    for n in (2, 12):
        ext = market_ext(settlement_period=1_000)
        for i in range(n):
            tenant = (ALICE, EVE, DAVE, CHARLIE)[i % 4]
            leased(ext, deposit=10 * TAO, tenant=tenant)
        ext.next_block()
        reads = []
        real_get = ext.state.get
        ext.state.get = lambda key: (reads.append(key), real_get(key))[1]
        try:
            on_initialize(ext.ctx)
        finally:
            del ext.state.get
        counts.append(len(reads))
    assert counts[0] == counts[1]


def test_a_deployment_past_its_dry_block_takes_no_deposit_or_bid():
    """When the scheduler is behind, a deployment whose escrow already ran dry refuses top-ups
    and bids (EscrowExhausted, no-op); the scheduler then closes it at its dry block."""
    from runtime.pallets.market import Error

    ext = market_ext(settlement_period=1_000, max_tasks_per_block=1, order_timeout=100)
    register(ext, BOB)
    register(ext, CHARLIE)
    register(ext, DAVE)
    d1 = deploy(ext, ALICE)
    ext.call(ALICE, "Market", "create_lease", bid=bid(ext, BOB, orders_of(ext, d1)[0], PRICE))
    d2 = deploy(ext, EVE, [group("a"), group("b")])
    a, b = orders_of(ext, d2)
    lease = bid(ext, CHARLIE, a, PRICE)
    ext.call(EVE, "Market", "create_lease", bid=lease)
    start = ext.number
    dry = start + TAO // PRICE
    ext.run_to_block(dry)  # one task per block: d1 closes now, d2 is one block behind
    assert S.Deployments.contains(ext.state, d2) and not S.Deployments.contains(ext.state, d1)
    with ext.assert_noop(Error.EscrowExhausted):
        ext.call(EVE, "Market", "deposit_deployment", deployment=d2, amount=TAO)
    with ext.assert_noop(Error.EscrowExhausted):
        bid(ext, DAVE, b, PRICE)
    ext.next_block()
    assert market.LeaseClosed(lease, "InsufficientFunds", dry, (TAO // PRICE) * PRICE) in ext.events()
    assert market.OrderClosed(b, "InsufficientFunds") in ext.events()
    check_invariants(ext)
