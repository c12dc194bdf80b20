"""The new JSON-RPC spec (chainHead_v1, chainSpec_v1, transaction_v1, transactionWatch_v1) over a raw
WebSocket against a real dev node: the event order and shapes the spec prescribes, checked against
the node's legacy answers for the same blocks."""
from __future__ import annotations

import json
import time

import pytest
import websocket
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import rpc
from primitives.hashing import blake2_256, twox_128

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")
TIMEOUT = 60.0


class Client:
    """A WebSocket JSON-RPC client that keeps notifications apart from answers."""

    def __init__(self, url: str):
        self.ws = websocket.create_connection(url, timeout=TIMEOUT)
        self.next_id = 0
        self.notifications: list[dict] = []

    def call(self, method: str, params: list):
        self.next_id += 1
        rid = self.next_id
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == rid:
                return msg
            self.notifications.append(msg)

    def event(self, subscription: str, predicate, timeout: float = TIMEOUT) -> dict:
        """The first notification of `subscription` whose result matches `predicate` (earlier ones are consumed)."""
        deadline = time.monotonic() + timeout
        while True:
            for i, msg in enumerate(self.notifications):
                if msg.get("params", {}).get("subscription") == subscription and predicate(msg["params"]["result"]):
                    del self.notifications[:i + 1]
                    return msg["params"]["result"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching event; have {self.notifications[-5:]}")
            self.notifications.append(json.loads(self.ws.recv()))

    def results(self, subscription: str) -> list[dict]:
        return [m["params"]["result"] for m in self.notifications if m.get("params", {}).get("subscription") == subscription]

    def close(self):
        self.ws.close()


@pytest.fixture
def client(dev_node):
    c = Client(dev_node.url)
    yield c
    c.close()


def follow(client: Client, with_runtime: bool = True) -> tuple[str, dict]:
    answer = client.call("chainHead_v1_follow", [with_runtime])
    sub = answer["result"]
    initialized = client.event(sub, lambda e: True)
    assert initialized["event"] == "initialized"
    return sub, initialized


def operation(client: Client, sub: str, answer: dict, done: str) -> list[dict]:
    assert answer["result"]["result"] == "started", answer
    op_id = answer["result"]["operationId"]
    events = []
    while True:
        event = client.event(sub, lambda e: e.get("operationId") == op_id)
        events.append(event)
        if event["event"] == "operationWaitingForContinue":
            assert client.call("chainHead_v1_continue", [sub, op_id])["result"] is None
        if event["event"] in (done, "operationError", "operationInaccessible"):
            return events


def test_follow_reports_blocks_in_order_with_runtime(client, dev_node):
    sub, initialized = follow(client)
    finalized = initialized["finalizedBlockHashes"]
    assert finalized == [rpc(dev_node.rpc_port, "chain_getFinalizedHead")["result"]] or len(finalized) == 1
    spec = initialized["finalizedBlockRuntime"]
    legacy = rpc(dev_node.rpc_port, "state_getRuntimeVersion")["result"]
    assert spec["type"] == "valid"
    assert spec["spec"]["specVersion"] == legacy["specVersion"]
    assert spec["spec"]["apis"] == {api: version for api, version in legacy["apis"]}

    # two more blocks: each newBlock's parent was announced before it, then best and finalized follow
    known = set(finalized)
    new_blocks, best, finals = [], None, []
    deadline = time.monotonic() + TIMEOUT
    while len(finals) < 2 and time.monotonic() < deadline:
        event = client.event(sub, lambda e: "operationId" not in e)
        if event["event"] == "newBlock":
            assert event["parentBlockHash"] in known, "a block announced before its parent"
            assert event["newRuntime"] is None
            known.add(event["blockHash"])
            new_blocks.append(event["blockHash"])
        elif event["event"] == "bestBlockChanged":
            assert event["bestBlockHash"] in known
            best = event["bestBlockHash"]
        elif event["event"] == "finalized":
            assert all(h in known for h in event["finalizedBlockHashes"])
            finals.append(event)
    assert len(finals) == 2 and best is not None
    last_final = finals[-1]["finalizedBlockHashes"][-1]
    header = rpc(dev_node.rpc_port, "chain_getHeader", [last_final])["result"]
    assert rpc(dev_node.rpc_port, "chain_getBlockHash", [int(header["number"], 16)])["result"] == last_final

    # header bytes of a pinned block hash to the block hash; an unpinned one is an error
    raw = client.call("chainHead_v1_header", [sub, last_final])["result"]
    assert "0x" + blake2_256(bytes.fromhex(raw[2:])).hex() == last_final
    assert client.call("chainHead_v1_unpin", [sub, [last_final]])["result"] is None
    error = client.call("chainHead_v1_header", [sub, last_final])["error"]
    assert error["code"] == -32801
    assert client.call("chainHead_v1_unpin", [sub, last_final])["error"]["code"] == -32801


def test_operations_body_call_storage(client, dev_node):
    sub, _ = follow(client, with_runtime=False)
    substrate = SubstrateInterface(url=dev_node.url)
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": BOB.ss58_address, "value": 12345})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=ALICE),
                                         wait_for_inclusion=True)
    assert receipt.is_success
    included = receipt.block_hash
    client.event(sub, lambda e: e.get("blockHash") == included)  # announced (and so pinned) while we followed

    body = operation(client, sub, client.call("chainHead_v1_body", [sub, included]), "operationBodyDone")
    legacy_body = rpc(dev_node.rpc_port, "chain_getBlock", [included])["result"]["block"]["extrinsics"]
    assert body[-1]["event"] == "operationBodyDone" and body[-1]["value"] == legacy_body

    # a runtime call answers exactly what state_call answers for the same block
    nonce_input = "0x" + ALICE.public_key.hex()
    called = operation(client, sub, client.call("chainHead_v1_call", [sub, included, "AccountNonceApi_account_nonce",
                                                                    nonce_input]), "operationCallDone")
    legacy = rpc(dev_node.rpc_port, "state_call", ["AccountNonceApi_account_nonce", nonce_input, included])["result"]
    assert called[-1] == {"event": "operationCallDone", "operationId": called[-1]["operationId"], "output": legacy}
    failed = operation(client, sub, client.call("chainHead_v1_call", [sub, included, "NoSuchApi_nothing", "0x"]),
                       "operationCallDone")
    assert failed[-1]["event"] == "operationError" and "NoSuchApi_nothing" in failed[-1]["error"]

    # storage: value, hash, descendants (paged with continue) and the closest descendant Merkle value
    prefix = "0x" + (twox_128(b"System") + twox_128(b"Account")).hex()
    alice_key = substrate.create_storage_key("System", "Account", [ALICE.ss58_address]).to_hex()
    items = operation(client, sub, client.call("chainHead_v1_storage", [sub, included, [
        {"key": alice_key, "type": "value"}, {"key": alice_key, "type": "hash"},
        {"key": prefix, "type": "descendantsValues"}, {"key": prefix, "type": "closestDescendantMerkleValue"},
        {"key": prefix + "00" * 8, "type": "value"}], None]), "operationStorageDone")
    found = [i for e in items if e["event"] == "operationStorageItems" for i in e["items"]]
    legacy_value = rpc(dev_node.rpc_port, "state_getStorage", [alice_key, included])["result"]
    assert {"key": alice_key, "value": legacy_value} in found
    assert {"key": alice_key, "hash": "0x" + blake2_256(bytes.fromhex(legacy_value[2:])).hex()} in found
    legacy_keys = rpc(dev_node.rpc_port, "state_getKeysPaged", [prefix, 1000, None, included])["result"]
    assert sorted(i["key"] for i in found if "value" in i and i["key"] != alice_key) == sorted(
        k for k in legacy_keys if k != alice_key)
    merkle = [i for i in found if "closestDescendantMerkleValue" in i]
    assert len(merkle) == 1 and len(merkle[0]["closestDescendantMerkleValue"]) == 66
    assert items[-1]["event"] == "operationStorageDone"

    # the Merkle value under System.Account moves when an account changes, and not otherwise
    receipt2 = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call=call, keypair=ALICE),
                                          wait_for_inclusion=True)
    client.event(sub, lambda e: e.get("blockHash") == receipt2.block_hash)
    after = operation(client, sub, client.call("chainHead_v1_storage", [sub, receipt2.block_hash, [
        {"key": prefix, "type": "closestDescendantMerkleValue"}], None]), "operationStorageDone")
    moved = [i for e in after if e["event"] == "operationStorageItems" for i in e["items"]]
    assert moved[0]["closestDescendantMerkleValue"] != merkle[0]["closestDescendantMerkleValue"]

    bad = client.call("chainHead_v1_storage", [sub, included, [{"key": prefix, "type": "everything"}], None])
    assert bad["error"]["code"] == -32602
    unknown = client.call("chainHead_v1_body", [sub, "0x" + "11" * 32])
    assert unknown["error"]["code"] == -32801


