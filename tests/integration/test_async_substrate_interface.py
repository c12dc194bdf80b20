"""async-substrate-interface 2.x, unmodified, against a real dev node process.

The client lives in its own venv (.venv-async: its cyscale installs a module named `scalecodec`,
which clashes with substrate-interface's in .venv), so it runs as a subprocess:
tests/integration/clients/asi_driver.py drives the whole workflow once and prints JSON facts; the
tests below assert on them. `make clients` (or `make test`) creates the venv.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.nodeproc import REPO, rpc
from substrateinterface import Keypair, KeypairType

ASYNC_PY = REPO / ".venv-async" / "bin" / "python"
DRIVER = REPO / "tests" / "integration" / "clients" / "asi_driver.py"
ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
FERDIE = Keypair.create_from_uri("//Ferdie")
ED = Keypair.create_from_seed("0x" + "22" * 32, crypto_type=KeypairType.ED25519)
ACCOUNT_PREFIX = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"


def _client_env_problem() -> str | None:
    if not ASYNC_PY.exists():
        return f"{ASYNC_PY} does not exist"
    probe = subprocess.run([str(ASYNC_PY), "-c", "import async_substrate_interface, sr25519, nacl"],
                           capture_output=True, text=True, cwd=REPO, timeout=120)
    if probe.returncode != 0:
        return probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import failed"
    return None


@pytest.fixture(scope="module")
def asi(dev_node):
    problem = _client_env_problem()
    if problem:
        pytest.fail(f"async-substrate-interface client environment missing ({problem}): run `make clients` "
                    "(creates .venv-async from tests/integration/clients/requirements-async.txt)", pytrace=False)
    proc = subprocess.run([str(ASYNC_PY), str(DRIVER), dev_node.url], capture_output=True, text=True, cwd=REPO,
                          timeout=300)
    assert proc.returncode == 0, f"driver exited {proc.returncode}\nstderr:\n{proc.stderr[-5000:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["stderr"] = proc.stderr
    out["port"] = dev_node.rpc_port
    return out


def step(asi, name) -> dict:
    facts = asi["steps"].get(name)
    assert facts is not None, f"driver did not run step {name}"
    assert facts["ok"], f"{name} failed in the client: {facts['error']}\n{facts.get('traceback', '')}"
    return facts


def event_names(facts) -> list[tuple[str, str]]:
    return [(e["module"], e["event"]) for e in facts["events"]]


def the_event(facts, module, name) -> dict:
    found = [e["attributes"] for e in facts["events"] if (e["module"], e["event"]) == (module, name)]
    assert len(found) == 1, f"expected one {module}.{name}, got {event_names(facts)}"
    return found[0]


def test_client_version(asi):
    assert asi["versions"]["async-substrate-interface"].startswith("2.")


def test_connect_initialises_with_metadata_v15(asi):
    facts = step(asi, "connect")
    assert facts["chain"] == "Agora Development"
    assert facts["properties"]["tokenSymbol"] == "TAO"
    # Metadata V15 (Metadata_metadata_at_version via state_call) with its runtime `apis` section
    assert facts["metadata_v15"] is True
    assert {"Core", "Metadata", "AccountNonceApi", "TransactionPaymentApi"} <= set(facts["runtime_apis"])
    assert facts["existential_deposit"] == 500


def test_read_alice(asi):
    facts = step(asi, "read_alice")
    assert facts["public"] == "0x" + ALICE.public_key.hex()
    assert facts["address"] == ALICE.ss58_address
    assert facts["account"]["data"]["free"] > 0
    assert set(facts["account"]) == {"nonce", "consumers", "providers", "sufficients", "data"}


def _assert_transfer(facts, sender, sender_before, sender_after, dest=BOB.ss58_address):
    assert facts["is_success"] is True, facts["error_message"]
    names = event_names(facts)
    assert ("System", "ExtrinsicSuccess") in names and ("System", "ExtrinsicFailed") not in names
    assert the_event(facts, "Balances", "Transfer") == {"from": sender, "to": dest, "amount": facts["amount"]}
    fee = facts["total_fee_amount"]
    assert fee > 0
    paid = the_event(facts, "TransactionPayment", "TransactionFeePaid")
    assert paid == {"who": sender, "actual_fee": fee, "tip": 0}
    assert facts[sender_after] == facts[sender_before] - facts["amount"] - fee
    assert facts["after_bob"] == facts["before_bob"] + facts["amount"]


def test_sr25519_transfer_included_with_exact_fee(asi):
    facts = step(asi, "sr25519_transfer")
    _assert_transfer(facts, ALICE.ss58_address, "before_alice", "after_alice")
    assert facts["block_hash"].startswith("0x") and len(facts["block_hash"]) == 66


def test_mortal_transfer_waits_for_finalization(asi):
    facts = step(asi, "mortal_transfer")
    _assert_transfer(facts, ALICE.ss58_address, "before_alice", "after_alice")
    assert facts["finalized"] is True


def test_ed25519_transfer(asi):
    facts = step(asi, "ed25519_transfer")
    assert facts["funded"] is True
    assert facts["public"] == "0x" + ED.public_key.hex() and facts["address"] == ED.ss58_address
    _assert_transfer(facts, ED.ss58_address, "before_ed", "after_ed")


def test_payment_info_matches_charged_fee(asi):
    facts = step(asi, "payment_info")
    assert facts["is_success"] is True
    info = facts["info"]
    assert info["partial_fee"] == facts["total_fee_amount"] > 0
    assert info["class"] == "Normal"
    assert info["weight"]["ref_time"] > 0


def test_runtime_calls(asi):
    facts = step(asi, "runtime_calls")
    assert facts["account_nonce"] == facts["get_account_nonce"] == facts["chain_nonce"] > 0
    assert facts["version"]["spec_name"] == "agora"
    assert facts["version"]["spec_version"] == rpc(asi["port"], "state_getRuntimeVersion")["result"]["specVersion"]


def test_failed_dispatch_reports_module_error(asi):
    facts = step(asi, "failed_dispatch")
    assert facts["is_success"] is False
    assert facts["error_message"]["name"] == "ExistentialDeposit"
    assert ("System", "ExtrinsicFailed") in event_names(facts)
    assert ("Balances", "Transfer") not in event_names(facts)
    fee = facts["total_fee_amount"]
    assert fee > 0 and facts["after"] == facts["before"] - fee


def test_stale_nonce_rejected_and_nothing_changes(asi):
    facts = step(asi, "stale_nonce")
    assert facts["exception"] == "SubstrateRequestException"
    assert facts["rpc_error"] == {"code": 1010, "message": "Invalid Transaction", "data": "Transaction is outdated"}
    assert facts["after"] == facts["before"]
    assert facts["next_index"] == facts["before"]["nonce"]


def test_bad_signature_rejected_and_nothing_changes(asi):
    facts = step(asi, "bad_signature")
    assert facts["exception"] == "SubstrateRequestException"
    assert facts["rpc_error"] == {"code": 1010, "message": "Invalid Transaction",
                                  "data": "Transaction has a bad signature"}
    assert facts["after"] == facts["before"]
    assert facts["pending"] == []


def test_query_map_system_account(asi):
    facts = step(asi, "query_map")
    accounts = facts["accounts"]
    for who in (ALICE, BOB, FERDIE, ED):
        assert who.ss58_address in accounts
    # every System.Account key the node has, across several pages of 5
    keys, start = [], None
    while True:
        page = rpc(asi["port"], "state_getKeysPaged", [ACCOUNT_PREFIX, 100, start])["result"]
        keys += page
        if len(page) < 100:
            break
        start = page[-1]
    assert facts["count"] == len(keys) >= 12
    # values decoded per entry agree with the transfers above
    assert accounts[ED.ss58_address]["nonce"] == 1
    assert accounts[FERDIE.ss58_address]["data"]["free"] == step(asi, "failed_dispatch")["after"]


def test_blocks_and_headers(asi):
    facts = step(asi, "blocks")
    assert facts["block_hash"] == facts["head"] == facts["hash_of_number"]
    assert facts["header_number"] > 0
    assert facts["first_call"] == "Timestamp"
