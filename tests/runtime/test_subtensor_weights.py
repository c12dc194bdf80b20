"""set_weights: every check of subtensor's internal_set_weights, its order, and the stored weights."""
import random

import pytest

from runtime.frame.dispatch import BadOrigin
from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.weights import check_vec_max_limited, max_upscale_to_u16
from tests.runtime.helpers import ALICE
from tests.runtime.subtensor_setup import (
    call, ext_with, hot, register, register_subnet, subnet_with_validators,
)

BOB_UID, CHARLIE_UID, DAVE_UID, EVE_UID = 1, 2, 3, 4


@pytest.fixture()
def net():
    return subnet_with_validators()


def set_w(ext, name, netuid, dests, weights, version_key=0):
    call(ext, hot(name), "set_weights", netuid=netuid, dests=dests, weights=weights, version_key=version_key)


def sudo(ext, name, **args):
    call(ext, None, name, **args)


def test_validator_sets_weights_rescaled_to_65535(net):
    ext, netuid = net
    assert S.ValidatorPermit.get(ext.state, netuid)[BOB_UID]
    set_w(ext, "Bob", netuid, [DAVE_UID, EVE_UID], [100, 50])
    assert S.Weights.get(ext.state, netuid, BOB_UID) == [(DAVE_UID, 65535), (EVE_UID, 32768)]
    assert S.LastUpdate.get(ext.state, netuid)[BOB_UID] == ext.number
    assert events.WeightsSet(netuid, BOB_UID) in ext.events()


def test_commit_reveal_enabled(net):
    ext, netuid = net
    sudo(ext, "sudo_set_commit_reveal_weights_enabled", netuid=netuid, enabled=True)
    with ext.assert_noop(Error.CommitRevealEnabled):
        set_w(ext, "Bob", netuid, [DAVE_UID], [1])


def test_unsigned_origin(net):
    ext, netuid = net
    with ext.assert_noop(BadOrigin):
        call(ext, None, "set_weights", netuid=netuid, dests=[DAVE_UID], weights=[1], version_key=0)


def test_root_netuid(net):
    ext, _ = net
    with ext.assert_noop(Error.CanNotSetRootNetworkWeights):
        set_w(ext, "Bob", 0, [DAVE_UID], [1])


def test_lengths_differ(net):
    ext, netuid = net
    with ext.assert_noop(Error.WeightVecNotEqualSize):
        set_w(ext, "Bob", netuid, [DAVE_UID, EVE_UID], [1])


def test_subnet_or_mechanism_missing(net):
    ext, netuid = net
    with ext.assert_noop(Error.MechanismDoesNotExist):
        set_w(ext, "Bob", 9, [DAVE_UID], [1])
    with ext.assert_noop(Error.MechanismDoesNotExist):
        call(ext, hot("Bob"), "set_mechanism_weights", netuid=netuid, mecid=1, dests=[DAVE_UID], weights=[1],
             version_key=0)
    call(ext, hot("Bob"), "set_mechanism_weights", netuid=netuid, mecid=0, dests=[DAVE_UID], weights=[1],
         version_key=0)
    assert S.Weights.get(ext.state, netuid, BOB_UID) == [(DAVE_UID, 65535)]


def test_more_uids_than_subnet(net):
    ext, netuid = net
    with ext.assert_noop(Error.UidsLengthExceedUidsInSubNet):
        set_w(ext, "Bob", netuid, [0, 1, 2, 3, 4, 5], [1] * 6)


def test_hotkey_not_registered(net):
    ext, netuid = net
    with ext.assert_noop(Error.HotKeyNotRegisteredInSubNet):
        set_w(ext, "Ferdie", netuid, [DAVE_UID], [1])


def test_stake_threshold_and_owner_exemption(net):
    ext, netuid = net
    bob_alpha = S.TotalHotkeyAlpha.get(ext.state, hot("Bob"), netuid)     # alpha bought with 1000 TAO
    sudo(ext, "sudo_set_stake_threshold", min_stake=bob_alpha + 1)
    with ext.assert_noop(Error.NotEnoughStakeToSetWeights):
        set_w(ext, "Bob", netuid, [DAVE_UID], [1])
    set_w(ext, "Alice", netuid, [DAVE_UID], [1])      # the owner hotkey holds no stake
    sudo(ext, "sudo_set_stake_threshold", min_stake=bob_alpha)
    set_w(ext, "Bob", netuid, [DAVE_UID], [1])


def test_version_key(net):
    ext, netuid = net
    call(ext, ALICE, "sudo_set_weights_version_key", netuid=netuid, weights_version_key=5)  # the owner may
    with ext.assert_noop(Error.IncorrectWeightVersionKey):
        set_w(ext, "Bob", netuid, [DAVE_UID], [1], version_key=4)
    set_w(ext, "Bob", netuid, [DAVE_UID], [1], version_key=5)


def test_rate_limit(net):
    ext, netuid = net
    sudo(ext, "sudo_set_weights_set_rate_limit", netuid=netuid, weights_set_rate_limit=3)
    set_w(ext, "Bob", netuid, [DAVE_UID], [1])
    for _ in range(2):
        ext.next_block()
        with ext.assert_noop(Error.SettingWeightsTooFast):
            set_w(ext, "Bob", netuid, [DAVE_UID], [2])
    ext.next_block()
    set_w(ext, "Bob", netuid, [DAVE_UID], [2])


