"""Property: over random sequences of market actions and block advances, total issuance is
conserved to the rao, equals the sum of all balances, and every reserve is accounted for
by the market (escrows, bid and lease deposits, provider deposits). Failed calls are
module errors and change nothing; hooks never raise."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

from runtime.frame.dispatch import DispatchError
from runtime.pallets import balances
from runtime.pallets.market import storage as S
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE
from tests.runtime.test_market_support import TAO, VERSION, attrs, check_invariants, group, market_ext

PROVIDERS = (BOB, CHARLIE, DAVE)
TENANTS = (ALICE, EVE, FERDIE)
EVERYONE = PROVIDERS + TENANTS
ATTRS = [(("region", "eu"),), (("region", "eu"), ("gpu", "nvidia/h100")), (("region", "eu"), ("gpu", "amd/mi300")),
         (("region", "us"),)]

pick = st.integers(0, 50)
role = st.sampled_from(["owner", "owner", "provider", "other"])
bid_action = st.tuples(st.just("bid"), st.sampled_from(PROVIDERS), pick,
                       st.one_of(st.integers(10**7, 5 * 10**8), st.integers(0, 2 * 10**9)),
                       st.one_of(st.just(TAO // 20), st.integers(0, TAO // 5)))
# earlier alternatives are drawn (and shrunk to) more often: the interesting actions come first
action = st.one_of(
    bid_action,
    st.tuples(st.just("blocks"), st.integers(1, 12)),
    bid_action,
    st.tuples(st.just("accept"), role, pick),
    st.tuples(st.just("deploy"), st.sampled_from(TENANTS), st.integers(1, 3), st.integers(TAO // 2, 4 * TAO),
              st.booleans()),
    st.tuples(st.just("deposit"), role, pick, st.integers(0, 2 * TAO)),
    st.tuples(st.just("close_lease"), role, pick),
    st.tuples(st.just("withdraw"), role, pick),
    st.tuples(st.just("close_bid"), role, pick),
    st.tuples(st.just("close_deployment"), role, pick),
    st.tuples(st.just("register"), st.sampled_from(PROVIDERS), st.integers(0, len(ATTRS) - 1)),
    st.tuples(st.just("deregister"), st.sampled_from(PROVIDERS)),
)


def _nth(ext, item, n, keep=lambda value: True):
    """The n-th live id of a storage map (sometimes an id that does not exist), with its value."""
    items = [(k[0], v) for k, v in item.iter(ext.state) if keep(v)]
    if items and n < 45:
        return items[n % len(items)]
    return 10_000 + n, None


def _who(role_name, owner, provider):
    if role_name == "owner" and owner is not None:
        return owner
    if role_name == "provider" and provider is not None:
        return provider
    return FERDIE


def _apply(ext, act) -> None:
    kind = act[0]
    if kind == "register":
        ext.call(act[1], "Market", "register_provider", host_uri=b"https://p", attributes=attrs(*ATTRS[act[2]]))
    elif kind == "deregister":
        ext.call(act[1], "Market", "deregister_provider")
    elif kind == "deploy":
        _, who, n, deposit, gpu = act
        groups = [group(f"g{i}", 5 * 10**8 * (i + 1), gpus=1 if gpu and i == 0 else 0, vendor="nvidia", model="*")
                  for i in range(n)]
        ext.call(who, "Market", "create_deployment", groups=groups, deposit=deposit, version=VERSION)
    elif kind == "bid":
        _, who, n, price, deposit = act
        order, _ = _nth(ext, S.Orders, n, lambda o: o.lease is None)
        ext.call(who, "Market", "create_bid", order=order, price=price, deposit=deposit)
    elif kind in ("close_bid", "accept"):
        bid_id, b = _nth(ext, S.Bids, act[2])
        owner = b and S.Deployments.get(ext.state, S.Orders.get(ext.state, b.order).deployment).owner
        who = _who(act[1], b and (owner if kind == "accept" else b.provider), b and b.provider)
        ext.call(who, "Market", "close_bid" if kind == "close_bid" else "create_lease", bid=bid_id)
    elif kind in ("close_lease", "withdraw"):
        lease_id, lease = _nth(ext, S.Leases, act[2])
        who = _who(act[1], lease and (lease.tenant if kind == "close_lease" else lease.provider),
                   lease and lease.provider)
        ext.call(who, "Market", "close_lease" if kind == "close_lease" else "withdraw_lease", lease=lease_id)
    elif kind in ("deposit", "close_deployment"):
        dep_id, dep = _nth(ext, S.Deployments, act[2])
        who = _who(act[1], dep and dep.owner, BOB)
        if kind == "deposit":
            ext.call(who, "Market", "deposit_deployment", deployment=dep_id, amount=act[3])
        else:
            ext.call(who, "Market", "close_deployment", deployment=dep_id)
    elif kind == "blocks":
        for _ in range(act[1]):
            ext.next_block()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(action, min_size=15, max_size=60))
def test_market_conserves_issuance_and_accounts_for_every_reserve(actions):
    ext = market_ext(bidding_window=2, order_timeout=6, settlement_period=3, max_bids_per_order=2,
                     take_rate_bps=1_000, max_tasks_per_block=3, bid_min_deposit=TAO // 20)
    issuance = balances.TotalIssuance.get(ext.state)
    prologue = [("register", who, i) for i, who in enumerate(PROVIDERS)] + [("deploy", ALICE, 2, TAO, False),
                                                                            ("deploy", EVE, 1, 2 * TAO, True)]
    for act in prologue + actions:
        before = ext.snapshot()
        try:
            _apply(ext, act)
        except DispatchError as err:
            assert err.value[0] == "Module" or err.value == "BadOrigin", err
            assert ext.snapshot() == before, f"failed {act[0]} changed state"
        check_invariants(ext, issuance)
    for _ in range(60):  # let it run: orders expire, auctions match, escrows run dry
        ext.next_block()
        check_invariants(ext, issuance)
    for (dep_id,), dep in list(S.Deployments.iter(ext.state)):
        ext.call(dep.owner, "Market", "close_deployment", deployment=dep_id)
    ext.next_block()
    check_invariants(ext, issuance)
    # everything closed: only provider deposits stay reserved, every tenant got its escrow back
    assert not list(S.Bids.iter(ext.state)) and not list(S.Leases.iter(ext.state))
    for tenant in TENANTS:
        assert balances.reserved_balance(ext.ctx, tenant) == 0
