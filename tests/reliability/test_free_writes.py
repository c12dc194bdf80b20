"""Nothing is free to write: a key that never held funds cannot put a transaction in a block.

FRAME refuses such transactions at validation: CheckNonce wants an existing account when the
call pays a fee; sudo declares a fee and waives it only for the sudo key (post-dispatch
Pays::No); subtensor's fee-free weight calls are valid only from a registered hotkey with
enough stake (SubtensorTransactionExtension). The first tests drive the runtime's validate and
apply paths; the last submits hundreds of fresh keys' transactions to a real node through
substrate-interface and counts `System.Account` entries.
"""
from __future__ import annotations

import pytest

from runtime.apis import TransactionValidityErrorType
from runtime.extrinsic import TransactionValidityError
from runtime.pallets import balances, system
from runtime.pallets.subtensor import storage as S
from runtime.pallets.subtensor.validation import RATE_LIMIT_EXCEEDED, STAKE_AMOUNT_TOO_LOW, UID_NOT_FOUND
from primitives.keys import Keypair
from tests.reliability._signed import apply, signed, validate
from tests.runtime import helpers
from tests.runtime.helpers import ALICE
from tests.runtime.subtensor_setup import TAO, ext_with, hot, register, register_subnet, stake

REMARK = ("System", ("remark", {"remark": b"free?"}))
SUDO_REMARK = ("Sudo", ("sudo", {"call": REMARK}))
ALICE_KEY = Keypair.from_uri("//Alice")
BOB_KEY = Keypair.from_uri("//Bob")


def fresh(i: int) -> Keypair:
    return Keypair.from_seed(i.to_bytes(4, "little") * 8)


def weights_call(netuid: int, dests=(0,), name: str = "set_weights") -> tuple:
    args = {"netuid": netuid, "dests": list(dests), "weights": [1] * len(dests), "version_key": 0}
    if name == "set_mechanism_weights":
        args["mecid"] = 0
    return ("SubtensorModule", (name, args))


def refused(ext_env, xt, reason: str, code: int | None = None) -> TransactionValidityError:
    """Both the pool and block application refuse `xt` with the same validity error, changing nothing."""
    before = dict(ext_env.state.changes)
    for check in (validate, apply):
        with pytest.raises(TransactionValidityError) as info:
            check(ext_env, xt)
        assert (info.value.kind, info.value.reason, info.value.code) == ("Invalid", reason, code)
    assert dict(ext_env.state.changes) == before
    return info.value


def account_entries(state) -> int:
    return sum(1 for _ in system.Account.iter(state))


# --- sudo -------------------------------------------------------------------------------------------
def test_fresh_key_sudo_is_refused_at_validation_and_in_blocks():
    env = helpers.TestExternalities.dev()
    entries = account_entries(env.state)
    for i in range(50):
        refused(env, signed(fresh(i), SUDO_REMARK), "Payment")
    assert account_entries(env.state) == entries


def test_sudo_key_pays_nothing_but_declares_the_fee():
    env = helpers.TestExternalities.dev()
    before = system.Account.get(env.state, ALICE).data.free
    issuance = balances.TotalIssuance.get(env.state)
    xt = signed(ALICE_KEY, SUDO_REMARK)
    assert validate(env, xt).fee > 0                 # declared Pays::Yes: the pool checks it can be paid
    seen = len(env.events())
    outcome = apply(env, xt)
    assert outcome.success and outcome.fee == 0
    assert system.Account.get(env.state, ALICE).data.free == before
    assert balances.TotalIssuance.get(env.state) == issuance
    events = env.events()[seen:]
    assert [type(e).__name__ for e in events] == [
        "Withdraw", "Sudid", "Deposit", "TransactionFeePaid", "ExtrinsicSuccess"]
    assert events[0].amount == events[2].amount > 0             # withdrawn up front, refunded in full
    assert events[3].actual_fee == 0
    assert bytes(events[4].dispatch_info)[-1] == 1               # post-dispatch pays_fee: No


def test_non_sudo_key_pays_for_its_failed_sudo():
    env = helpers.TestExternalities.dev()
    bob = BOB_KEY.public_key
    before = system.Account.get(env.state, bob).data.free
    outcome = apply(env, signed(BOB_KEY, SUDO_REMARK))
    assert not outcome.success and outcome.error.value[0] == "Module"
    assert outcome.fee > 0
    assert system.Account.get(env.state, bob).data.free == before - outcome.fee


def test_custom_validity_error_encodes_as_substrate_does():
    err = TransactionValidityError("Invalid", "Custom", UID_NOT_FOUND)
    assert TransactionValidityErrorType.encode(err.scale_value()) == bytes([0, 7, UID_NOT_FOUND])
    assert str(err) == f"Custom error: {UID_NOT_FOUND}"


