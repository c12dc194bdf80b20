"""AdminUtils setters (Root or the subnet owner) and the chain-spec section."""
from typing import Any, NamedTuple

import pytest

from genesis.spec import dev_spec, genesis_storage
from runtime.frame.dispatch import BadOrigin
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets import admin_utils
from tests.runtime.helpers import ALICE, BOB
from tests.runtime.subtensor_setup import PALLET, TAO, call, ext_with, register_subnet


class Setter(NamedTuple):
    """What a setter call must do: write `item` (per subnet or global) for origins `who`, deposit `event`."""
    name: str
    arg: str
    is_bool: bool
    who: str            # "owner" (owner or root) | "subnet_owner" (owner only) | "root"
    item: Any
    event: Any
    per_subnet: bool


SETTERS = (
    Setter("sudo_set_weights_version_key", "weights_version_key", False, "owner", S.WeightsVersionKey, events.WeightsVersionKeySet, True),
    Setter("sudo_set_weights_set_rate_limit", "weights_set_rate_limit", False, "root", S.WeightsSetRateLimit, events.WeightsSetRateLimitSet, True),
    Setter("sudo_set_max_weight_limit", "max_weight_limit", False, "owner", S.MaxWeightsLimit, events.MaxWeightLimitSet, True),
    Setter("sudo_set_immunity_period", "immunity_period", False, "owner", S.ImmunityPeriod, events.ImmunityPeriodSet, True),
    Setter("sudo_set_min_allowed_weights", "min_allowed_weights", False, "owner", S.MinAllowedWeights, events.MinAllowedWeightSet, True),
    Setter("sudo_set_max_allowed_uids", "max_allowed_uids", False, "owner", S.MaxAllowedUids, events.MaxAllowedUidsSet, True),
    Setter("sudo_set_kappa", "kappa", False, "root", S.Kappa, events.KappaSet, True),
    Setter("sudo_set_rho", "rho", False, "owner", S.Rho, events.RhoSet, True),
    Setter("sudo_set_network_registration_allowed", "registration_allowed", True, "root", S.NetworkRegistrationAllowed, events.RegistrationAllowed, True),
    Setter("sudo_set_min_burn", "min_burn", False, "owner", S.MinBurn, events.MinBurnSet, True),
    Setter("sudo_set_max_burn", "max_burn", False, "owner", S.MaxBurn, events.MaxBurnSet, True),
    Setter("sudo_set_max_allowed_validators", "max_allowed_validators", False, "owner", S.MaxAllowedValidators, events.MaxAllowedValidatorsSet, True),
    Setter("sudo_set_bonds_moving_average", "bonds_moving_average", False, "owner", S.BondsMovingAverage, events.BondsMovingAverageSet, True),
    Setter("sudo_set_subnet_owner_cut", "subnet_owner_cut", False, "root", S.SubnetOwnerCut, events.SubnetOwnerCutSet, False),
    Setter("sudo_set_network_rate_limit", "rate_limit", False, "root", S.NetworkRateLimit, events.NetworkRateLimitSet, False),
    Setter("sudo_set_tempo", "tempo", False, "root", S.Tempo, events.TempoSet, True),
    Setter("set_tempo", "tempo", False, "subnet_owner", S.Tempo, events.TempoSet, True),
    Setter("sudo_set_network_min_lock_cost", "lock_cost", False, "root", S.NetworkMinLockCost, events.NetworkMinLockCostSet, False),
    Setter("sudo_set_subnet_limit", "max_subnets", False, "root", S.SubnetLimit, events.SubnetLimitSet, False),
    Setter("sudo_set_lock_reduction_interval", "interval", False, "root", S.NetworkLockReductionInterval, events.NetworkLockCostReductionIntervalSet, False),
    Setter("sudo_set_stake_threshold", "min_stake", False, "root", S.StakeThreshold, events.StakeThresholdSet, False),
    Setter("sudo_set_commit_reveal_weights_enabled", "enabled", True, "owner", S.CommitRevealWeightsEnabled, events.CommitRevealEnabled, True),
    Setter("sudo_set_liquid_alpha_enabled", "enabled", True, "owner", S.LiquidAlphaOn, None, True),
    Setter("sudo_set_bonds_penalty", "bonds_penalty", False, "owner", S.BondsPenalty, events.BondsPenaltySet, True),
    Setter("sudo_set_alpha_sigmoid_steepness", "steepness", False, "owner", S.AlphaSigmoidSteepness, events.AlphaSigmoidSteepnessSet, True),
    Setter("sudo_set_yuma3_enabled", "enabled", True, "owner", S.Yuma3On, None, True),
    Setter("sudo_set_min_non_immune_uids", "min", False, "root", S.MinNonImmuneUids, events.MinNonImmuneUidsSet, True),
    Setter("sudo_set_burn_half_life", "burn_half_life", False, "owner", S.BurnHalfLife, events.BurnHalfLifeSet, True),
    Setter("sudo_set_burn_increase_mult", "burn_increase_mult", False, "owner", S.BurnIncreaseMult, events.BurnIncreaseMultSet, True),
    Setter("sudo_set_max_epochs_per_block", "max_epochs_per_block", False, "root", S.MaxEpochsPerBlock, events.MaxEpochsPerBlockSet, False),
    Setter("set_activity_cutoff_factor", "factor_milli", False, "owner", S.ActivityCutoffFactorMilli, events.ActivityCutoffFactorMilliSet, True),
)