def test_chain_spec_and_transaction_watch(client, dev_node):
    assert client.call("chainSpec_v1_chainName", [])["result"] == rpc(dev_node.rpc_port, "system_chain")["result"]
    assert client.call("chainSpec_v1_genesisHash", [])["result"] == rpc(dev_node.rpc_port, "chain_getBlockHash", [0])["result"]
    assert client.call("chainSpec_v1_properties", [])["result"] == rpc(dev_node.rpc_port, "system_properties")["result"]
    methods = rpc(dev_node.rpc_port, "rpc_methods")["result"]["methods"]
    for name in ("chainHead_v1_follow", "chainHead_v1_storage", "transaction_v1_broadcast",
                 "transactionWatch_v1_submitAndWatch", "chainSpec_v1_genesisHash"):
        assert name in methods

    substrate = SubstrateInterface(url=dev_node.url)
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": BOB.ss58_address, "value": 777})
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=ALICE)
    sub = client.call("transactionWatch_v1_submitAndWatch", [str(extrinsic.data)])["result"]
    assert client.event(sub, lambda e: True)["event"] == "validated"
    included = client.event(sub, lambda e: e["event"] == "bestChainBlockIncluded" and e["block"])
    final = client.event(sub, lambda e: e["event"] == "finalized")
    assert final["block"] == included["block"]
    body = rpc(dev_node.rpc_port, "chain_getBlock", [final["block"]["hash"]])["result"]["block"]["extrinsics"]
    assert body[final["block"]["index"]] == str(extrinsic.data)

    # a replay is invalid (stale nonce): the watch says so, and the broadcast answers an id that stop accepts once
    replay = client.call("transactionWatch_v1_submitAndWatch", [str(extrinsic.data)])["result"]
    assert client.event(replay, lambda e: True)["event"] == "invalid"
    op_id = client.call("transaction_v1_broadcast", [str(extrinsic.data)])["result"]
    assert isinstance(op_id, str)
    assert client.call("transaction_v1_stop", [op_id])["result"] is None
    assert client.call("transaction_v1_stop", [op_id])["error"]["code"] == -32602
