"""Substrate API Sidecar 18.0.0, unmodified, in front of a real dev node: each answer equals the node's own.

Sidecar is installed by `make clients` (npm, tests/integration/sidecar). It bundles @polkadot/api
10.13.1, which predates `CheckMetadataHash`: operators declare that extension with a types bundle
(tests/integration/sidecar/types-bundle.json), as they do for Polkadot or subtensor.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import REPO, free_port, rpc

SIDECAR_DIR = REPO / "tests" / "integration" / "sidecar"
MAIN = SIDECAR_DIR / "node_modules" / "@substrate" / "api-sidecar" / "build" / "src" / "main.js"
ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
CHARLIE = Keypair.create_from_uri("//Charlie")


def http(port: int, path: str, body: dict | None = None, timeout: float = 30.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def sidecar(dev_node, tmp_path_factory):
    node_bin = shutil.which("node")
    if node_bin is None or not MAIN.exists():
        pytest.fail(f"Sidecar missing ({MAIN}): run `make clients` (npm install in {SIDECAR_DIR})", pytrace=False)
    port = free_port()
    log_path = tmp_path_factory.mktemp("sidecar") / "sidecar.log"
    env = {**os.environ, "SAS_SUBSTRATE_URL": dev_node.url, "SAS_EXPRESS_PORT": str(port),
           "SAS_EXPRESS_BIND_HOST": "127.0.0.1", "SAS_LOG_LEVEL": "warn",
           "SAS_SUBSTRATE_TYPES_BUNDLE": str(SIDECAR_DIR / "types-bundle.json")}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([node_bin, str(MAIN)], cwd=SIDECAR_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"Sidecar exited {proc.returncode}:\n{log_path.read_text()[-3000:]}"
            try:
                if http(port, "/node/version", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"Sidecar not ready:\n{log_path.read_text()[-3000:]}"
            time.sleep(0.5)
        yield {"port": port, "node": dev_node}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def substrate(dev_node):
    client = SubstrateInterface(url=dev_node.url)
    yield client
    client.close()


def signed_transfer(substrate, signer, dest, value, **kwargs) -> str:
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": dest.ss58_address, "value": value})
    return "0x" + substrate.create_signed_extrinsic(call=call, keypair=signer, **kwargs).data.data.hex()


def node_rpc(sidecar, method, params=None):
    answer = rpc(sidecar["node"].rpc_port, method, params)
    assert "error" not in answer, answer
    return answer["result"]


def test_node_version_and_runtime_spec(sidecar):
    status, version = http(sidecar["port"], "/node/version")
    assert status == 200
    assert version == {"clientVersion": node_rpc(sidecar, "system_version"),
                       "clientImplName": node_rpc(sidecar, "state_getRuntimeVersion")["implName"],
                       "chain": node_rpc(sidecar, "system_chain")}
    status, spec = http(sidecar["port"], "/runtime/spec")
    ours = node_rpc(sidecar, "state_getRuntimeVersion", [spec["at"]["hash"]])
    assert status == 200 and spec["specName"] == ours["specName"] == "agora"
    assert int(spec["specVersion"]) == ours["specVersion"]
    assert int(spec["transactionVersion"]) == ours["transactionVersion"]
    assert spec["properties"]["tokenSymbol"] == [node_rpc(sidecar, "system_properties")["tokenSymbol"]]


def test_balance_info_equals_system_account(sidecar, substrate):
    status, info = http(sidecar["port"], f"/accounts/{ALICE.ss58_address}/balance-info")
    assert status == 200, info
    account = substrate.query("System", "Account", [ALICE.ss58_address], block_hash=info["at"]["hash"]).value
    assert int(info["free"]) == account["data"]["free"] > 0
    assert int(info["reserved"]) == account["data"]["reserved"]
    assert int(info["frozen"]) == account["data"]["frozen"]
    assert int(info["nonce"]) == account["nonce"]
    assert info["locks"] == []     # Balances.Locks exists and is empty


def test_block_with_a_transfer(sidecar, substrate):
    value = 7 * 10**9
    tx = signed_transfer(substrate, ALICE, BOB, value)
    receipt = substrate.submit_extrinsic(_decoded(substrate, tx), wait_for_inclusion=True)
    assert receipt.is_success, receipt.error_message
    status, block = http(sidecar["port"], f"/blocks/{receipt.block_hash}")
    assert status == 200, block
    assert block["hash"] == receipt.block_hash
    assert int(block["number"]) == int(node_rpc(sidecar, "chain_getHeader", [receipt.block_hash])["number"], 16)
    (ext,) = [e for e in block["extrinsics"] if e["hash"] == receipt.extrinsic_hash]
    assert ext["method"] == {"pallet": "balances", "method": "transferKeepAlive"}
    assert ext["args"]["dest"] == {"id": BOB.ss58_address} and int(ext["args"]["value"]) == value
    assert ext["signature"]["signer"] == {"id": ALICE.ss58_address} and ext["success"] is True
    events = {(e["method"]["pallet"], e["method"]["method"]): e["data"] for e in ext["events"]}
    assert events[("balances", "Transfer")] == [ALICE.ss58_address, BOB.ss58_address, str(value)]
    fee_paid = events[("transactionPayment", "TransactionFeePaid")]
    assert int(fee_paid[1]) == receipt.total_fee_amount > 0
    assert ("system", "ExtrinsicSuccess") in events
    # Sidecar's fee estimate is the node's TransactionPaymentApi answer, for the same bytes at the parent
    status, estimate = http(sidecar["port"], "/transaction/fee-estimate", {"tx": tx})
    assert status == 200, estimate
    assert int(estimate["partialFee"]) == int(node_rpc(sidecar, "payment_queryInfo", [tx])["partialFee"])
    assert int(estimate["partialFee"]) == receipt.total_fee_amount


def _decoded(substrate, tx_hex: str):
    from scalecodec.base import ScaleBytes

    ext = substrate.runtime_config.create_scale_object("Extrinsic", metadata=substrate.metadata)
    ext.decode(ScaleBytes(tx_hex))
    return ext


def test_dry_run_and_submission(sidecar, substrate):
    tx = signed_transfer(substrate, CHARLIE, BOB, 10**9)
    status, dry = http(sidecar["port"], "/transaction/dry-run", {"tx": tx})
    assert status == 200, dry
    assert dry["dryRunResult"]["resultType"] == "DispatchOutcome"
    assert node_rpc(sidecar, "system_dryRun", [tx]) == "0x0000"          # Ok(Ok(()))
    before = substrate.get_account_nonce(CHARLIE.ss58_address)
    assert substrate.get_account_nonce(CHARLIE.ss58_address) == before    # a dry run changes nothing
    too_much = signed_transfer(substrate, CHARLIE, BOB, 10**30)
    status, dry = http(sidecar["port"], "/transaction/dry-run", {"tx": too_much})
    assert status == 200, dry
    assert dry["dryRunResult"]["resultType"] == "DispatchOutcome"
    # Ok(Err(Token(FundsUnavailable))): variant 0 of TokenError, which the @polkadot/api Sidecar bundles
    # (10.13.1, built-in RPC types, not metadata) still names by its older name, NoFunds
    assert node_rpc(sidecar, "system_dryRun", [too_much]) == "0x00010700"
    assert dry["dryRunResult"]["result"] == {"err": {"token": "NoFunds"}}
    status, submitted = http(sidecar["port"], "/transaction", {"tx": tx})
    assert status == 200, submitted
    assert submitted["hash"] == "0x" + hashlib.blake2b(bytes.fromhex(tx[2:]), digest_size=32).hexdigest()
    deadline = time.monotonic() + 60
    while substrate.get_account_nonce(CHARLIE.ss58_address) == before:
        assert time.monotonic() < deadline, "the transaction Sidecar submitted never landed"
        time.sleep(0.5)


def test_transaction_pool_with_fees(sidecar, substrate):
    # a nonce ahead of the account's waits in the pool (future), where Sidecar can list it
    nonce = substrate.get_account_nonce(BOB.ss58_address) + 5
    tx = signed_transfer(substrate, BOB, CHARLIE, 10**9, nonce=nonce)
    node_rpc(sidecar, "author_submitExtrinsic", [tx])
    status, pool = http(sidecar["port"], "/node/transaction-pool?includeFee=true")
    assert status == 200, pool
    (entry,) = [p for p in pool["pool"] if p["encodedExtrinsic"] == tx]
    assert entry["hash"] == "0x" + hashlib.blake2b(bytes.fromhex(tx[2:]), digest_size=32).hexdigest()
    assert int(entry["partialFee"]) == int(node_rpc(sidecar, "payment_queryInfo", [tx])["partialFee"]) > 0
    assert entry["priority"] is not None and int(entry["tip"]) == 0
