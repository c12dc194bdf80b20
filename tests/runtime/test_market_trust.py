"""The market trusts the compute subnet (`runtime/pallets/market/trust.py`): auto-match by price
among providers with enough Yuma consensus, and leases of providers whose consensus stays 0 for N
epochs closed with a slash. The subnet runs real epochs: one validator (Eve's hotkey) weights
Bob 3 : Charlie 1, so consensus is Bob ~0.75, Charlie ~0.25, Dave 0."""
from __future__ import annotations

import dataclasses

import pytest

from genesis.spec import genesis_storage
from runtime.metadata import build_metadata
from runtime.pallets import balances
from runtime.pallets.market import Error, LeaseClosed, LeaseCreated, ProviderSlashed, TREASURY
from runtime.pallets.market import storage as M
from runtime.pallets.market.genesis import params_from_config
from runtime.pallets.subtensor import storage as S
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE, TestExternalities
from tests.runtime.subtensor_setup import call, hot, run_to_next_epoch, spec_with
from tests.runtime.test_market_support import (TAO, TEST_PARAMS, bid, check_invariants, compute_subnet, deploy, fork,
                                               market_events, orders_of, reserved)
from tests.runtime.test_market_support import register as register_provider

PROVIDERS = (BOB, CHARLIE, DAVE)
THRESHOLD = 20_000  # u16 proportion: Bob (49151) qualifies, Charlie (16383) and Dave (0) do not


@pytest.fixture(scope="module")
def base_storage():
    ext, netuid = compute_subnet(PROVIDERS)
    uids = [S.Uids.get(ext.state, netuid, who) for who in (BOB, CHARLIE)]
    call(ext, hot("Eve"), "set_weights", netuid=netuid, dests=uids, weights=[3, 1], version_key=0)
    run_to_next_epoch(ext, netuid)
    consensus = S.Consensus.get(ext.state, netuid)
    assert consensus[uids[0]] > THRESHOLD > consensus[uids[1]] > 0
    assert consensus[S.Uids.get(ext.state, netuid, DAVE)] == 0
    for who in PROVIDERS:
        register_provider(ext, who)
    ext.next_block()
    return ext, netuid


def trust_ext(base_storage, **market):
    ext, netuid = base_storage
    ext = fork(ext)
    p = dataclasses.replace(M.params(ext.state), **{**TEST_PARAMS, "compute_netuid": netuid, **market})
    ext.call(None, "Market", "set_params", params=p)
    return ext, netuid


def winner(ext) -> bytes | None:
    created = market_events(ext, LeaseCreated)
    return created[-1].provider if created else None


def bid_all(ext, order, prices: dict) -> dict:
    return {who: bid(ext, who, order, price) for who, price in prices.items()}


def test_auto_match_takes_the_lowest_price_among_trusted_providers(base_storage):
    ext, _ = trust_ext(base_storage, min_consensus=THRESHOLD)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    bid_all(ext, order, {DAVE: 10**6, CHARLIE: 2 * 10**6, BOB: 3 * 10**6})
    for _ in range(TEST_PARAMS["bidding_window"]):
        ext.next_block()
    assert winner(ext) == BOB, "Dave and Charlie bid lower but are below the consensus threshold"
    assert M.Orders.get(ext.state, order).lease is not None


def test_without_compute_netuid_the_lowest_price_wins(base_storage):
    ext, _ = trust_ext(base_storage, compute_netuid=None, min_consensus=THRESHOLD)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    bid_all(ext, order, {BOB: 3 * 10**6, DAVE: 10**6})
    for _ in range(TEST_PARAMS["bidding_window"]):
        ext.next_block()
    assert winner(ext) == DAVE


def test_equal_prices_go_to_the_higher_consensus(base_storage):
    ext, _ = trust_ext(base_storage, min_consensus=0)
    (order,) = orders_of(ext, deploy(ext, ALICE))
    bid_all(ext, order, {DAVE: 10**6, CHARLIE: 10**6, BOB: 10**6})  # Bob bids last
    for _ in range(TEST_PARAMS["bidding_window"]):
        ext.next_block()
    assert winner(ext) == BOB


def test_no_trusted_bid_no_match_and_the_order_expires(base_storage):
    ext, _ = trust_ext(base_storage, min_consensus=THRESHOLD)
    issuance = balances.TotalIssuance.get(ext.state)
    dep_id = deploy(ext, ALICE)
    (order,) = orders_of(ext, dep_id)
    bids = bid_all(ext, order, {DAVE: 10**6, CHARLIE: 2 * 10**6})
    for _ in range(TEST_PARAMS["bidding_window"]):
        ext.next_block()
    assert winner(ext) is None and M.Orders.get(ext.state, order).lease is None
    assert all(M.Bids.get(ext.state, b) is not None for b in bids.values()), "bids stay open until the timeout"
    for _ in range(TEST_PARAMS["order_timeout"]):
        ext.next_block()
    assert M.Orders.get(ext.state, order) is None and M.Deployments.get(ext.state, dep_id) is None
    assert reserved(ext, ALICE) == 0 and reserved(ext, DAVE) == reserved(ext, CHARLIE) == TEST_PARAMS[
        "provider_deposit"]
    check_invariants(ext, issuance)


