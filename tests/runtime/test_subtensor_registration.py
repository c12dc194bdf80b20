"""Subnet and neuron registration: lock cost, burn price, UIDs, pruning."""
import math
from fractions import Fraction

import nacl.signing
import pytest

from runtime.frame.dispatch import BadOrigin
from runtime.pallets import balances
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.networks import lock_reduction_interval, network_lock_cost
from runtime.pallets.subtensor.neurons import decay_factor_q32, pow_q32
from runtime.pallets.subtensor.types import DEFAULT_BURN_INCREASE_MULT
from tests.runtime.helpers import ALICE, BOB, CHARLIE, EVE as EVE_COLD
from tests.runtime.subtensor_setup import (
    TAO, assert_issuance_conserved, call, ext_with, hot, register, register_subnet, run_to_next_epoch, stake,
)

POOR = bytes(nacl.signing.SigningKey(b"\x09" * 32).verify_key)


# --- subnets --------------------------------------------------------------------------------------
def test_register_network_sets_up_the_subnet():
    ext = ext_with()
    free = balances.free_balance(ext.ctx, ALICE)
    netuid = register_subnet(ext)
    assert netuid == 1
    assert balances.free_balance(ext.ctx, ALICE) == free - 100 * TAO
    assert S.SubnetLocked.get(ext.state, 1) == S.SubnetTAO.get(ext.state, 1) == 100 * TAO
    assert S.SubnetOwner.get(ext.state, 1) == ALICE and S.SubnetOwnerHotkey.get(ext.state, 1) == hot("Alice")
    assert S.Keys.get(ext.state, 1, 0) == hot("Alice") and S.SubnetworkN.get(ext.state, 1) == 1
    assert S.Owner.get(ext.state, hot("Alice")) == ALICE
    assert S.Tempo.get(ext.state, 1) == 10 and S.MinAllowedWeights.get(ext.state, 1) == 1
    assert S.Burn.get(ext.state, 1) == TAO and S.Yuma3On.get(ext.state, 1)
    assert S.TokenSymbol.get(ext.state, 1) == "α".encode()
    assert events.NetworkAdded(1, 1) in ext.events()
    assert register_subnet(ext, BOB, hot("Bob")) == 2
    assert_issuance_conserved(ext)


def test_lock_cost_doubles_then_decays_linearly_to_the_floor():
    # 1.2M TAO endowed on the dev chain: no halving yet, so the reduction interval is as configured
    ext = ext_with(networkLockReductionInterval=500)
    assert S.BlockEmission.get(ext.state) == 1_000_000_000
    assert lock_reduction_interval(ext.state) == 500
    assert network_lock_cost(ext.state, ext.number) == 100 * TAO       # first: the floor, multiplier 1
    register_subnet(ext)
    assert S.NetworkLastLockCost.get(ext.state) == 100 * TAO
    assert network_lock_cost(ext.state, ext.number) == 200 * TAO       # doubled
    free = balances.free_balance(ext.ctx, BOB)
    register_subnet(ext, BOB, hot("Bob"))
    assert balances.free_balance(ext.ctx, BOB) == free - 200 * TAO
    registered_at = ext.number
    assert network_lock_cost(ext.state, ext.number) == 400 * TAO
    ext.run_to_block(registered_at + 100)
    per_block = 200 * TAO // 500
    assert network_lock_cost(ext.state, ext.number) == 400 * TAO - 100 * per_block   # 360 TAO
    ext.run_to_block(registered_at + 450)
    assert network_lock_cost(ext.state, ext.number) == 400 * TAO - 450 * per_block   # 220 TAO
    ext.run_to_block(registered_at + 760)
    assert network_lock_cost(ext.state, ext.number) == 100 * TAO       # 96 TAO by the line: floored
    free = balances.free_balance(ext.ctx, CHARLIE)
    register_subnet(ext, CHARLIE, hot("Charlie"))
    assert balances.free_balance(ext.ctx, CHARLIE) == free - 100 * TAO
    assert_issuance_conserved(ext)


