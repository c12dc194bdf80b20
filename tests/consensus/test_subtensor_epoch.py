"""subtensor's epoch tests, hand-translated with the same setups and expected numbers.

Source: opentensor/subtensor ``pallets/subtensor/src/tests/epoch.rs`` (HEAD 14bc6f9f9).
Each test names the upstream test it reproduces.  The pallet plumbing the Rust tests go
through (registration, ``set_weights`` max-upscaling, ``clear_neuron`` on replacement,
persisting Bonds / ValidatorPermit between epochs) is replayed by ``_sim.SubnetSim``.
Every epoch runs the numba kernel, the reference and the numpy version and requires
bit-identical outputs (``_impls.run_all``); the assertions are subtensor's.

Mock facts used throughout (``tests/mock.rs``): the test externality starts at block 1;
``add_network_disable_commit_reveal`` turns Yuma3 off (classic Yuma); ``add_network``
keeps ``init_new_network``'s Yuma3 = true; BondsMovingAverage 900_000, Kappa 32_767,
BondsPenalty 65_535, ActivityCutoffFactorMilli 13_889 (cutoff = max(1, 13_889 * tempo / 1000)),
no subnet owner hotkey unless the test registers one, TaoWeight 0.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

from consensus.yuma import EpochInputs, SparseRows, fixed as fx
from consensus.yuma import reference as ref

from ._impls import run_all, run_kernel_only, run_no_reference
from ._sim import SubnetSim

M = 65535
HIGH_TEMPO = 65534  # u16::MAX - 1: "set higher tempo to avoid built-in epoch"


def distribute_nodes(validators_n: int, network_n: int, interleave: int, seed: int = 0):
    """``distribute_nodes`` (epoch.rs); interleave 2 shuffles with a fixed seed here."""
    if interleave == 0:
        return list(range(validators_n)), list(range(validators_n, network_n))
    if interleave == 1:
        step = network_n // validators_n
        vals = [i for i in range(network_n) if i % step == 0]
        return vals, [i for i in range(network_n) if i % step != 0]
    uids = list(range(network_n))
    random.Random(seed).shuffle(uids)
    return uids[:validators_n], uids[validators_n:]


# ----------------------------------------------------------------------------- small graphs

def test_1_graph():
    """epoch.rs ``test_1_graph``: one neuron with a self-weight earns no rank/trust/incentive."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO)
    s.append_neuron(stake=1_000_000_000)
    s.set_weights(0, [0], [M])
    out = s.epoch(run_all)
    assert out.rank[0] == 0 and out.trust[0] == 0 and out.consensus[0] == 0
    assert out.incentive[0] == 0 and out.dividends[0] == 0


