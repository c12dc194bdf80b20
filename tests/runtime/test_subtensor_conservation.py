"""Conservation over long random action sequences (hypothesis): TAO issuance and every subnet's alpha
issuance exact to the rao, and every failed call a no-op.

Ledgers kept by the test, independently of the runtime's own totals:
- TAO: SubtensorModule.TotalIssuance changes only in blocks, by exactly the TAO injected into pools
  (SubnetTaoInEmission + SubnetExcessTao of each subnet); calls move TAO, never create or destroy it.
- alpha, per subnet: AlphaIn + AlphaOut + recycled changes only in blocks, by exactly the alpha minted
  (SubnetAlphaInEmission + SubnetAlphaOutEmission); calls only move it, except registration, whose
  bought alpha is recycled. And at every step SubnetAlphaOut equals what is held (assert_issuance_conserved).
"""
from hypothesis import HealthCheck, given, settings, strategies as st

from runtime.frame.dispatch import DispatchError
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.stake import pool
from tests.runtime.helpers import ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE
from tests.runtime.subtensor_setup import TAO, assert_issuance_conserved, call, ext_with, hot, register, register_subnet, stake

NAMES = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"]
COLD = dict(zip(NAMES, [ALICE, BOB, CHARLIE, DAVE, EVE, FERDIE]))

netuid = st.sampled_from([0, 1, 1, 1, 2, 2, 3])
name = st.sampled_from(NAMES)
pair = st.one_of(name.map(lambda n: (n, n)), st.tuples(name, name))
amount = st.one_of(st.integers(0, 20 * TAO), st.integers(2_000_000, 5000 * TAO))
percent = st.integers(0, 100)
action = st.one_of(
    st.tuples(st.just("advance"), st.integers(1, 40)),
    st.tuples(st.just("register_network"), name),
    st.tuples(st.just("register"), name, netuid),
    st.tuples(st.just("stake"), pair, netuid, amount),
    st.tuples(st.just("stake_limit"), pair, netuid, amount, st.integers(0, 3 * 10**9), st.booleans()),
    st.tuples(st.just("unstake"), pair, netuid, percent),
    st.tuples(st.just("unstake_limit"), pair, netuid, percent, st.integers(0, 2 * 10**9), st.booleans()),
    st.tuples(st.just("move"), name, name, name, netuid, netuid, percent),
    st.tuples(st.just("transfer_stake"), name, name, name, netuid, netuid, percent),
    st.tuples(st.just("swap_stake"), name, name, netuid, netuid, percent),
    st.tuples(st.just("weights"), name, netuid,
              st.lists(st.tuples(st.integers(0, 4), st.integers(0, 65535)), min_size=1, max_size=4)),
)


def held(ext, cold, hotkey, net, pct):
    return pool.alpha_of(ext.state, hot(hotkey), COLD[cold], net) * pct // 100


def to_call(ext, act):
    kind = act[0]
    if kind == "register_network":
        return COLD[act[1]], "register_network", {"hotkey": hot(act[1])}
    if kind == "register":
        return COLD[act[1]], "burned_register", {"netuid": act[2], "hotkey": hot(act[1])}
    if kind in ("stake", "stake_limit"):
        (cold, hotkey), net, value = act[1:4]
        args = {"hotkey": hot(hotkey), "netuid": net, "amount_staked": value}
        if kind == "stake_limit":
            return COLD[cold], "add_stake_limit", {**args, "limit_price": act[4], "allow_partial": act[5]}
        return COLD[cold], "add_stake", args
    if kind in ("unstake", "unstake_limit"):
        (cold, hotkey), net, pct = act[1:4]
        args = {"hotkey": hot(hotkey), "netuid": net, "amount_unstaked": held(ext, cold, hotkey, net, pct)}
        if kind == "unstake_limit":
            return COLD[cold], "remove_stake_limit", {**args, "limit_price": act[4], "allow_partial": act[5]}
        return COLD[cold], "remove_stake", args
    if kind == "move":
        cold, origin, dest, net_a, net_b, pct = act[1:]
        return COLD[cold], "move_stake", {"origin_hotkey": hot(origin), "destination_hotkey": hot(dest),
                                          "origin_netuid": net_a, "destination_netuid": net_b,
                                          "alpha_amount": held(ext, cold, origin, net_a, pct)}
    if kind == "transfer_stake":
        cold, dest_cold, hotkey, net_a, net_b, pct = act[1:]
        return COLD[cold], "transfer_stake", {"destination_coldkey": COLD[dest_cold], "hotkey": hot(hotkey),
                                              "origin_netuid": net_a, "destination_netuid": net_b,
                                              "alpha_amount": held(ext, cold, hotkey, net_a, pct)}
    if kind == "swap_stake":
        cold, hotkey, net_a, net_b, pct = act[1:]
        return COLD[cold], "swap_stake", {"hotkey": hot(hotkey), "origin_netuid": net_a,
                                          "destination_netuid": net_b,
                                          "alpha_amount": held(ext, cold, hotkey, net_a, pct)}
    dests = list(dict.fromkeys(d for d, _ in act[3]))
    weights = [dict(act[3])[d] for d in dests]
    return hot(act[1]), "set_weights", {"netuid": act[2], "dests": dests, "weights": weights, "version_key": 0}