@pytest.fixture()
def net():
    ext = ext_with()
    return ext, register_subnet(ext)


@pytest.mark.parametrize("setter", [s for s in SETTERS if s.per_subnet], ids=lambda s: s.name)
def test_per_subnet_setter_origins(net, setter):
    ext, netuid = net
    value = {"bits": 2 << 64} if setter.arg == "burn_increase_mult" else \
        True if setter.is_bool else 5000 if setter.arg == "factor_milli" else 7
    value = {"max_allowed_uids": 300, "max_burn": 10**12}.get(setter.arg, value)
    value = 400 if setter.name == "set_tempo" else value
    owner_may = setter.who in ("owner", "subnet_owner")
    args = {"netuid": netuid, setter.arg: value}
    with ext.assert_noop(BadOrigin):                 # neither root nor the owner
        call(ext, BOB, setter.name, **args)
    if setter.who == "root":
        with ext.assert_noop(BadOrigin):             # the owner may not either
            call(ext, ALICE, setter.name, **args)
    if setter.who == "subnet_owner":
        with ext.assert_noop(BadOrigin):             # nor root
            call(ext, None, setter.name, **args)
    call(ext, ALICE if owner_may else None, setter.name, **args)
    assert setter.item.get(ext.state, netuid) == value
    if setter.event is not None:
        assert setter.event(netuid, value) in ext.events()
    with ext.assert_noop(Error.SubnetNotExists if setter.who == "root" else BadOrigin):
        call(ext, ALICE if owner_may else None, setter.name, **{**args, "netuid": 7})


def test_owner_set_tempo_is_bounded_and_restarts_the_epoch_cycle(net):
    ext, netuid = net
    for tempo in (359, 50_401):
        with ext.assert_noop(Error.TempoOutOfBounds):
            call(ext, ALICE, "set_tempo", netuid=netuid, tempo=tempo)
    ext.run_to_block(ext.number + 3)
    call(ext, ALICE, "set_tempo", netuid=netuid, tempo=360)
    assert S.Tempo.get(ext.state, netuid) == 360 and S.LastEpochBlock.get(ext.state, netuid) == ext.number


@pytest.mark.parametrize("setter", [s for s in SETTERS if not s.per_subnet], ids=lambda s: s.name)
def test_global_setters_are_root_only(net, setter):
    ext, _ = net
    with ext.assert_noop(BadOrigin):
        call(ext, ALICE, setter.name, **{setter.arg: 3})
    call(ext, None, setter.name, **{setter.arg: 3})
    assert setter.item.get(ext.state) == 3
    assert setter.event(3) in ext.events()


def test_call_indices_follow_admin_utils():
    admin = {spec.name: spec.index for spec in admin_utils.pallet.calls.values()}
    assert admin_utils.pallet.index == 19
    assert (admin["sudo_set_kappa"], admin["sudo_set_tempo"], admin["sudo_set_alpha_values"]) == (16, 30, 51)
    assert admin["sudo_set_weights_set_rate_limit"] == 7 and admin["sudo_set_commit_reveal_weights_enabled"] == 49
    calls = {spec.name: spec.index for spec in S.pallet.calls.values()}
    assert not any(name.startswith("sudo_") for name in calls)
    assert (calls["set_weights"], calls["add_stake"], calls["remove_stake"], calls["burned_register"],
            calls["register_network"], calls["set_mechanism_weights"]) == (0, 2, 3, 7, 59, 119)