def test_register_network_errors():
    ext = ext_with(networkRateLimit=5, subnetLimit=2)
    register_subnet(ext)
    with ext.assert_noop(Error.NetworkTxRateLimitExceeded):
        call(ext, BOB, "register_network", hotkey=hot("Bob"))
    ext.run_to_block(ext.number + 5)
    with ext.assert_noop(Error.NonAssociatedColdKey):          # Alice//hot belongs to Alice
        call(ext, BOB, "register_network", hotkey=hot("Alice"))
    call(ext, BOB, "register_network", hotkey=hot("Bob"))
    ext.run_to_block(ext.number + 5)
    with ext.assert_noop(Error.SubnetLimitReached):
        call(ext, CHARLIE, "register_network", hotkey=hot("Charlie"))
    call(ext, None, "sudo_set_subnet_limit", max_subnets=3)
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", POOR), value=50 * TAO)
    with ext.assert_noop(Error.CannotAffordLockCost):
        call(ext, POOR, "register_network", hotkey=hot("Poor"))


# --- burned registration ---------------------------------------------------------------------------
def test_burned_register_appends_uids_and_burns_the_price():
    ext = ext_with()
    netuid = register_subnet(ext)
    issuance = balances.TotalIssuance.get(ext.state)
    price = S.Burn.get(ext.state, netuid)
    free = balances.free_balance(ext.ctx, BOB)
    call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))
    assert balances.free_balance(ext.ctx, BOB) == free - price
    assert balances.TotalIssuance.get(ext.state) == issuance - price
    assert S.Uids.get(ext.state, netuid, hot("Bob")) == 1 and S.Keys.get(ext.state, netuid, 1) == hot("Bob")
    assert S.BlockAtRegistration.get(ext.state, netuid, 1) == ext.number
    assert S.Owner.get(ext.state, hot("Bob")) == BOB and S.OwnedHotkeys.get(ext.state, BOB) == [hot("Bob")]
    assert S.LastUpdate.get(ext.state, netuid) == [ext.number, ext.number]
    assert S.ValidatorPermit.get(ext.state, netuid) == [False, False]
    assert S.RAORecycledForRegistration.get(ext.state, netuid) == price
    assert events.NeuronRegistered(netuid, 1, hot("Bob")) in ext.events()
    assert_issuance_conserved(ext)


def test_burned_register_errors():
    ext = ext_with()
    netuid = register_subnet(ext)
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, BOB, "burned_register", netuid=5, hotkey=hot("Bob"))
    with ext.assert_noop(Error.RegistrationNotPermittedOnRootSubnet):
        call(ext, BOB, "burned_register", netuid=0, hotkey=hot("Bob"))
    call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))
    with ext.assert_noop(Error.HotKeyAlreadyRegisteredInSubNet):
        call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))
    register_subnet(ext, CHARLIE, hot("Charlie"))
    with ext.assert_noop(Error.NonAssociatedColdKey):                  # Bob//hot is Bob's
        call(ext, CHARLIE, "burned_register", netuid=2, hotkey=hot("Bob"))
    ext.call(ALICE, "Balances", "transfer_keep_alive", dest=("Id", POOR), value=S.Burn.get(ext.state, netuid) // 2)
    with ext.assert_noop(Error.NotEnoughBalanceToStake):
        call(ext, POOR, "burned_register", netuid=netuid, hotkey=hot("Poor"))
    with ext.assert_noop(Error.RegistrationPriceLimitExceeded):
        call(ext, BOB, "register_limit", netuid=netuid, hotkey=hot("Bob2"), limit_price=S.Burn.get(ext.state, netuid) - 1)
    call(ext, BOB, "register_limit", netuid=netuid, hotkey=hot("Bob2"), limit_price=S.Burn.get(ext.state, netuid))
    call(ext, None, "sudo_set_network_registration_allowed", netuid=netuid, registration_allowed=False)
    with ext.assert_noop(Error.SubNetRegistrationDisabled):
        call(ext, CHARLIE, "burned_register", netuid=netuid, hotkey=hot("Charlie2"))


# Q32 per-block decay factors: for these half-lives subtensor's binary search lands on the floor of the
# real root 2**32 * 2**(-1/half_life) (floor-rounded Q32 powers undershoot the exact ones, but not by a unit).
DECAY_FACTORS = {1: 2_147_483_648, 7: 3_890_053_517, 360: 4_286_705_684, 1000: 4_291_991_283,
                 36_100: 4_294_884_830}


def test_decay_factor_is_the_half_life_root():
    for half_life, factor in DECAY_FACTORS.items():
        assert factor == math.floor(2**32 * 0.5 ** (1 / half_life))      # independent: float maths
        assert decay_factor_q32(half_life) == factor
        assert pow_q32(factor, half_life) <= 1 << 31 < pow_q32(factor + 1, half_life)
    assert decay_factor_q32(0) == 1 << 32


def test_burn_decays_each_block_and_bumps_on_each_registration():
    ext = ext_with(burn=10 * TAO, minBurn=TAO, maxBurn=50 * TAO)
    netuid = register_subnet(ext)
    assert S.Burn.get(ext.state, netuid) == 10 * TAO
    # per block: Burn = floor(Burn * 4_286_705_684 / 2**32), the half-life-360 factor (10e9 * 2**(-1/360)
    # is 9_980_764_435.5 in real numbers)
    for burn in (9_980_764_435, 9_961_565_871, 9_942_404_236):
        ext.next_block()
        assert S.Burn.get(ext.state, netuid) == burn
    # per registration: Burn *= U64F64::from_num(1.26), i.e. 1.26_f64 exactly (1.2600000000000000088...),
    # floored: 9_942_404_236 * 1.26 = 12_527_429_337.36, then 12_527_429_337 * 1.26 = 15_784_560_964.62
    assert DEFAULT_BURN_INCREASE_MULT == round(Fraction(1.26) * 2**64) == 23_242_897_532_874_035_200
    call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))
    assert S.Burn.get(ext.state, netuid) == 12_527_429_337
    call(ext, CHARLIE, "burned_register", netuid=netuid, hotkey=hot("Charlie"))   # same block: bumps again
    burn = 15_784_560_964
    assert S.Burn.get(ext.state, netuid) == burn
    start = ext.number
    ext.run_to_block(start + 360)                        # one half-life later: half (floor rounding)
    assert 0.499 < S.Burn.get(ext.state, netuid) / burn <= 0.5