def test_10_graph():
    """epoch.rs ``test_10_graph``: 10 self-weighting neurons with stake 1 each."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO)
    for _ in range(10):
        s.append_neuron(stake=1, block=0)  # append_neuron(netuid, hotkey, 0)
    for i in range(10):
        s.set_weights(i, [i], [M])
    out = s.epoch(run_all)
    for i in range(10):
        assert out.rank[i] == 0 and out.trust[i] == 0 and out.consensus[i] == 0
        assert out.incentive[i] == 0 and out.dividends[i] == 0
        assert out.emission[i] == 99_999_999


def _init_run_epochs(network_n, validators, servers, epochs, stake_per_validator, server_self,
                     bonds_penalty, run):
    """epoch.rs ``init_run_epochs`` (uniform weights, append_neuron at block 0)."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO, bonds_penalty=bonds_penalty,
                  max_allowed_validators=len(validators))
    for key in range(network_n):
        s.append_neuron(stake=stake_per_validator if key in validators else 0, block=0)
    s.epoch(run)  # "run first epoch to set allowed validators"
    weights = [M // network_n] * len(servers)
    for uid in validators:
        s.set_weights(uid, servers, weights)
    if server_self:
        for uid in servers:
            s.set_weights(uid, [uid], [M])
    for _ in range(epochs):
        s.epoch(run)
    return s


@pytest.mark.parametrize("interleave", [0, 1, 2])
@pytest.mark.parametrize("server_self", [False, True])
def test_512_graph(interleave, server_self):
    """epoch.rs ``test_512_graph``: 512 nodes, 64 validators with 21M TAO / 64 each, 3 epochs."""
    validators, servers = distribute_nodes(64, 512, interleave)
    # one variant also runs the numpy version (the reference is slow at n = 512; the small
    # tests pin it to subtensor)
    run = run_no_reference if (interleave, server_self) == (0, False) else run_kernel_only
    s = _init_run_epochs(512, set(validators), servers, 3, 328_125_000_000_000, server_self, M, run)
    out = s.last
    bonds = s.bonds_dense()
    server, validator = servers[0], validators[0]
    for uid in validators:
        assert out.consensus[uid] == 0 and out.incentive[uid] == 0
        assert out.dividends[uid] == 1023          # floor(1 / 64 * 65_535)
        assert out.emission[uid] == 7_812_500      # 0.5 / 64 * 1_000_000_000
        assert bonds[uid, validator] == 0
        assert bonds[uid, server] == 65_535
    for uid in servers:
        assert out.consensus[uid] == 146 and out.incentive[uid] == 146  # floor(1 / 448 * 65_535)
        assert out.dividends[uid] == 0
        assert out.emission[uid] == 1_116_071     # floor(0.5 / 448 * 1_000_000_000)
        assert bonds[uid, validator] == 0 and bonds[uid, server] == 0


# ----------------------------------------------------------------------------- bonds

def test_bonds():
    """epoch.rs ``test_bonds`` (sparse): classic Yuma bonds EMA over 7 epochs, 4 validators.

    The float port gives 49151 for ``bonds[2][7]`` here; subtensor (and we) give 49150."""
    s = SubnetSim(block=1, tempo=1, max_allowed_validators=8, bonds_penalty=M)
    for stake in [1, 2, 3, 4, 0, 0, 0, 0]:
        s.append_neuron(stake)
    s.epoch(run_all)
    s.next_block()
    for uid in range(4):
        s.set_weights(uid, [4, 5, 6, 7], [M // 4, M // 2, (M // 4) * 3, M])
    s.epoch(run_all)
    b = s.bonds_dense()
    assert list(b[:4, 4]) == [16383, 32767, 49151, 65535]

    s.set_weights(0, [0], [M])  # self-weight only on val1
    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 4]) == [14582, 32767, 49151, 65535]

    s.set_weights(1, [1], [M])  # self-weight only on val2
    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 4]) == [12603, 28321, 49151, 65535]

    s.set_weights(2, [2], [M])  # self-weight only on val3
    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 7]) == [12602, 28320, 49150, 65535]

    s.set_weights(2, [7], [M])  # val3 -> srv4: 1
    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 7]) == [10951, 24609, 49150, 65535]

    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 7]) == [9559, 21482, 49150, 65535]

    s.next_block()
    s.epoch(run_all)
    assert list(s.bonds_dense()[:4, 7]) == [8376, 18824, 49150, 65535]


