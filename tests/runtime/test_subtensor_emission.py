"""Emission: halvings, the per-subnet split by EMA price, epoch scheduling and alpha payouts, conservation."""
import math
import random
from fractions import Fraction

import pytest

from runtime.pallets import balances
from runtime.pallets.subtensor import epoch as epoch_module
from runtime.pallets.subtensor import events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor import coinbase
from runtime.pallets.subtensor.coinbase import block_emission_for_issuance, proportion_of
from runtime.pallets.subtensor.stake import pool
from runtime.pallets.subtensor.epoch import gather_epoch_inputs
from runtime.pallets.subtensor.types import TOTAL_SUPPLY
from primitives.ss58 import ss58_encode
from tests.runtime.helpers import ALICE, BOB, FERDIE
from tests.runtime.subtensor_setup import (
    TAO, assert_issuance_conserved, call, ext_with, hot, register, register_subnet,
    spec_with, stake, subnet_with_validators,
)
from tests.runtime import helpers

MILLION = 1_000_000 * TAO


# --- halvings -------------------------------------------------------------------------------------
def subtensor_fixed_point_emission(issuance: int) -> int:
    """get_block_emission_for_issuance in I96F32 bits (32 fractional bits), floor log2."""
    if issuance >= TOTAL_SUPPLY:
        return 0
    x = (issuance << 32) // TOTAL_SUPPLY                 # issuance / (2 * 10.5M TAO)
    one_minus = (1 << 32) - x
    inverse = (1 << 64) // one_minus                     # 1 / (1 - x)
    k = inverse.bit_length() - 1 - 32                    # floor(log2)
    multiplier = 1 << k
    percentage = (1 << 32) // multiplier                 # 1 / 2^k
    return (percentage * 1_000_000_000) >> 32


@pytest.mark.parametrize("issuance, emission", [
    (0, 10**9),
    (10_500_000 * TAO - 1, 10**9),
    (10_500_000 * TAO, 500_000_000),
    (15_750_000 * TAO - 1, 500_000_000),
    (15_750_000 * TAO, 250_000_000),
    (18_375_000 * TAO - 1, 250_000_000),
    (18_375_000 * TAO, 125_000_000),
    (19_687_500 * TAO, 62_500_000),
    (20_343_750 * TAO, 31_250_000),
    (TOTAL_SUPPLY - 1, 0),
    (TOTAL_SUPPLY, 0),
    (30 * MILLION, 0),
])
def test_halving_boundaries(issuance, emission):
    assert block_emission_for_issuance(issuance) == emission


def test_integer_rule_equals_subtensors_fixed_point_rule():
    rng = random.Random(1)
    boundaries = [TOTAL_SUPPLY - (TOTAL_SUPPLY >> k) for k in range(1, 40)]
    samples = [b + d for b in boundaries for d in (-10**7, -4_900_000, -1, 0, 1, 4_900_000)]
    samples += [rng.randrange(0, TOTAL_SUPPLY + 10**15) for _ in range(20_000)]
    for issuance in samples:
        if issuance >= 0:
            assert block_emission_for_issuance(issuance) == subtensor_fixed_point_emission(issuance), issuance


def set_issuance(ext, total: int) -> None:
    """Move Ferdie's balance so that TotalIssuance (balances + stake) is exactly `total`."""
    current = balances.TotalIssuance.get(ext.state) + S.TotalStake.get(ext.state)
    ext.call(None, "Balances", "force_set_balance", who=("Id", FERDIE),
             new_free=balances.free_balance(ext.ctx, FERDIE) + total - current)


def ext_with_issuance(total: int, **cfg):
    """Alice holds 1M TAO, Ferdie the rest of `total`."""
    accounts = [[ss58_encode(ALICE), MILLION], [ss58_encode(FERDIE), total - MILLION]]
    ext = helpers.TestExternalities.dev(spec_with(balances_override=accounts, **cfg))
    set_issuance(ext, total)
    ext.next_block()
    return ext


