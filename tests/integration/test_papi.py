"""polkadot-api (PAPI) 2.2.2, unmodified, against a real dev node, through the new JSON-RPC spec only.

tests/integration/papi/papi_driver.mjs connects with PAPI's raw WebSocket provider (no legacy-RPC
middleware), reads storage and constants, estimates the fee, signs //Alice's transfer to //Bob and
watches it to finality, then prints one JSON line of facts; the tests compare them with what the
node answers over the legacy RPC and substrate-interface. `make clients` runs `npm install` there.
"""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from substrateinterface import SubstrateInterface

from primitives.hashing import blake2_256
from tests.integration.nodeproc import REPO, rpc

PAPI_DIR = REPO / "tests" / "integration" / "papi"


@pytest.fixture(scope="module")
def papi(dev_node):
    node = shutil.which("node")
    if node is None or not (PAPI_DIR / "node_modules" / "polkadot-api" / "package.json").exists():
        pytest.fail("polkadot-api is not installed: run `make clients` (npm install in tests/integration/papi)",
                    pytrace=False)
    substrate = SubstrateInterface(url=dev_node.url)
    bob_before = substrate.query("System", "Account", ["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"])
    proc = subprocess.run([node, "papi_driver.mjs", dev_node.url], capture_output=True, text=True,
                          cwd=PAPI_DIR, timeout=300)
    lines = proc.stdout.strip().splitlines()
    facts = json.loads(lines[-1]) if lines else {}
    assert proc.returncode == 0 and "error" not in facts, (
        f"driver exited {proc.returncode}: {facts.get('error')}\nstderr:\n{proc.stderr[-3000:]}")
    facts["bob_free_before_rpc"] = bob_before.value["data"]["free"]
    return facts, substrate, dev_node


def test_papi_uses_only_the_new_spec(papi):
    facts, _, _ = papi
    methods = set(facts["methods"])
    assert {"chainHead_v1_follow", "chainHead_v1_storage", "chainHead_v1_call", "chainHead_v1_body",
            "transaction_v1_broadcast"} <= methods
    legacy = {m for m in methods if m.split("_")[0] not in ("chainHead", "chainSpec", "transaction")}
    assert legacy == set(), f"PAPI fell back to legacy methods: {legacy}"


def test_papi_reads_match_the_node(papi):
    facts, substrate, dev_node = papi
    assert facts["chainName"] == rpc(dev_node.rpc_port, "system_chain")["result"]
    assert int(facts["existentialDeposit"]) == substrate.get_constant("Balances", "ExistentialDeposit").value
    assert int(facts["bobFreeBefore"]) == facts["bob_free_before_rpc"]
    number = facts["finalizedAtStart"]["number"]
    assert rpc(dev_node.rpc_port, "chain_getBlockHash", [number])["result"] == facts["finalizedAtStart"]["hash"]


def test_papi_signs_and_watches_a_transfer_to_finality(papi):
    facts, substrate, dev_node = papi
    assert facts["txEvents"][0] == "signed" and facts["txEvents"][-1] == "finalized"
    assert "txBestBlocksState" in facts["txEvents"]
    assert facts["ok"] is True
    block = facts["block"]
    # the block PAPI names holds the transaction at the index it names, and it is final
    extrinsics = rpc(dev_node.rpc_port, "chain_getBlock", [block["hash"]])["result"]["block"]["extrinsics"]
    assert "0x" + blake2_256(bytes.fromhex(extrinsics[block["index"]][2:])).hex() == facts["txHash"]
    assert rpc(dev_node.rpc_port, "chain_getBlockHash", [block["number"]])["result"] == block["hash"]
    assert facts["events"] == ["Balances.Withdraw", "Balances.Transfer", "TransactionPayment.TransactionFeePaid",
                               "System.ExtrinsicSuccess"]
    # the fee PAPI estimated before signing is the fee the chain charged
    assert int(facts["estimatedFees"]) == int(facts["actualFee"]) > 0
    bob_after = substrate.query("System", "Account", [facts["bob"]], block_hash=block["hash"]).value["data"]["free"]
    assert int(facts["bobFreeAfter"]) == bob_after == facts["bob_free_before_rpc"] + int(facts["amount"])
