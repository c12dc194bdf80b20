"""Commit-reveal v2: the SDK's hash, reveal exactly RevealPeriodEpochs epochs later, every error a no-op."""
import hashlib

from runtime.pallets.subtensor import Error, events
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.commit_reveal import commit_hash
from tests.runtime.subtensor_setup import call, hot, run_to_next_epoch, subnet_with_validators

UIDS, VALUES, SALT, VERSION = [3, 4], [3, 1], [7, 8, 9], 0


def sdk_hash(hotkey: bytes, netuid: int) -> bytes:
    """bittensor 10.5.0 `utils/weight_utils.generate_weight_hash`, transcribed: blake2b-256 over
    pubkey ++ u16 netuid ++ Vec<u16> uids ++ Vec<u16> values ++ Vec<u16> salt ++ u64 version_key."""
    def vec16(items):
        return bytes([len(items) << 2]) + b"".join(i.to_bytes(2, "little") for i in items)
    data = hotkey + netuid.to_bytes(2, "little") + vec16(UIDS) + vec16(VALUES) + vec16(SALT) + VERSION.to_bytes(8, "little")
    return hashlib.blake2b(data, digest_size=32).digest()


def enabled():
    ext, netuid = subnet_with_validators()
    call(ext, None, "sudo_set_commit_reveal_weights_enabled", netuid=netuid, enabled=True)
    return ext, netuid


def test_hash_matches_the_sdk():
    assert commit_hash(hot("Bob"), 1, UIDS, VALUES, SALT, VERSION) == sdk_hash(hot("Bob"), 1)


def test_commit_then_reveal_one_epoch_later():
    ext, netuid = enabled()
    h = commit_hash(hot("Bob"), netuid, UIDS, VALUES, SALT, VERSION)
    with ext.assert_noop(Error.CommitRevealEnabled):
        call(ext, hot("Bob"), "set_weights", netuid=netuid, dests=UIDS, weights=VALUES, version_key=0)
    call(ext, hot("Bob"), "commit_weights", netuid=netuid, commit_hash=h)
    assert events.WeightsCommitted(hot("Bob"), netuid, h) in ext.events()
    reveal = {"netuid": netuid, "uids": UIDS, "values": VALUES, "salt": SALT, "version_key": VERSION}
    with ext.assert_noop(Error.RevealTooEarly):
        call(ext, hot("Bob"), "reveal_weights", **reveal)
    with ext.assert_noop(Error.InvalidRevealCommitHashNotMatch):
        call(ext, hot("Bob"), "reveal_weights", **{**reveal, "salt": [1]})
    with ext.assert_noop(Error.NoWeightsCommitFound):
        call(ext, hot("Charlie"), "reveal_weights", **reveal)
    run_to_next_epoch(ext, netuid)
    ext.next_block()
    call(ext, hot("Bob"), "reveal_weights", **reveal)
    uid = S.Uids.get(ext.state, netuid, hot("Bob"))
    assert S.Weights.get(ext.state, netuid, uid) == [(3, 65535), (4, 21845)]
    assert not S.WeightCommits.contains(ext.state, netuid, hot("Bob"))
    assert events.WeightsRevealed(hot("Bob"), netuid, h) in ext.events()


def test_commits_expire_and_need_commit_reveal_on():
    ext, netuid = subnet_with_validators()
    h = commit_hash(hot("Bob"), netuid, UIDS, VALUES, SALT, VERSION)
    with ext.assert_noop(Error.CommitRevealDisabled):
        call(ext, hot("Bob"), "commit_weights", netuid=netuid, commit_hash=h)
    call(ext, None, "sudo_set_commit_reveal_weights_enabled", netuid=netuid, enabled=True)
    with ext.assert_noop(Error.HotKeyNotRegisteredInSubNet):
        call(ext, hot("Ferdie"), "commit_weights", netuid=netuid, commit_hash=h)
    call(ext, hot("Bob"), "commit_weights", netuid=netuid, commit_hash=h)
    for _ in range(3):
        run_to_next_epoch(ext, netuid)
    ext.next_block()
    with ext.assert_noop(Error.ExpiredWeightCommit):
        call(ext, hot("Bob"), "reveal_weights", netuid=netuid, uids=UIDS, values=VALUES, salt=SALT,
             version_key=VERSION)
