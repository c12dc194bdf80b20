"""``prepare.py`` and the permit step against subtensor's own stake / permit rules, on cases built
and worked out by hand (``epoch/run_epoch.rs epoch_mechanism``, ``staking/stake_utils.rs
get_stake_weights_for_network`` and ``get_tao_weight``, ``epoch/math.rs is_topk_nonzero``):

- total_i = alpha_i + tao_i * TaoWeight / u64::MAX (the weight truncated to 32 fraction bits);
- a total whose floor is below StakeThreshold counts as 0, except the subnet owner's;
- stake = total / sum (I64F64, truncated), narrowed to I32F32 (floor);
- new permits: the top MaxAllowedValidators non-zero stakes (ties: the lower uid loses), plus the owner.

The expected numbers below are worked by hand (comments), not with ``fixed.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from consensus.yuma import EpochInputs, kernel, prepare as prepare_module, run_epoch, run_epoch_reference

U64_MAX = (1 << 64) - 1


def inputs(alpha, *, tao=None, tao_weight=0, threshold=0, owner=None, permit=None, max_validators=64):
    n = len(alpha)
    return EpochInputs(
        alpha_stake=np.array(alpha, np.uint64), tao_stake=None if tao is None else np.array(tao, np.uint64),
        tao_weight=tao_weight, stake_threshold=threshold, owner_uid=owner,
        weights=[[] for _ in range(n)], bonds=[[] for _ in range(n)],
        validator_permit=np.array([True] * n if permit is None else permit), last_update=np.full(n, 99, np.uint64),
        block_at_registration=np.zeros(n, np.uint64), current_block=100, rao_emission=10**9,
        max_allowed_validators=max_validators)


def prepared_both_ways(inp):
    """prepare() with exact Python integers, and with the kernel's jitted stake path (when it applies)."""
    exact = prepare_module.prepare(inp)
    fast = prepare_module.prepare(inp, kernel._stake_fast)
    assert np.array_equal(exact.stake, fast.stake) and np.array_equal(exact.raw_stake, fast.raw_stake)
    return exact


def test_threshold_filters_all_but_the_owner():
    # alpha [5, 100, 30, 70], threshold 50, owner uid 0: uid 2 (30) drops, the owner's 5 stays.
    # sum 175: 5/175 = 1/35, 100/175 = 4/7, 70/175 = 2/5; in I32F32 bits floor(x * 2**32):
    # 2**32/35 = 122_713_351.3, 2**34/7 = 2_454_267_026.3, 2**33/5 = 1_717_986_918.4
    p = prepared_both_ways(inputs([5, 100, 30, 70], threshold=50, owner=0))
    assert p.stake.tolist() == [122_713_351, 2_454_267_026, 0, 1_717_986_918]
    assert p.raw_stake.tolist() == [5, 100, 30, 70]          # the unfiltered totals (EpochTerms.stake)
    # without an owner the 5 drops too: 100/170 = 10/17, 70/170 = 7/17
    p = prepared_both_ways(inputs([5, 100, 30, 70], threshold=50))
    assert p.stake.tolist() == [0, 2_526_451_350, 0, 1_768_515_945]   # floor(2**32*10/17), floor(2**32*7/17)


def test_threshold_compares_the_floor_of_the_total():
    # TaoWeight 2**62: 2**62/(2**64-1) = 0.25 + 2**-66..., truncated to 32 fraction bits exactly 0.25.
    # uid 0: 49 + 3 * 0.25 = 49.75, floor 49 < 50: filtered; uid 1: 49 + 4 * 0.25 = 50: kept;
    # uid 2: 0 + 400 * 0.25 = 100: kept. Sum 150: 1/3 and 2/3.
    p = prepared_both_ways(inputs([49, 49, 0], tao=[3, 4, 400], tao_weight=1 << 62, threshold=50))
    assert p.stake.tolist() == [0, 1_431_655_765, 2_863_311_530]   # floor(2**32/3), floor(2**33/3)
    assert p.raw_stake.tolist() == [49, 50, 100]


def test_tao_weight_truncates_to_32_fraction_bits():
    # TaoWeight u64::MAX is exactly 1; TaoWeight 1 is 2**-64, which truncates to 0 in U96F32
    p = prepared_both_ways(inputs([0, 10], tao=[10, 0], tao_weight=U64_MAX))
    assert p.stake.tolist() == [1 << 31, 1 << 31] and p.raw_stake.tolist() == [10, 10]
    p = prepared_both_ways(inputs([0, 10], tao=[10**18, 0], tao_weight=1))
    assert p.stake.tolist() == [0, 1 << 32] and p.raw_stake.tolist() == [0, 10]


def test_no_stake_stays_zero():
    p = prepared_both_ways(inputs([0, 0, 0], threshold=0))
    assert p.stake.tolist() == [0, 0, 0]


@pytest.mark.parametrize("run", [run_epoch, run_epoch_reference])
def test_new_permits_are_top_k_nonzero_plus_owner(run):
    # stakes [1, 50, 50, 50, 0], k = 2: ascending and stable, uids 4, 0, 1, 2, 3; the first n - k = 3
    # (4, 0, 1) lose their permit: of the tied 50s the lowest uid loses. The owner (uid 0) keeps one anyway.
    out = run(inputs([1, 50, 50, 50, 0], owner=0, max_validators=2))
    assert out.validator_permit.tolist() == [True, False, True, True, False]
    out = run(inputs([1, 50, 50, 50, 0], max_validators=2))
    assert out.validator_permit.tolist() == [False, False, True, True, False]
    # k >= n: every non-zero stake, never a zero one (unless it is the owner's)
    out = run(inputs([3, 0, 7], max_validators=8))
    assert out.validator_permit.tolist() == [True, False, True]
    out = run(inputs([3, 0, 7], owner=1, max_validators=8))
    assert out.validator_permit.tolist() == [True, True, True]
    # stake below the threshold is zero for the permit too
    out = run(inputs([30, 60, 70], threshold=50, max_validators=8))
    assert out.validator_permit.tolist() == [False, True, True]


@pytest.mark.parametrize("run", [run_epoch, run_epoch_reference])
def test_stake_weight_output_is_the_u16_proportion(run):
    # StakeWeight = floor(stake * 65535) with the I32F32 stake of the first case above:
    # 122_713_351 * 65535 >> 32 = 1_872, 2_454_267_026 * 65535 >> 32 = 37_448, 1_717_986_918 * 65535 >> 32 = 26_213
    out = run(inputs([5, 100, 30, 70], threshold=50, owner=0))
    assert out.stake_weight.tolist() == [1_872, 37_448, 0, 26_213]
    assert out.stake.tolist() == [5, 100, 30, 70]