def test_no_validator_permit(net):
    ext, netuid = net
    assert not S.ValidatorPermit.get(ext.state, netuid)[DAVE_UID]
    with ext.assert_noop(Error.NeuronNoValidatorPermit):
        set_w(ext, "Dave", netuid, [EVE_UID], [1])
    with ext.assert_noop(Error.NeuronNoValidatorPermit):
        set_w(ext, "Dave", netuid, [DAVE_UID, EVE_UID], [1, 1])
    set_w(ext, "Dave", netuid, [DAVE_UID], [7])         # a single self-weight needs no permit
    assert S.Weights.get(ext.state, netuid, DAVE_UID) == [(DAVE_UID, 65535)]


def test_owner_needs_no_permit():
    ext = ext_with()
    netuid = register_subnet(ext)
    register(ext, netuid, ["Bob", "Dave"])
    assert S.ValidatorPermit.get(ext.state, netuid) == [False, False, False]
    set_w(ext, "Alice", netuid, [1, 2], [1, 1])
    with ext.assert_noop(Error.NeuronNoValidatorPermit):
        set_w(ext, "Bob", netuid, [2], [1])


def test_duplicate_uids(net):
    ext, netuid = net
    with ext.assert_noop(Error.DuplicateUids):
        set_w(ext, "Bob", netuid, [DAVE_UID, DAVE_UID], [1, 2])


def test_uid_does_not_exist(net):
    ext, netuid = net
    with ext.assert_noop(Error.UidVecContainInvalidOne):
        set_w(ext, "Bob", netuid, [DAVE_UID, 7], [1, 2])


def test_too_few_weights(net):
    ext, netuid = net
    call(ext, ALICE, "sudo_set_min_allowed_weights", netuid=netuid, min_allowed_weights=3)
    with ext.assert_noop(Error.WeightVecLengthIsLow):
        set_w(ext, "Bob", netuid, [DAVE_UID, EVE_UID], [1, 1])
    set_w(ext, "Bob", netuid, [BOB_UID], [1])           # a self-weight is exempt
    set_w(ext, "Bob", netuid, [0, DAVE_UID, EVE_UID], [1, 1, 1])
    call(ext, ALICE, "sudo_set_min_allowed_weights", netuid=netuid, min_allowed_weights=1000)
    set_w(ext, "Bob", netuid, [0, 1, 2, 3, 4], [1] * 5)  # min(MinAllowedWeights, n)


def test_max_weight_limit(net):
    ext, netuid = net
    call(ext, ALICE, "sudo_set_max_weight_limit", netuid=netuid, max_weight_limit=40_000)
    with ext.assert_noop(Error.MaxWeightExceeded):
        set_w(ext, "Bob", netuid, [DAVE_UID, EVE_UID], [100, 10])
    set_w(ext, "Bob", netuid, [DAVE_UID, EVE_UID], [50, 50])
    set_w(ext, "Bob", netuid, [BOB_UID], [1])           # self-weight skips the limit


def test_checks_run_in_subtensor_order(net):
    ext, netuid = net
    sudo(ext, "sudo_set_weights_set_rate_limit", netuid=netuid, weights_set_rate_limit=1000)
    # unequal lengths (2) before unregistered hotkey (5)
    with ext.assert_noop(Error.WeightVecNotEqualSize):
        set_w(ext, "Ferdie", netuid, [1, 2], [1])
    # rate limit (9) before validator permit (10): Dave registered at block 1
    with ext.assert_noop(Error.SettingWeightsTooFast):
        set_w(ext, "Dave", netuid, [EVE_UID, EVE_UID], [1, 1])
    sudo(ext, "sudo_set_weights_set_rate_limit", netuid=netuid, weights_set_rate_limit=0)
    # permit (10) before duplicates (11); duplicates (11) before invalid uids (12)
    with ext.assert_noop(Error.NeuronNoValidatorPermit):
        set_w(ext, "Dave", netuid, [EVE_UID, EVE_UID], [1, 1])
    with ext.assert_noop(Error.DuplicateUids):
        set_w(ext, "Bob", netuid, [9, 9], [1, 1])
    # invalid uids (12) before too few weights (13) before max weight (15)
    call(ext, ALICE, "sudo_set_min_allowed_weights", netuid=netuid, min_allowed_weights=3)
    call(ext, ALICE, "sudo_set_max_weight_limit", netuid=netuid, max_weight_limit=1)
    with ext.assert_noop(Error.UidVecContainInvalidOne):
        set_w(ext, "Bob", netuid, [9, DAVE_UID], [1, 1])
    with ext.assert_noop(Error.WeightVecLengthIsLow):
        set_w(ext, "Bob", netuid, [EVE_UID, DAVE_UID], [1, 1])
    with ext.assert_noop(Error.MaxWeightExceeded):
        set_w(ext, "Bob", netuid, [EVE_UID, DAVE_UID, 0], [1, 1, 1])


def test_max_upscale_matches_subtensor_examples():
    assert max_upscale_to_u16([]) == []
    assert max_upscale_to_u16([0, 0]) == [0, 0]
    assert max_upscale_to_u16([1]) == [65535]
    assert max_upscale_to_u16([1, 2, 3]) == [21845, 43690, 65535]
    assert max_upscale_to_u16([65535, 32767, 1]) == [65535, 32767, 1]
    assert max_upscale_to_u16([40000, 20000]) == [65535, 32767]   # ratio truncated to I32F32 first
    assert check_vec_max_limited([1, 1], 32768) and not check_vec_max_limited([1, 1], 32767)


def test_max_upscale_agrees_with_the_consensus_fixed_point_port():
    from consensus.yuma import fixed

    rng = random.Random(7)
    for _ in range(2000):
        vec = [rng.choice([0, 1, rng.randrange(65536), 65535, 32768, 32769]) for _ in range(rng.randrange(1, 8))]
        assert max_upscale_to_u16(vec) == fixed.vec_u16_max_upscale_to_u16(vec), vec