def alpha_ledger(state) -> dict[int, int]:
    return {net: S.SubnetAlphaIn.get(state, net) + S.SubnetAlphaOut.get(state, net)
            + S.SubnetAlphaRecycled.get(state, net)
            for (net,), added in S.NetworksAdded.iter(state) if added}


def minted_this_block(state) -> tuple[int, dict[int, int]]:
    tao = 0
    per_subnet = {}
    for (net,), added in S.NetworksAdded.iter(state):
        if added and net:
            tao += S.SubnetTaoInEmission.get(state, net) + S.SubnetExcessTao.get(state, net)
            per_subnet[net] = S.SubnetAlphaInEmission.get(state, net) + S.SubnetAlphaOutEmission.get(state, net)
    return tao, per_subnet


def advance(ext, blocks: int) -> None:
    for _ in range(blocks):
        issuance, ledger = S.TotalIssuance.get(ext.state), alpha_ledger(ext.state)
        root_tao = S.SubnetTAO.get(ext.state, 0)
        ext.next_block()
        state = ext.state
        tao, alpha = minted_this_block(state)
        assert S.TotalIssuance.get(state) == issuance + tao
        after = alpha_ledger(state)
        for net, before in ledger.items():
            if net == 0:      # root alpha is TAO: it grows only by root dividends sold into it
                assert after[0] - before == S.SubnetTAO.get(state, 0) - root_tao
                continue
            assert after[net] == before + alpha.get(net, 0), f"subnet {net}"
        assert_issuance_conserved(ext)


def apply(ext, act) -> None:
    if act[0] == "advance":
        advance(ext, act[1])
        return
    who, name_, kwargs = to_call(ext, act)
    before = ext.snapshot()
    issuance, ledger = S.TotalIssuance.get(ext.state), alpha_ledger(ext.state)
    events = len(ext.ctx.events)
    try:
        call(ext, who, name_, **kwargs)
    except DispatchError:
        assert ext.snapshot() == before, f"failed {name_} changed state"
        assert len(ext.ctx.events) == events
        return
    assert S.TotalIssuance.get(ext.state) == issuance, name_
    after = alpha_ledger(ext.state)
    for net, value in ledger.items():
        if net:               # root alpha is TAO staked 1:1 (checked by assert_issuance_conserved)
            assert after[net] == value, (name_, net)     # moved, not created (recycling is in the ledger)
    assert_issuance_conserved(ext)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(action, min_size=20, max_size=60))
def test_tao_and_alpha_are_conserved_to_the_rao(actions):
    ext = ext_with(maxAllowedUids=5, immunityPeriod=30, minNonImmuneUids=1)
    register_subnet(ext)
    register_subnet(ext, BOB, hot("Bob"))
    register(ext, 1, ["Bob", "Charlie"])
    stake(ext, "Bob", 1, 1000 * TAO)
    stake(ext, "Charlie", 0, 500 * TAO)
    start = ext.number
    for act in actions:
        apply(ext, act)
    while ext.number - start < 600:            # hundreds of blocks: ~60 epochs of subnet 1 paid out
        apply(ext, ("advance", 50))
    assert S.SubnetEpochIndex.get(ext.state, 1) >= 55