def test_block_emission_halves_on_chain_at_10_5m_tao():
    ext = ext_with_issuance(10_500_000 * TAO - 1)
    netuid = register_subnet(ext)
    for _ in range(30):                       # the EMA price (the emission share) needs ~16 blocks to leave 0
        ext.next_block()
    set_issuance(ext, 10_500_000 * TAO - 1)
    ext.next_block()
    assert S.BlockEmission.get(ext.state) == 10**9
    set_issuance(ext, 10_500_000 * TAO)
    ext.next_block()
    assert S.BlockEmission.get(ext.state) == 500_000_000
    injected = S.SubnetTaoInEmission.get(ext.state, netuid) + S.SubnetExcessTao.get(ext.state, netuid)
    assert S.TotalIssuance.get(ext.state) == 10_500_000 * TAO + injected
    assert 0 < injected <= 500_000_000


def test_issuance_never_passes_21m():
    ext = ext_with_issuance(TOTAL_SUPPLY - 40 * TAO)
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob"], coldkey=ALICE)
    stake(ext, "Bob", netuid, 10 * TAO, coldkey=ALICE)
    for _ in range(300):
        ext.next_block()
        assert S.TotalIssuance.get(ext.state) <= TOTAL_SUPPLY
    assert S.TotalIssuance.get(ext.state) > TOTAL_SUPPLY - 41 * TAO     # 1 TAO burned, then emission
    assert_issuance_conserved(ext)