def test_value_checks(net):
    ext, netuid = net
    with ext.assert_noop(Error.ActivityCutoffTooLow):
        call(ext, ALICE, "set_activity_cutoff_factor", netuid=netuid, factor_milli=999)
    with ext.assert_noop(Error.InvalidValue):
        call(ext, ALICE, "set_activity_cutoff_factor", netuid=netuid, factor_milli=50_001)
    with ext.assert_noop(Error.InvalidValue):
        call(ext, ALICE, "sudo_set_min_burn", netuid=netuid, min_burn=S.MaxBurn.get(ext.state, netuid) + 1)
    with ext.assert_noop(Error.InvalidValue):
        call(ext, ALICE, "sudo_set_bonds_moving_average", netuid=netuid, bonds_moving_average=1_000_001)


def test_alpha_values(net):
    ext, netuid = net
    with ext.assert_noop(Error.LiquidAlphaDisabled):
        call(ext, ALICE, "sudo_set_alpha_values", netuid=netuid, alpha_low=2000, alpha_high=3000)
    call(ext, ALICE, "sudo_set_liquid_alpha_enabled", netuid=netuid, enabled=True)
    with ext.assert_noop(Error.AlphaHighTooLow):
        call(ext, ALICE, "sudo_set_alpha_values", netuid=netuid, alpha_low=1000, alpha_high=1637)
    with ext.assert_noop(Error.AlphaLowOutOfRange):
        call(ext, ALICE, "sudo_set_alpha_values", netuid=netuid, alpha_low=1637, alpha_high=3000)
    with ext.assert_noop(Error.AlphaLowOutOfRange):
        call(ext, ALICE, "sudo_set_alpha_values", netuid=netuid, alpha_low=3001, alpha_high=3000)
    with ext.assert_noop(BadOrigin):
        call(ext, BOB, "sudo_set_alpha_values", netuid=netuid, alpha_low=2000, alpha_high=3000)
    call(ext, ALICE, "sudo_set_alpha_values", netuid=netuid, alpha_low=2000, alpha_high=3000)
    assert S.AlphaValues.get(ext.state, netuid) == (2000, 3000)


def test_tempo_zero_stops_epochs(net):
    ext, netuid = net
    call(ext, None, "sudo_set_tempo", netuid=netuid, tempo=0)
    assert events.TempoSet(netuid, 0) in ext.events()
    index = S.SubnetEpochIndex.get(ext.state, netuid)
    ext.run_to_block(ext.number + 30)
    assert S.SubnetEpochIndex.get(ext.state, netuid) == index


def test_chain_spec_section():
    ext = ext_with(tempo=7, immunityPeriod=9, networkMinLockCost=5 * TAO, stakeThreshold=11)
    assert S.StakeThreshold.get(ext.state) == 11
    assert S.NetworkMinLockCost.get(ext.state) == S.NetworkLastLockCost.get(ext.state) == 5 * TAO
    netuid = register_subnet(ext)
    assert S.Tempo.get(ext.state, netuid) == 7 and S.ImmunityPeriod.get(ext.state, netuid) == 9
    spec = dev_spec()
    assert spec["genesis"]["runtimeGenesis"]["config"]["subtensorModule"]["tempo"] == 10
    spec["genesis"]["runtimeGenesis"]["config"]["subtensorModule"]["tempoo"] = 1
    with pytest.raises(ValueError, match="tempoo"):
        genesis_storage(spec)
    assert PALLET == S.pallet.name


def test_every_setter_is_a_named_module_function():
    """Each setter is a `def` of its own (found by grep), not generated from a table at import."""
    from runtime.pallets.admin_utils import calls as admin_calls
    from runtime.pallets.subtensor import calls as subtensor_calls
    for setter in SETTERS:
        module = subtensor_calls if setter.name in ("set_tempo", "set_activity_cutoff_factor") else admin_calls
        fn = getattr(module, setter.name)
        assert fn.__name__ == setter.name and fn.__module__ == module.__name__
    assert set(admin_utils.pallet.calls) == {s.name for s in SETTERS if not s.name.startswith("set_")} | {
        "sudo_set_alpha_values"}