# --- fee-free weight calls ------------------------------------------------------------------------
RATE_LIMIT = 3


@pytest.fixture()
def subnet():
    env = ext_with(weightsSetRateLimit=RATE_LIMIT)
    netuid = register_subnet(env)
    register(env, netuid, ["Bob", "Charlie"])
    stake(env, "Bob", netuid, 1000 * TAO)
    env.run_to_block(env.number + RATE_LIMIT)   # registration counts as a weights update
    return env, netuid


@pytest.mark.parametrize("name", ["set_weights", "set_mechanism_weights"])
def test_fresh_key_weights_are_refused(subnet, name):
    env, netuid = subnet
    entries = account_entries(env.state)
    for i in range(20):
        refused(env, signed(fresh(i), weights_call(netuid, name=name)), "Custom", UID_NOT_FOUND)
        refused(env, signed(fresh(i), weights_call(netuid + 7, name=name)), "Custom", UID_NOT_FOUND)
    assert account_entries(env.state) == entries


def test_registered_hotkey_sets_weights_for_free(subnet):
    env, netuid = subnet
    bob_hot = Keypair.from_uri("//Bob//hot")
    assert system.Account.get(env.state, bob_hot.public_key).providers == 0   # a hotkey holds no funds
    xt = signed(bob_hot, weights_call(netuid, dests=[S.Uids.get(env.state, netuid, hot("Bob"))]))
    assert validate(env, xt).fee == 0
    outcome = apply(env, xt)
    assert outcome.success, outcome.error
    assert outcome.fee == 0 and system.Account.get(env.state, bob_hot.public_key).nonce == 1
    # within the rate limit the next one is refused before it reaches a block
    refused(env, signed(bob_hot, weights_call(netuid), nonce=1), "Custom", RATE_LIMIT_EXCEEDED)


def test_registered_hotkey_below_the_stake_threshold_is_refused(subnet):
    env, netuid = subnet
    S.StakeThreshold.put(env.state, 10 * TAO)
    charlie_hot = Keypair.from_uri("//Charlie//hot")
    refused(env, signed(charlie_hot, weights_call(netuid)), "Custom", STAKE_AMOUNT_TOO_LOW)


# --- against a real node --------------------------------------------------------------------------
FRESH_KEYS = 300


@pytest.mark.integration
def test_fresh_keys_make_no_accounts_on_a_real_node(tmp_path):
    from substrateinterface import Keypair as SiKeypair, SubstrateInterface
    from substrateinterface.exceptions import SubstrateRequestException
    from tests.integration.nodeproc import NodeProcess

    node = NodeProcess(tmp_path / "node").start()
    try:
        substrate = SubstrateInterface(url=node.url)
        remark = substrate.compose_call("System", "remark", {"remark": "0x66726565"})
        sudo = substrate.compose_call("Sudo", "sudo", {"call": remark})
        weights = substrate.compose_call("SubtensorModule", "set_weights",
                                         {"netuid": 1, "dests": [0], "weights": [1], "version_key": 0})
        accounts_before = sum(1 for _ in substrate.query_map("System", "Account", page_size=200))
        errors = {}
        for i in range(FRESH_KEYS):
            key = SiKeypair.create_from_seed("0x" + (i + 1).to_bytes(4, "little").hex() * 8)
            call = sudo if i % 3 else weights
            xt = substrate.create_signed_extrinsic(call=call, keypair=key, nonce=0)
            with pytest.raises(SubstrateRequestException) as info:
                substrate.rpc_request("author_submitExtrinsic", [str(xt.data)])
            error = info.value.args[0]
            errors[(error["code"], error["message"], error.get("data"))] = errors.get(
                (error["code"], error["message"], error.get("data")), 0) + 1
        assert errors == {
            (1010, "Invalid Transaction", "Inability to pay some fees (e.g. account balance too low)"):
                FRESH_KEYS - len(range(0, FRESH_KEYS, 3)),
            (1010, "Invalid Transaction", f"Custom error: {UID_NOT_FOUND}"): len(range(0, FRESH_KEYS, 3)),
        }
        assert substrate.rpc_request("author_pendingExtrinsics", [])["result"] == []
        # the sudo key's own sudo call still goes through, fee-free
        alice = SiKeypair.create_from_uri("//Alice")
        free = substrate.query("System", "Account", [alice.ss58_address]).value["data"]["free"]
        receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=sudo, keypair=alice),
                                             wait_for_inclusion=True)
        assert receipt.is_success, receipt.error_message
        assert substrate.query("System", "Account", [alice.ss58_address]).value["data"]["free"] == free
        accounts_after = sum(1 for _ in substrate.query_map("System", "Account", page_size=200))
        assert accounts_after == accounts_before
        substrate.close()
    finally:
        node.stop()