# --- the split ------------------------------------------------------------------------------------
def test_block_emission_is_split_by_ema_price():
    ext = ext_with()
    register_subnet(ext)                                   # 100 TAO lock
    register_subnet(ext, BOB, hot("Bob"))                  # 200 TAO lock (doubled)
    stake(ext, "Alice", 2, 300 * TAO, coldkey=BOB)
    for _ in range(30):
        ext.next_block()
    shares = coinbase.emission_shares(ext.state, [1, 2])
    prices = {n: coinbase.moving_price_bits(ext.state, n) for n in (1, 2)}
    assert prices[1] > 0 and prices[2] > 0          # EMAs of min(price, 1)
    assert abs(shares[1] - (prices[1] << 64) // (prices[1] + prices[2])) <= 1
    issuance = S.TotalIssuance.get(ext.state)
    ext.next_block()
    e = S.BlockEmission.get(ext.state)
    injected = {n: S.SubnetTaoInEmission.get(ext.state, n) + S.SubnetExcessTao.get(ext.state, n) for n in (1, 2)}
    for n in (1, 2):
        assert abs(injected[n] - (e * shares[n] >> 64)) <= 2
    assert S.TotalIssuance.get(ext.state) == issuance + sum(injected.values())


# --- epochs ---------------------------------------------------------------------------------------
def test_epoch_runs_every_tempo_blocks_from_a_staggered_start():
    ext = ext_with()
    netuid = register_subnet(ext)
    registered = ext.number
    assert S.LastEpochBlock.get(ext.state, netuid) == registered - netuid % 10
    blocks = []
    for _ in range(35):
        ext.next_block()
        if S.LastEpochBlock.get(ext.state, netuid) == ext.number:
            blocks.append(ext.number)
    first = registered - 1 + 10
    assert blocks == [first, first + 10, first + 20]
    assert S.SubnetEpochIndex.get(ext.state, netuid) == 3
    assert S.BlocksSinceLastStep.get(ext.state, netuid) == ext.number - blocks[-1]


def test_max_epochs_per_block_defers_the_rest():
    ext = ext_with(maxEpochsPerBlock=1)
    register_subnet(ext)
    register_subnet(ext, BOB, hot("Bob"))
    due = S.LastEpochBlock.get(ext.state, 1) + 10
    call(ext, None, "sudo_set_tempo", netuid=2, tempo=due - S.LastEpochBlock.get(ext.state, 2))  # both due together
    ext.run_to_block(due)
    assert S.LastEpochBlock.get(ext.state, 1) == due and S.LastEpochBlock.get(ext.state, 2) < due
    assert events.EpochDeferred(2, due, due + 1) in ext.events()
    ext.next_block()
    assert S.LastEpochBlock.get(ext.state, 2) == due + 1


def test_a_failing_kernel_skips_the_epoch_and_keeps_the_emission(monkeypatch):
    ext = ext_with()
    netuid = register_subnet(ext)

    def broken(_inputs):
        raise ValueError("kernel bug")   # a deterministic bug; an environment fault aborts the block instead

    monkeypatch.setattr(epoch_module, "run_kernel", broken)
    due = S.LastEpochBlock.get(ext.state, netuid) + 10
    ext.run_to_block(due - 1)
    pending = S.PendingServerEmission.get(ext.state, netuid)
    ext.next_block()
    assert events.EpochSkipped(netuid, due) in ext.events()
    assert S.LastEpochBlock.get(ext.state, netuid) == due
    assert S.PendingServerEmission.get(ext.state, netuid) > pending > 0      # kept, and this block's added
    assert_issuance_conserved(ext)


def u96f32_share(amount: int, value_u16: int) -> int:
    """subtensor's owner cut and hotkey take, written from its semantics with Fraction (not the pallet's helper):
    `U96F32(value).safe_div(U96F32(u16::MAX))` keeps 32 fraction bits, truncated; `amount * that` is floored
    by `to_num::<u64>()`."""
    proportion = Fraction(math.floor(Fraction(value_u16, 65_535) * 2**32), 2**32)
    return math.floor(amount * proportion)


def test_u16_proportions_truncate_to_32_fraction_bits():
    # 11_796 / 65_535 as U96F32 is 773_074_452 / 2**32; the truncation shows first at 21_845 rao
    assert math.floor(Fraction(11_796, 65_535) * 2**32) == 773_074_452
    assert u96f32_share(10**9, 11_796) == 179_995_422 == 10**9 * 11_796 // 65_535
    assert u96f32_share(21_845, 11_796) == 3_931 == 21_845 * 11_796 // 65_535 - 1
    assert proportion_of(21_845, 11_796) == 3_931
    rng = random.Random(11)
    for _ in range(2_000):
        amount, value = rng.choice([rng.randrange(1 << 64), rng.randrange(10**6)]), rng.randrange(65_536)
        assert proportion_of(amount, value) == u96f32_share(amount, value), (amount, value)


def test_gathering_inputs_only_reads():
    ext, netuid = subnet_with_validators()
    call(ext, hot("Bob"), "set_weights", netuid=netuid, dests=[3, 4], weights=[2, 1], version_key=0)
    before = ext.snapshot()
    inputs, hotkeys = gather_epoch_inputs(ext.state, netuid, ext.number, 12345)
    assert ext.snapshot() == before
    assert hotkeys == [hot(n) for n in ("Alice", "Bob", "Charlie", "Dave", "Eve")]
    assert list(inputs.alpha_stake) == [S.TotalHotkeyAlpha.get(ext.state, hk, netuid) for hk in hotkeys]
    assert list(inputs.tao_stake) == [S.TotalHotkeyAlpha.get(ext.state, hk, 0) for hk in hotkeys]
    assert inputs.tao_weight == S.TaoWeight.get(ext.state)
    assert inputs.alpha_stake[1] > 0 and inputs.alpha_stake[3] == 0
    assert inputs.weights[1] == [(3, 65535), (4, 32768)]
    assert list(inputs.validator_permit) == [True, True, True, False, False]
    assert inputs.owner_uid == 0 and inputs.tempo == 10 and inputs.rao_emission == 12345
    assert inputs.yuma3_enabled and inputs.kappa == 32_767


def test_epoch_outputs_are_persisted_and_paid_out():
    ext, netuid = subnet_with_validators()
    call(ext, FERDIE, "add_stake", hotkey=hot("Bob"), netuid=netuid, amount_staked=1000 * TAO)  # nominator
    call(ext, hot("Bob"), "set_weights", netuid=netuid, dests=[0, 3, 4], weights=[1, 3, 1], version_key=0)
    call(ext, hot("Charlie"), "set_weights", netuid=netuid, dests=[3, 4], weights=[1, 1], version_key=0)
    due = S.LastEpochBlock.get(ext.state, netuid) + 10
    ext.run_to_block(due - 1)
    names = ("Alice", "Bob", "Charlie", "Dave", "Eve")
    hk_stake = {n: S.TotalHotkeyAlpha.get(ext.state, hot(n), netuid) for n in names}
    bob_cold, ferdie = (pool.alpha_of(ext.state, hot("Bob"), c, netuid) for c in (BOB, FERDIE))
    captured = {}
    real_kernel = epoch_module.run_kernel

    def spy(inputs):
        captured["out"] = out = real_kernel(inputs)
        captured["rao"] = inputs.rao_emission
        return out

    epoch_module.run_kernel, saved = spy, epoch_module.run_kernel
    drained = {}
    real_distribute = epoch_module.distribute_emission

    def spy_distribute(ctx, netuid_, hotkeys, server_, validator_, *pending):
        drained["pending"] = pending
        return real_distribute(ctx, netuid_, hotkeys, server_, validator_, *pending)

    epoch_module.distribute_emission = spy_distribute
    try:
        ext.next_block()
    finally:
        epoch_module.run_kernel = saved
        epoch_module.distribute_emission = real_distribute
    out = captured["out"]
    p_server, p_validator, p_root, owner_cut = drained["pending"]
    assert captured["rao"] == p_server + p_validator + p_root
    assert owner_cut > 0 and p_server > 0 and p_validator > 0
    # outputs under subtensor's names
    assert S.Incentive.get(ext.state, netuid) == [int(v) for v in out.incentive]
    assert S.Dividends.get(ext.state, netuid) == [int(v) for v in out.dividends]
    assert S.Emission.get(ext.state, netuid) == [int(v) for v in out.emission]
    assert S.Consensus.get(ext.state, netuid) == [int(v) for v in out.consensus]
    assert S.ValidatorTrust.get(ext.state, netuid) == [int(v) for v in out.validator_trust]
    assert S.Active.get(ext.state, netuid) == [bool(v) for v in out.active]
    assert S.ValidatorPermit.get(ext.state, netuid) == [bool(v) for v in out.validator_permit]
    assert [S.Bonds.get(ext.state, netuid, uid) for uid in range(5)] == out.bonds.to_rows()
    assert S.LastMechansimStepBlock.get(ext.state, netuid) == due
    assert events.IncentiveAlphaEmittedToMiners(netuid, [int(v) for v in out.server_emission]) in ext.events()
    server, validator = out.server_emission, out.validator_emission
    assert server[3] > 0 and server[4] > 0 and validator[1] > 0 and validator[2] > 0
    assert server[0] > 0                                  # the owner hotkey earned incentive, which is withheld;
    assert S.TotalHotkeyAlpha.get(ext.state, hot("Alice"), netuid) == hk_stake["Alice"] + owner_cut   # it got the cut
    assert S.MinerBurned.get(ext.state, netuid)["bits"] > 0
    for uid, name in ((3, "Dave"), (4, "Eve")):          # miners: incentive staked to (hotkey, coldkey)
        assert S.TotalHotkeyAlpha.get(ext.state, hot(name), netuid) == hk_stake[name] + int(server[uid])
    # Bob's alpha dividends: take to Bob's coldkey, the rest raises Bob's pool (Ferdie gains pro rata)
    assert S.TotalHotkeyAlpha.get(ext.state, hot("Bob"), netuid) > hk_stake["Bob"]
    assert pool.alpha_of(ext.state, hot("Bob"), FERDIE, netuid) > ferdie
    assert pool.alpha_of(ext.state, hot("Bob"), BOB, netuid) > bob_cold
    assert S.AlphaDividendsPerSubnet.get(ext.state, netuid, hot("Bob")) > 0
    for item in (S.PendingServerEmission, S.PendingValidatorEmission, S.PendingOwnerCut):
        assert item.get(ext.state, netuid) == 0
    assert_issuance_conserved(ext)