def test_zero_consensus_for_n_epochs_closes_the_leases_and_slashes(base_storage):
    slash = 250_000_000  # 25 %
    ext, netuid = trust_ext(base_storage, zero_consensus_epochs=2, slash_fraction=slash, settlement_period=1_000)
    issuance = balances.TotalIssuance.get(ext.state)
    deposit = TAO // 10
    dave_dep = deploy(ext, ALICE, deposit=4 * TAO)
    bob_dep = deploy(ext, EVE, deposit=4 * TAO)
    dave_lease = bid(ext, DAVE, orders_of(ext, dave_dep)[0], 10**6, deposit)
    bob_lease = bid(ext, BOB, orders_of(ext, bob_dep)[0], 10**6, deposit)
    ext.call(ALICE, "Market", "create_lease", bid=dave_lease)  # the tenant may still pick by hand
    ext.call(EVE, "Market", "create_lease", bid=bob_lease)
    treasury = balances.free_balance(ext.ctx, TREASURY)

    run_to_next_epoch(ext, netuid)
    assert M.ZeroConsensusEpochs.get(ext.state, DAVE) == 1 and M.ZeroConsensusEpochs.get(ext.state, BOB) == 0
    assert M.Leases.get(ext.state, dave_lease) is not None, "one zero epoch is not enough"
    alice_before = balances.free_balance(ext.ctx, ALICE)

    run_to_next_epoch(ext, netuid)
    now = ext.number
    assert M.Leases.get(ext.state, dave_lease) is None and M.Leases.get(ext.state, bob_lease) is not None
    (closed,) = [e for e in market_events(ext, LeaseClosed) if e.lease == dave_lease]
    assert closed.reason == "ProviderUntrusted" and closed.closed_on == now
    (slashed,) = market_events(ext, ProviderSlashed)
    assert (slashed.provider, slashed.lease, slashed.amount, slashed.to) == (DAVE, dave_lease, deposit // 4, TREASURY)
    assert reserved(ext, DAVE) == TEST_PARAMS["provider_deposit"], "the rest of the bid deposit is unreserved"
    # the deployment had nothing else open: it closed and the unserved escrow went back to Alice
    assert M.Deployments.get(ext.state, dave_dep) is None and reserved(ext, ALICE) == 0
    assert balances.free_balance(ext.ctx, ALICE) == alice_before + 4 * TAO - closed.paid
    take = sum(e.take for e in market_events(ext) if type(e).__name__ == "LeasePaid")
    assert balances.free_balance(ext.ctx, TREASURY) >= treasury + deposit // 4 + take
    check_invariants(ext, issuance)


def test_a_provider_with_consensus_resets_its_count(base_storage):
    ext, netuid = trust_ext(base_storage, zero_consensus_epochs=5)
    M.ZeroConsensusEpochs.insert(ext.state, BOB, 4)
    run_to_next_epoch(ext, netuid)
    assert M.ZeroConsensusEpochs.get(ext.state, BOB) == 0
    assert M.ZeroConsensusEpochs.get(ext.state, DAVE) == 1


def test_no_epoch_no_count_and_unset_netuid_counts_nothing(base_storage):
    ext, netuid = trust_ext(base_storage, compute_netuid=None, zero_consensus_epochs=1)
    run_to_next_epoch(ext, netuid)
    assert M.ZeroConsensusEpochs.get(ext.state, DAVE) == 0
    ext.next_block()  # a block without an epoch of the subnet
    assert M.ZeroConsensusEpochs.get(ext.state, DAVE) == 0


def test_deregistering_forgets_the_count(base_storage):
    ext, netuid = trust_ext(base_storage, zero_consensus_epochs=5)
    run_to_next_epoch(ext, netuid)
    assert M.ZeroConsensusEpochs.get(ext.state, DAVE) == 1
    ext.call(DAVE, "Market", "deregister_provider")
    assert not M.ZeroConsensusEpochs.contains(ext.state, DAVE)


def test_slash_fraction_is_a_perbill(base_storage):
    ext, _ = trust_ext(base_storage)
    p = M.params(ext.state)
    with ext.assert_noop(Error.InvalidParams):
        ext.call(None, "Market", "set_params", params=dataclasses.replace(p, slash_fraction=10**9 + 1))
    ext.call(None, "Market", "set_params", params=dataclasses.replace(p, slash_fraction=10**9))
    assert M.params(ext.state).slash_fraction == 10**9


def test_genesis_keys_and_metadata():
    p = params_from_config({"computeNetuid": 3, "minConsensus": 1000, "zeroConsensusEpochs": 4,
                            "slashFraction": 50_000_000})
    assert (p.compute_netuid, p.min_consensus, p.zero_consensus_epochs, p.slash_fraction) == (3, 1000, 4, 50_000_000)
    assert params_from_config({"computeNetuid": None}).compute_netuid is None
    with pytest.raises(ValueError):
        params_from_config({"computeNetUid": 3})
    spec = spec_with()
    spec["genesis"]["runtimeGenesis"]["config"].setdefault("market", {}).update(
        computeNetuid=1, minConsensus=7, zeroConsensusEpochs=2, slashFraction=10**8)
    ext = TestExternalities(genesis_storage(spec))
    stored = M.params(ext.state)
    assert (stored.compute_netuid, stored.min_consensus, stored.zero_consensus_epochs, stored.slash_fraction) == \
        (1, 7, 2, 10**8)
    metadata = build_metadata(ext.runtime, 14)
    for name in ("compute_netuid", "min_consensus", "zero_consensus_epochs", "slash_fraction", "ProviderSlashed",
                 "ProviderUntrusted", "ZeroConsensusEpochs"):
        assert name.encode() in metadata, name