def test_burn_is_clamped_to_min_and_max():
    ext = ext_with(burn=TAO, minBurn=TAO, maxBurn=2 * TAO)
    netuid = register_subnet(ext)
    ext.next_block()
    assert S.Burn.get(ext.state, netuid) == TAO         # decay stops at MinBurn
    for name in ("Bob", "Charlie", "Dave", "Eve"):
        register(ext, netuid, [name])
    assert S.Burn.get(ext.state, netuid) == 2 * TAO     # bumps stop at MaxBurn
    call(ext, ALICE, "sudo_set_burn_increase_mult", netuid=netuid, burn_increase_mult={"bits": 3 << 64})
    call(ext, ALICE, "sudo_set_burn_half_life", netuid=netuid, burn_half_life=0)
    ext.next_block()
    assert S.Burn.get(ext.state, netuid) == 2 * TAO     # half-life 0: no decay
    with ext.assert_noop(Error.InvalidValue):
        call(ext, ALICE, "sudo_set_burn_increase_mult", netuid=netuid, burn_increase_mult={"bits": (1 << 64) - 1})


# --- pruning --------------------------------------------------------------------------------------
def full_subnet(immunity_period: int):
    """Owner + Bob (validator) + Charlie + Dave on a 4-UID subnet; Bob weights Dave; one epoch ran."""
    ext = ext_with(maxAllowedUids=4, immunityPeriod=immunity_period, minNonImmuneUids=0)
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob", "Charlie", "Dave"])
    stake(ext, "Bob", netuid, 100 * TAO)
    run_to_next_epoch(ext, netuid)                       # Bob gets a permit
    call(ext, hot("Bob"), "set_weights", netuid=netuid, dests=[3], weights=[1], version_key=0)
    call(ext, hot("Charlie"), "set_weights", netuid=netuid, dests=[2], weights=[1], version_key=0)
    run_to_next_epoch(ext, netuid)                       # Dave earns incentive, Charlie nothing
    return ext, netuid