def test_active_stake():
    """epoch.rs ``test_active_stake``: stake of validators past the activity cutoff is masked."""
    n = 4
    s = SubnetSim(block=0, tempo=1, max_allowed_validators=n)
    for _ in range(n):
        s.append_neuron(1)
    s.epoch(run_all)
    s.next_block()
    for uid in range(2):
        s.set_weights(uid, [2, 3], [M // 2, M // 2])
    out = s.epoch(run_all)
    b = s.bonds_dense()
    for uid in range(n):
        if uid < 2:
            assert out.dividends[uid] == 32767        # floor(0.5 * 65_535)
        assert out.emission[uid] == 250_000_000       # 0.5 / 2 * 1_000_000_000
    for uid in range(2):
        assert list(b[uid, :2]) == [0, 0] and list(b[uid, 2:]) == [65535, 65535]

    s.run_to_block(5000 + 2)  # legacy ActivityCutoff (5000) + 2: uid 1's weights are stale
    s.set_weights(0, [2, 3], [M // 2, M // 2])
    out = s.epoch(run_all)
    b = s.bonds_dense()
    assert out.dividends[0] == 36044                  # floor((0.5 * 0.9 + 0.1) * 65_535)
    assert out.emission[0] == 274_999_999
    assert list(b[0, 2:]) == [65535, 65535]
    assert out.dividends[1] == 29490                  # floor(0.5 * 0.9 * 65_535)
    assert out.emission[1] == 224_999_999
    assert list(b[1, 2:]) == [53619, 53619]

    s.set_weights(1, [2, 3], [M // 2, M // 2])
    s.run_to_block(5000 + 3)
    out = s.epoch(run_all)
    b = s.bonds_dense()
    assert out.dividends[0] == 35716
    assert out.emission[0] == 272_501_132
    assert list(b[0, 2:]) == [65535, 65535]
    assert out.dividends[1] == 29818
    assert out.emission[1] == 227_498_866
    assert list(b[1, 2:]) == [54712, 54712]


def test_outdated_weights():
    """epoch.rs ``test_outdated_weights``: weights set before a uid was re-registered are masked."""
    n = 4
    s = SubnetSim(block=1, tempo=0, max_allowed_validators=n, bonds_penalty=M)
    for _ in range(n):
        s.append_neuron(1)
    s.epoch(run_all)
    s.next_block()
    for uid in range(2):
        s.set_weights(uid, [2, 3], [2 * (M // 3), M // 3])
    for uid in range(2, n):
        s.set_weights(uid, [uid], [M])
    s.epoch(run_all)
    s.replace_neuron(3, stake=0)  # a new key registers at capacity and prunes uid 3
    s.next_block()
    s.set_weights(0, [2, 3], [2 * (M // 3), M // 3])
    out = s.epoch(run_all)
    b = s.bonds_dense()
    assert out.dividends[0] == 32767                  # floor(0.5 * 65_535)
    assert out.emission[0] == 250_000_000
    assert b[0, 2] == 65535
    assert b[0, 3] == 65535                           # only uid0 has updated weights for new reg


def test_zero_weights():
    """epoch.rs ``test_zero_weights``: no / self / outdated weights give emission by stake."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO)
    s.append_neuron(1)
    s.append_neuron(0)
    out = s.epoch(run_all)
    assert list(out.emission) == [1_000_000_000, 0]
    s.set_weights(1, [1], [M])  # server self-weight
    out = s.epoch(run_all)
    assert list(out.emission) == [1_000_000_000, 0]
    s.run_to_block(2)
    s.set_weights(0, [1], [M])
    s.replace_neuron(1, stake=0)  # registered in the same block: uid 0's weight is outdated
    out = s.epoch(run_all)
    assert list(out.emission) == [1_000_000_000, 0]
    s.run_to_block(3)
    s.set_weights(0, [1], [M])
    out = s.epoch(run_all)
    assert list(out.emission) == [500_000_000, 500_000_000]


def test_deregistered_miner_bonds():
    """epoch.rs ``test_deregistered_miner_bonds``: bonds to a re-registered uid are reset."""
    n = 4
    s = SubnetSim(block=1, tempo=HIGH_TEMPO, max_allowed_validators=n, bonds_penalty=M)
    for _ in range(n):
        s.append_neuron(1)
    s.epoch(run_all)
    s.next_block()
    for uid in range(2):
        s.set_weights(uid, [2, 3], [2 * (M // 3), M // 3])
    s.next_block(2)
    s.hyper["tempo"] = 2
    s.epoch(run_all)
    b = s.bonds_dense()
    bond_0_2, bond_0_3 = b[0, 2], b[0, 3]
    assert bond_0_2 > 0 and bond_0_3 > 0
    s.hyper["tempo"] = HIGH_TEMPO
    s.next_block()
    s.replace_neuron(3, stake=0)
    for uid in range(2):
        s.set_weights(uid, [2, 3], [2 * (M // 3), M // 3])
    s.next_block()
    assert s.reg[3] >= s.block - 2
    s.hyper["tempo"] = 2
    s.epoch(run_all)
    b = s.bonds_dense()
    assert b[0, 2] >= bond_0_2
    assert b[0, 3] <= bond_0_3


@pytest.mark.parametrize("interleave", [0, 1, 2])
def test_validator_permits(interleave):
    """epoch.rs ``test_validator_permits``: top-k permits with a stake threshold."""
    for network_n, validators_n in [(2, 1), (4, 2), (8, 4)]:
        min_stake = validators_n
        for assignment in (0, 1):
            validators, servers = distribute_nodes(validators_n, network_n, interleave, seed=network_n)
            stake = [0] * network_n
            for v in validators:
                stake[v] = v + network_n if assignment == 1 else 1
            for sv in servers:
                stake[sv] = sv if assignment == 1 else 0
            s = SubnetSim(block=1, tempo=HIGH_TEMPO, yuma3=True, commit_reveal_enabled=True,
                          stake_threshold=min_stake, max_allowed_validators=validators_n)
            for key in range(network_n):
                s.append_neuron(stake[key])
            out = s.epoch(run_all)
            for v in validators:
                assert bool(out.validator_permit[v]) == (stake[v] >= min_stake)
            for sv in servers:
                assert not out.validator_permit[sv]
            for sv in servers:
                s.stake[sv] += 2 * network_n
            out = s.epoch(run_all)
            for v in validators:
                assert not out.validator_permit[v]
            for sv in servers:
                assert bool(out.validator_permit[sv]) == (stake[sv] + 2 * network_n >= min_stake)


def test_can_set_self_weight_as_subnet_owner():
    """epoch.rs ``test_can_set_self_weight_as_subnet_owner``: the owner's self-weight counts."""
    s = SubnetSim(block=2, tempo=360, yuma3=True, owner_uid=0)
    s.append_neuron(5_000_000_000_000, block=1)  # owner hotkey (uid 0)
    s.append_neuron(0, block=1)
    s.permit = [True, False]
    s.weights[0] = [(0, M // 2), (1, M // 2)]     # Weights::insert, not set_weights
    s.last_update = [2, 0]
    out = s.epoch(run_all, rao_emission=1_000_000_000)
    assert out.server_emission[0] > 0 and out.server_emission[1] > 0
    assert out.server_emission[0] == out.server_emission[1]


def test_epoch_outputs_single_staker_registered_no_weights():
    """epoch.rs ``test_epoch_outputs_single_staker_registered_no_weights``."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO, yuma3=True, commit_reveal_enabled=True)
    s.append_neuron(1)
    out = s.epoch(run_all, rao_emission=1_000_000_000)
    total = int(out.server_emission.sum()) + int(out.validator_emission.sum())
    assert abs(total - 1_000_000_000) <= 1_000


def test_last_update_size_mismatch():
    """epoch.rs ``test_last_update_size_mismatch``: a LastUpdate vector longer than n."""
    s = SubnetSim(block=1, tempo=HIGH_TEMPO)
    s.append_neuron(1_000_000_000)
    s.set_weights(0, [0], [M])
    inp = s.inputs()
    inp.last_update = np.array([1, 1, 1], dtype=np.uint64)
    out = run_all(inp)
    assert out.rank[0] == 0 and out.trust[0] == 0 and out.consensus[0] == 0
    assert out.incentive[0] == 0 and out.dividends[0] == 0


# ----------------------------------------------------------------------------- Yuma3

ALPHA_LOW, ALPHA_HIGH = fx.alpha_values_to_u16(fx.from_f64(0.1), fx.from_f64(0.3))  # set_alpha_values_32


def _setup_yuma3(stakes, **extra):
    """epoch.rs ``setup_yuma_3_scenario``: tempo 1, bonds penalty 0, bma 975_000, liquid alpha
    on with (0.1, 0.3), steepness 1000, kappa 32_767, 3 validator permits, first epoch run."""
    s = SubnetSim(block=1, tempo=1, yuma3=True, bonds_penalty=0, alpha_sigmoid_steepness=1000,
                  bonds_moving_average=975_000, kappa=M // 2, liquid_alpha_enabled=True,
                  alpha_low=ALPHA_LOW, alpha_high=ALPHA_HIGH, max_allowed_validators=3, **extra)
    for st in stakes:
        s.append_neuron(st)
    s.next_block()
    s.epoch(run_all)
    return s


def _set_yuma3_weights(s, weights, indices):
    for uid, w in enumerate(weights):
        s.set_weights(uid, indices, w)


def _run_and_check(s, target_bonds, target_dividends):
    """``run_epoch_and_check_bonds_dividends`` with its 1e-3 tolerance.

    Upstream only effectively checks dividends (its bond loop zips with ``.skip(3)`` on
    two-element rows); we also check the bonds of the validators on the servers."""
    s.next_block()
    out = s.epoch(run_all)
    div = out.dividends.astype(np.float64) / M
    assert np.all(np.abs(div - np.asarray(target_dividends)) <= 1e-3), (div, target_dividends)
    bonds = s.bonds_dense() / M
    nv = len(target_bonds)
    got = bonds[:nv, nv:nv + len(target_bonds[0])]
    assert np.all(np.abs(got - np.asarray(target_bonds)) <= 1e-3), (got, target_bonds)


K_FIRST = (
    [[[0.1013, 0.0], [0.1013, 0.0], [0.1013, 0.0]], [[0.0908, 0.1013], [0.3697, 0.0], [0.3697, 0.0]],
     [[0.0815, 0.1924], [0.3170, 0.1013], [0.5580, 0.0]], [[0.0731, 0.2742], [0.2765, 0.1924], [0.4306, 0.1013]],
     [[0.0656, 0.3478], [0.2435, 0.2742], [0.3589, 0.1924]], [[0.0588, 0.4139], [0.2157, 0.3478], [0.3089, 0.2742]]],
    [[0.8, 0.1, 0.1, 0, 0], [1, 0, 0, 0, 0], [0.9382, 0.0618, 0, 0, 0], [0.8819, 0.0773, 0.0407, 0, 0],
     [0.8564, 0.0844, 0.0592, 0, 0], [0.8418, 0.0884, 0.0697, 0, 0]],
    [[[M, 0]] * 3, [[0, M], [M, 0], [M, 0]], [[0, M], [0, M], [M, 0]], [[0, M]] * 3],
)
K_SECOND = (
    [[[0.1013, 0.0], [0.1013, 0.0], [0.1013, 0.0]], [[0.1924, 0.0], [0.0908, 0.2987], [0.1924, 0.0]],
     [[0.1715, 0.1013], [0.0815, 0.3697], [0.4336, 0.0]], [[0.1531, 0.1924], [0.0731, 0.4336], [0.3608, 0.1013]],
     [[0.1369, 0.2742], [0.0656, 0.4910], [0.3103, 0.1924]], [[0.1225, 0.3478], [0.0588, 0.5426], [0.2712, 0.2742]]],
    [[0.8, 0.1, 0.1, 0, 0], [0.8446, 0.0498, 0.1056, 0, 0], [0.6868, 0.3132, 0, 0, 0],
     [0.7421, 0.2090, 0.0489, 0, 0], [0.7625, 0.1706, 0.0669, 0, 0], [0.7730, 0.1508, 0.0762, 0, 0]],
    [[[M, 0]] * 3, [[M, 0], [0, M], [M, 0]], [[0, M], [0, M], [M, 0]], [[0, M]] * 3],
)
K_LAST = (
    [[[0.1013, 0.0], [0.1013, 0.0], [0.1013, 0.0]], [[0.1924, 0.0], [0.0908, 0.2987], [0.1924, 0.0]],
     [[0.2742, 0.0], [0.0815, 0.5081], [0.1715, 0.2987]], [[0.2416, 0.1013], [0.0731, 0.5580], [0.1531, 0.3697]],
     [[0.2141, 0.1924], [0.0656, 0.6028], [0.1369, 0.4336]], [[0.1903, 0.2742], [0.0588, 0.6430], [0.1225, 0.4910]]],
    [[0.8, 0.1, 0.1, 0, 0], [0.8446, 0.0498, 0.1056, 0, 0], [0.8966, 0.0333, 0.0701, 0, 0],
     [0.4663, 0.3210, 0.2127, 0, 0], [0.5976, 0.2340, 0.1683, 0, 0], [0.6592, 0.1932, 0.1475, 0, 0]],
    [[[M, 0]] * 3, [[M, 0], [0, M], [M, 0]], [[M, 0], [0, M], [0, M]], [[0, M]] * 3],
)


@pytest.mark.parametrize("case", ["first", "second", "last"])
def test_yuma_3_kappa_moves(case):
    """epoch.rs ``test_yuma_3_kappa_moves_first`` / ``_second`` / ``_last``."""
    target_bonds, target_divs, weights = {"first": K_FIRST, "second": K_SECOND, "last": K_LAST}[case]
    s = _setup_yuma3([8, 1, 1, 0, 0])
    for epoch in range(6):
        if epoch < 4:
            _set_yuma3_weights(s, weights[epoch], [3, 4])
        _run_and_check(s, target_bonds[epoch], target_divs[epoch])


def test_yuma_3_one_epoch_switch():
    """epoch.rs ``test_yuma_3_one_epoch_switch``."""
    bonds = [[[0.1013, 0.0], [0.1013, 0.0], [0.1013, 0.0]], [[0.1924, 0.0], [0.1924, 0.0], [0.1924, 0.0]],
             [[0.2742, 0.0], [0.2742, 0.0], [0.1715, 0.2987]], [[0.3478, 0.0], [0.3478, 0.0], [0.2554, 0.2618]],
             [[0.4139, 0.0], [0.4139, 0.0], [0.3309, 0.2312]], [[0.4733, 0.0], [0.4733, 0.0], [0.3987, 0.2051]]]
    divs = [[0.33, 0.33, 0.34, 0, 0], [0.33, 0.33, 0.34, 0, 0], [0.3782, 0.3782, 0.2436, 0, 0],
            [0.3628, 0.3628, 0.2745, 0, 0], [0.3541, 0.3541, 0.2917, 0, 0], [0.3487, 0.3487, 0.3026, 0, 0]]
    s = _setup_yuma3([33, 33, 34, 0, 0])
    for epoch in range(6):
        w = [[M, 0], [M, 0], [0, M]] if epoch == 2 else [[M, 0]] * 3
        _set_yuma3_weights(s, w, [3, 4])
        _run_and_check(s, bonds[epoch], divs[epoch])


def test_yuma_3_liquid_alpha_disabled():
    """epoch.rs ``test_yuma_3_liquid_alpha_disabled`` (its bond targets include the validator
    columns: three entries per row, uids 2..4)."""
    bonds = [[[0.0, 0.0250, 0.0], [0.0, 0.0250, 0.0], [0.0, 0.0250, 0.0]],
             [[0.0, 0.0494, 0.0], [0.0, 0.0494, 0.0], [0.0, 0.0494, 0.0]],
             [[0.0, 0.0731, 0.0], [0.0, 0.0731, 0.0], [0.0, 0.0481, 0.0250]],
             [[0.0, 0.0963, 0.0], [0.0, 0.0963, 0.0], [0.0, 0.0719, 0.0244]],
             [[0.0, 0.1189, 0.0], [0.0, 0.1189, 0.0], [0.0, 0.0951, 0.0238]],
             [[0.0, 0.1409, 0.0], [0.0, 0.1409, 0.0], [0.0, 0.1178, 0.0232]]]
    divs = [[0.33, 0.33, 0.34, 0, 0], [0.33, 0.33, 0.34, 0, 0], [0.3734, 0.3734, 0.2532, 0, 0],
            [0.3611, 0.3611, 0.2779, 0, 0], [0.3541, 0.3541, 0.2919, 0, 0], [0.3495, 0.3495, 0.3009, 0, 0]]
    s = _setup_yuma3([33, 33, 34, 0, 0])
    s.hyper["liquid_alpha_enabled"] = False
    for epoch in range(6):
        w = [[M, 0], [M, 0], [0, M]] if epoch == 2 else [[M, 0]] * 3
        _set_yuma3_weights(s, w, [3, 4])
        s.next_block()
        out = s.epoch(run_all)
        div = out.dividends.astype(np.float64) / M
        assert np.all(np.abs(div - np.asarray(divs[epoch])) <= 1e-3), (epoch, div)
        # the upstream bond rows (uids 2, 3, 4) never reach its assertion; what subtensor
        # stores here is floor(b * 65535) of an EMA with alpha 0.025 on the servers:
        got = s.bonds_dense()[:3, 3:] / M
        assert np.all(np.abs(got - np.asarray(bonds[epoch])[:, 1:]) <= 1e-3), (epoch, got)


def test_yuma_3_stable_miner():
    """epoch.rs ``test_yuma_3_stable_miner`` (3 servers, one stable)."""
    bonds = [[[0.0507, 0.0, 0.0507], [0.0507, 0.0, 0.0507], [0.0507, 0.0, 0.0507]],
             [[0.0962, 0.0, 0.0962], [0.0455, 0.1, 0.0962], [0.0962, 0.0, 0.0962]],
             [[0.0863, 0.0507, 0.1371], [0.0408, 0.1405, 0.1371], [0.1770, 0.0, 0.1371]],
             [[0.0774, 0.0962, 0.1739], [0.0367, 0.1770, 0.1739], [0.1579, 0.0507, 0.1739]],
             [[0.0694, 0.1371, 0.2069], [0.0329, 0.2097, 0.2069], [0.1411, 0.0962, 0.2069]],
             [[0.0623, 0.1739, 0.2366], [0.0296, 0.2391, 0.2366], [0.1263, 0.1371, 0.2366]]]
    divs = [[0.8, 0.1, 0.1, 0, 0, 0], [0.8226, 0.0745, 0.1028, 0, 0, 0], [0.7750, 0.1685, 0.0565, 0, 0, 0],
            [0.7864, 0.1372, 0.0764, 0, 0, 0], [0.7912, 0.1241, 0.0847, 0, 0, 0], [0.7937, 0.1173, 0.0890, 0, 0, 0]]
    h = M // 2
    weights = [[[h, 0, h]] * 3, [[h, 0, h], [0, h, h], [h, 0, h]], [[0, h, h], [0, h, h], [h, 0, h]],
               [[0, h, h]] * 3]
    s = _setup_yuma3([8, 1, 1, 0, 0, 0])
    for epoch in range(6):
        if epoch < 4:
            _set_yuma3_weights(s, weights[epoch], [3, 4, 5])
        _run_and_check(s, bonds[epoch], divs[epoch])


def test_yuma_3_bonds_reset():
    """epoch.rs ``test_yuma_3_bonds_reset``: ``do_reset_bonds`` on uid 3 at epoch 20."""
    divs = {0: [0.8, 0.1, 0.1, 0, 0], 1: [0.8944, 0.0528, 0.0528, 0, 0], 2: [0.5230, 0.2385, 0.2385, 0, 0],
            19: [0.7919, 0.1040, 0.1040, 0, 0], 20: [0.7928, 0.1036, 0.1036, 0, 0],
            21: [0.8467, 0.0766, 0.0766, 0, 0], 40: [0.7928, 0.1036, 0.1036, 0, 0]}
    bonds = {0: [[0.1013, 0.0], [0.1013, 0.0], [0.1013, 0.0]], 1: [[0.1924, 0.0], [0.0908, 0.2987], [0.0908, 0.2987]],
             2: [[0.1715, 0.1013], [0.0815, 0.3697], [0.0815, 0.3697]],
             19: [[0.0269, 0.8539], [0.0131, 0.8975], [0.0131, 0.8975]],
             20: [[0.0, 0.8687], [0.0, 0.9079], [0.0, 0.9079]], 21: [[0.0, 0.8820], [0.2987, 0.6386], [0.2987, 0.6386]],
             40: [[0.8687, 0.0578], [0.9079, 0.0523], [0.9079, 0.0523]]}
    s = _setup_yuma3([8, 1, 1, 0, 0])
    for epoch in range(41):
        if epoch == 0:
            w = [[M, 0]] * 3
        elif epoch == 1:
            w = [[M, 0], [0, M], [0, M]]
        elif epoch <= 20:
            w = [[0, M]] * 3
        elif epoch == 21:
            w = [[0, M], [M, 0], [M, 0]]
        else:
            w = [[M, 0]] * 3
        _set_yuma3_weights(s, w, [3, 4])
        if epoch == 20:
            s.reset_bonds_to(3)  # BondsResetOn
        if epoch in divs:
            _run_and_check(s, bonds[epoch], divs[epoch])
        else:
            s.next_block()
            s.epoch(run_kernel_only)


def test_liquid_alpha_equal_values_against_itself():
    """epoch.rs ``test_liquid_alpha_equal_values_against_itself`` (adapted to the sparse
    functions: every entry is present, zero weights included, as in the dense original).

    With alpha_low == alpha_high == 65535 / 10 the liquid-alpha EMA equals the plain EMA
    with bonds moving average 900_000 within 1e-3."""
    w = [[0.0, 0.1, 0.0], [0.0, 0.2, 0.4], [0.0, 0.3, 0.1], [0.0, 0.4, 0.5]]
    b = [[0.1, 0.1, 0.5], [0.0, 0.0, 0.4], [0.5, 0.1, 0.1], [0.0, 0.4, 0.2]]
    consensus = [fx.from_f32(x) for x in (0.3, 0.2, 0.1, 0.4)]
    wm = [[(j, fx.from_f32(v)) for j, v in enumerate(row)] for row in w]
    bm = [[(j, fx.from_f32(v)) for j, v in enumerate(row)] for row in b]
    lo, hi = fx.alpha_values_fixed(M // 10, M // 10)
    p = dict(alpha_low=lo, alpha_high=hi, steep_div=fx.saturating_div(fx.from_int(1000), fx.from_int(-100)))
    # the dense original uses a 4 x 3 matrix with 4 consensus values; columns 0..2 here
    alphas = [[ref.liquid_alpha(consensus[j], wv, bv, p) for j, ((_, wv), (_, bv)) in enumerate(zip(wr, br))]
              for wr, br in zip(wm, bm)]
    on = ref.mat_ema_alpha(wm, bm, alphas)
    off = ref.mat_ema(wm, bm, fx.ema_alpha_from_moving_average(900_000))
    dense_on = [ref.densify(r, 3) for r in on]
    dense_off = [ref.densify(r, 3) for r in off]
    assert np.all(np.abs(np.array(dense_on) - np.array(dense_off)) <= fx.from_f64(1e-3))


# ----------------------------------------------------------------------------- commit-reveal

def _cr_inputs(reg, commit_block, enabled=True, **kw):
    n = len(reg)
    return EpochInputs(
        alpha_stake=np.array([10_000] + [0] * (n - 1), dtype=np.uint64),
        weights=SparseRows.from_rows([[(j, M // 3) for j in range(1, n)]] + [[] for _ in range(n - 1)]),
        bonds=SparseRows.empty(n), validator_permit=np.array([True] + [False] * (n - 1)),
        last_update=np.full(n, 100, dtype=np.uint64), block_at_registration=np.array(reg, dtype=np.uint64),
        current_block=101, rao_emission=1_000, tempo=8, commit_reveal_enabled=enabled,
        commit_block=np.array(commit_block, dtype=np.uint64), max_allowed_validators=1, **kw)


def test_epoch_masks_weights_to_uids_registered_after_commit():
    """Adapted from epoch.rs ``test_epoch_masks_incoming_to_sniped_uid_prevents_inheritance`` and
    ``test_epoch_does_not_mask_outside_window_but_masks_inside``, at the kernel's interface
    (the pallet supplies each validator's earliest non-expired commit block): weights of a
    validator to uids registered after that commit get no incentive; older uids keep theirs."""
    u64max = (1 << 64) - 1
    out = run_all(_cr_inputs(reg=[1, 5, 60, 60], commit_block=[50, u64max, u64max, u64max]))
    assert out.incentive[1] > 0
    assert out.incentive[2] == 0 and out.incentive[3] == 0
    assert out.rank[2] == 0


def test_epoch_no_mask_when_commit_reveal_disabled():
    """Adapted from epoch.rs ``test_epoch_no_mask_when_commit_reveal_disabled``."""
    u64max = (1 << 64) - 1
    out = run_all(_cr_inputs(reg=[1, 5, 60, 60], commit_block=[50, u64max, u64max, u64max], enabled=False))
    assert out.incentive[1] > 0 and out.incentive[2] > 0 and out.incentive[3] > 0
