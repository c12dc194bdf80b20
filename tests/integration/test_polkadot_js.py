"""@polkadot/api 16.5.6, unmodified, against a real dev node process.

tests/integration/js/pjs_driver.mjs (Node.js) drives the whole wallet workflow once and prints JSON
facts; the tests below assert on them. The packages are pinned in tests/integration/js/package.json
(+ package-lock.json); `make clients` (or `make test`) runs `npm install` there.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.integration.nodeproc import REPO, rpc
from substrateinterface import Keypair, KeypairType

JS_DIR = REPO / "tests" / "integration" / "js"
DRIVER = JS_DIR / "pjs_driver.mjs"
ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
FERDIE = Keypair.create_from_uri("//Ferdie")
ED = Keypair.create_from_seed("0x" + "22" * 32, crypto_type=KeypairType.ED25519)
ACCOUNT_PREFIX = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
OUTDATED = {"code": 1010, "data": "Transaction is outdated",
            "message": "1010: Invalid Transaction: Transaction is outdated"}


def _client_env_problem() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "`node` (Node.js >= 18) is not on PATH"
    for pkg in ("api", "keyring", "util-crypto"):
        if not (JS_DIR / "node_modules" / "@polkadot" / pkg / "package.json").exists():
            return f"{JS_DIR / 'node_modules' / '@polkadot' / pkg} is not installed"
    return None


@pytest.fixture(scope="module")
def pjs(dev_node):
    problem = _client_env_problem()
    if problem:
        pytest.fail(f"@polkadot/api client environment missing ({problem}): run `make clients` "
                    "(runs `npm install` in tests/integration/js)", pytrace=False)
    proc = subprocess.run([shutil.which("node"), str(DRIVER), dev_node.url], capture_output=True, text=True,
                          cwd=JS_DIR, timeout=300)
    assert proc.returncode == 0, f"driver exited {proc.returncode}\nstderr:\n{proc.stderr[-5000:]}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["port"] = dev_node.rpc_port
    return out


def step(pjs, name) -> dict:
    facts = pjs["steps"].get(name)
    assert facts is not None, f"driver did not run step {name}"
    assert facts["ok"], f"{name} failed in polkadot.js: {facts['error']}\n{facts.get('stack', '')}"
    return facts


def events(facts) -> list[tuple[str, str]]:
    return [(e["section"], e["method"]) for e in facts["events"]]


def the_event(facts, section, method) -> dict:
    found = [e["data"] for e in facts["events"] if (e["section"], e["method"]) == (section, method)]
    assert len(found) == 1, f"expected one {section}.{method}, got {events(facts)}"
    return found[0]


def test_client_versions(pjs):
    assert pjs["versions"]["@polkadot/api"] == "16.5.6"
    assert pjs["versions"]["@polkadot/types"] == "16.5.6"


def test_connect_without_unknown_types_or_warnings(pjs):
    facts = step(pjs, "connect")
    assert facts["chain"] == "Agora Development"
    assert facts["unknownTypes"] == []
    assert facts["metadataVersion"] == 15  # picked via Metadata_metadata_versions + _at_version
    assert facts["genesisHash"] == rpc(pjs["port"], "chain_getBlockHash", [0])["result"]
    assert facts["specName"] == "agora"
    assert facts["ss58"] == 42 and facts["tokenSymbol"] == ["TAO"] and facts["tokenDecimals"] == [9]
    assert facts["existentialDeposit"] == "500"
    assert facts["signedExtensions"][:8] == ["CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion",
                                             "CheckGenesis", "CheckMortality", "CheckNonce", "CheckWeight",
                                             "ChargeTransactionPayment"]
    assert facts["hasCalls"]["transferKeepAlive"]
    assert facts["hasCallApis"] == {"paymentInfo": True, "nonce": True}
    # polkadot.js warns on anything it cannot decode or decorate; the only logged lines are the
    # rejections the driver provokes on purpose, and (as against any current Substrate node) the
    # new JSON-RPC spec's methods, which @polkadot/api 16 does not decorate
    unexpected = [entry["text"] for entry in pjs["logged"]
                  if "1010: Invalid Transaction" not in entry["text"] and not _only_new_spec_undecorated(entry["text"])]
    assert unexpected == []


NEW_SPEC_GROUPS = ("chainHead_v1", "chainSpec_v1", "transaction_v1", "transactionWatch_v1")


def _only_new_spec_undecorated(text: str) -> bool:
    marker = "RPC methods not decorated:"
    if marker not in text:
        return False
    methods = [m.strip() for m in text.split(marker, 1)[1].split(",") if m.strip()]
    return bool(methods) and all(m.rsplit("_", 1)[0] in NEW_SPEC_GROUPS for m in methods)


def test_query_system_account(pjs):
    facts = step(pjs, "readAlice")
    assert facts["address"] == ALICE.ss58_address
    assert facts["publicKey"] == "0x" + ALICE.public_key.hex()
    assert int(facts["account"]["free"]) > 0 and facts["account"]["providers"] == 1


def _assert_transfer(facts, sender):
    assert facts["statuses"][-2:] == ["InBlock", "Finalized"] and facts["statuses"][0] in ("Ready", "Future")
    assert facts["finalized"] == facts["inBlock"]
    assert facts["extrinsicInBlock"] is True
    assert facts["success"] is True and facts["failed"] is False and facts["dispatchError"] is None
    assert ("system", "ExtrinsicSuccess") in events(facts)
    transfer = the_event(facts, "balances", "Transfer")
    assert (transfer["from"], transfer["to"]) == (sender, BOB.ss58_address)
    assert int(transfer["amount"].replace(",", "")) == int(facts["amount"])
    fee = int(facts["fee"])  # TransactionFeePaid.actualFee
    assert fee > 0
    assert the_event(facts, "transactionPayment", "TransactionFeePaid")["who"] == sender
    assert int(facts["paymentInfo"]["partialFee"]) == fee
    amount = int(facts["amount"])
    parent, block = facts["atParent"], facts["atBlock"]
    assert int(block["sender"]["free"]) == int(parent["sender"]["free"]) - amount - fee
    assert int(block["dest"]["free"]) == int(parent["dest"]["free"]) + amount
    assert block["sender"]["nonce"] == parent["sender"]["nonce"] + 1


def test_sr25519_sign_and_send_until_finalized(pjs):
    facts = step(pjs, "sr25519Transfer")
    assert "MortalEra" in facts["era"]  # signAndSend's default: mortal, birth block hashed by polkadot.js
    _assert_transfer(facts, ALICE.ss58_address)


def test_ed25519_keyring_add_from_seed(pjs):
    facts = step(pjs, "ed25519Transfer")
    assert facts["funded"] is True
    assert facts["edAddress"] == ED.ss58_address and facts["edPublicKey"] == "0x" + ED.public_key.hex()
    assert "ImmortalEra" in facts["era"]
    _assert_transfer(facts, ED.ss58_address)


def test_failed_call_resolved_to_error_name(pjs):
    facts = step(pjs, "failedDispatch")
    assert facts["statuses"][-2:] == ["InBlock", "Finalized"]
    assert facts["success"] is False and facts["failed"] is True
    assert facts["dispatchError"]["kind"] == "Module"
    assert (facts["dispatchError"]["section"], facts["dispatchError"]["name"]) == ("balances", "ExistentialDeposit")
    assert ("balances", "Transfer") not in events(facts)
    assert int(facts["after"]) == int(facts["before"]) - int(facts["fee"])


def test_stale_nonce_rejected_and_nothing_changes(pjs):
    facts = step(pjs, "staleNonce")
    assert facts["plainSubmit"] == {"rejected": True, "error": OUTDATED}
    assert facts["watched"] == {"rejected": True, "error": OUTDATED}
    assert facts["after"] == facts["before"]
    assert facts["nextIndex"] == facts["before"]["nonce"]


def test_bad_signature_rejected(pjs):
    facts = step(pjs, "badSignature")
    assert facts["rejected"] is True
    assert facts["error"]["code"] == 1010
    assert facts["error"]["data"] == "Transaction has a bad signature"
    assert facts["after"] == facts["before"]


def test_system_account_entries(pjs):
    facts = step(pjs, "entries")
    accounts = facts["accounts"]
    for who in (ALICE, BOB, FERDIE, ED):
        assert who.ss58_address in accounts
    keys = rpc(pjs["port"], "state_getKeysPaged", [ACCOUNT_PREFIX, 1000])["result"]
    assert facts["count"] == len(keys) >= 12
    assert accounts[ED.ss58_address]["nonce"] == 1


def test_block_hash_computed_from_header_matches_node(pjs):
    facts = step(pjs, "blockHashes")
    assert {c["number"] for c in facts["checked"]} >= {0, 1}
    for checked in facts["checked"]:
        assert checked["headerHash"] == checked["nodeHash"] == checked["blockHeaderHash"], checked
    # sealed blocks carry the Aura pre-runtime digest and the seal: both are part of the hash
    assert any(c["digestLogs"] == ["PreRuntime", "Seal"] for c in facts["checked"])
    assert len(facts["pushed"]) == 2
    for pushed in facts["pushed"]:
        assert pushed["headerHash"] == pushed["nodeHash"], pushed