def test_full_subnet_replaces_the_lowest_emission_non_immune_uid():
    ext, netuid = full_subnet(immunity_period=1)
    emission = S.Emission.get(ext.state, netuid)
    assert emission[3] > 0 and emission[2] == 0 and emission[1] > 0
    bob_row = S.Weights.get(ext.state, netuid, 1)
    call(ext, EVE_COLD, "burned_register", netuid=netuid, hotkey=hot("Eve"))
    assert S.SubnetworkN.get(ext.state, netuid) == 4
    assert S.Keys.get(ext.state, netuid, 2) == hot("Eve") and S.Uids.get(ext.state, netuid, hot("Eve")) == 2
    assert S.Uids.get(ext.state, netuid, hot("Charlie")) is None
    assert not S.IsNetworkMember.get(ext.state, hot("Charlie"), netuid)
    assert S.BlockAtRegistration.get(ext.state, netuid, 2) == ext.number
    assert S.LastUpdate.get(ext.state, netuid)[2] == ext.number
    assert S.Weights.get(ext.state, netuid, 2) == []                  # its own weights are gone
    assert S.Weights.get(ext.state, netuid, 1) == bob_row             # nobody weighted uid 2
    assert S.Emission.get(ext.state, netuid)[2] == 0
    assert events.NeuronRegistered(netuid, 2, hot("Eve")) in ext.events()


def test_replacement_zeroes_weights_to_the_pruned_uid():
    ext, netuid = full_subnet(immunity_period=1)
    call(ext, None, "sudo_set_min_non_immune_uids", netuid=netuid, min=0)
    call(ext, hot("Bob"), "set_weights", netuid=netuid, dests=[2, 3], weights=[1, 1], version_key=0)
    # Charlie (uid 2) still has the lowest emission: Bob's row keeps the entry, at weight 0
    call(ext, EVE_COLD, "burned_register", netuid=netuid, hotkey=hot("Eve"))
    assert S.Weights.get(ext.state, netuid, 1) == [(2, 0), (3, 65535)]


def test_immune_uids_are_skipped_while_enough_non_immune_exist():
    ext = ext_with(maxAllowedUids=4, immunityPeriod=20, minNonImmuneUids=0)
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob", "Charlie"])
    ext.run_to_block(ext.number + 25)                    # Bob and Charlie lose immunity
    register(ext, netuid, ["Dave"])                      # Dave: immune, all emissions 0
    call(ext, EVE_COLD, "burned_register", netuid=netuid, hotkey=hot("Eve"))
    assert S.Keys.get(ext.state, netuid, 1) == hot("Eve")          # earliest registered non-immune, lowest uid
    assert S.Keys.get(ext.state, netuid, 3) == hot("Dave")
    # MinNonImmuneUids: with no more than that many non-immune UIDs, the best immune one goes instead
    call(ext, None, "sudo_set_min_non_immune_uids", netuid=netuid, min=1)
    register(ext, netuid, ["Ferdie"])
    assert S.Uids.get(ext.state, netuid, hot("Ferdie")) in (1, 3)   # both immune now (Eve, Dave)
    assert S.Keys.get(ext.state, netuid, 2) == hot("Charlie")       # the only non-immune UID is kept


def test_owner_hotkey_is_never_pruned():
    ext = ext_with(maxAllowedUids=1, minNonImmuneUids=0, immunityPeriod=0)
    netuid = register_subnet(ext)
    with ext.assert_noop(Error.NoNeuronIdAvailable):
        call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))
    with ext.assert_noop(Error.InvalidValue):
        call(ext, ALICE, "sudo_set_max_allowed_uids", netuid=netuid, max_allowed_uids=0)
    with ext.assert_noop(BadOrigin):
        call(ext, BOB, "sudo_set_max_allowed_uids", netuid=netuid, max_allowed_uids=2)
    call(ext, ALICE, "sudo_set_max_allowed_uids", netuid=netuid, max_allowed_uids=2)
    call(ext, BOB, "burned_register", netuid=netuid, hotkey=hot("Bob"))



@pytest.mark.parametrize("name", ["sudo_set_kappa", "sudo_set_tempo"])
def test_root_only_setters_refuse_the_owner(name):
    ext = ext_with()
    netuid = register_subnet(ext)
    arg = {"sudo_set_kappa": "kappa", "sudo_set_tempo": "tempo"}[name]
    with ext.assert_noop(BadOrigin):
        call(ext, ALICE, name, netuid=netuid, **{arg: 7})
    call(ext, None, name, netuid=netuid, **{arg: 7})
    with ext.assert_noop(Error.SubnetNotExists):
        call(ext, None, name, netuid=9, **{arg: 7})
