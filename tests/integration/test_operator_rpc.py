"""Operator RPCs on a real dev node: the file keystore (author_*Key*), state_getPairs, payment_queryInfo."""
from __future__ import annotations

import json

from substrateinterface import Keypair

from tests.integration.nodeproc import rpc

ALICE_ACCOUNT = "0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"


def call(node, method, params=None):
    answer = rpc(node.rpc_port, method, params)
    assert "error" not in answer, answer
    return answer["result"]


def test_keystore_rpcs_write_substrate_layout(dev_node):
    keystore = dev_node.base_path / "chains" / "agora_dev" / "keystore"
    dave = Keypair.create_from_uri("//Dave")
    public = "0x" + dave.public_key.hex()
    assert call(dev_node, "author_hasKey", [public, "aura"]) is False
    assert call(dev_node, "author_insertKey", ["aura", "//Dave", public]) is None
    assert call(dev_node, "author_hasKey", [public, "aura"]) is True
    path = keystore / ("61757261" + dave.public_key.hex())
    assert json.loads(path.read_text()) == "//Dave" and path.stat().st_mode & 0o077 == 0
    wrong = rpc(dev_node.rpc_port, "author_insertKey", ["aura", "//Eve", public])
    assert wrong["error"]["code"] == 1006
    assert rpc(dev_node.rpc_port, "author_insertKey", ["toolong", "//Eve", public])["error"]["code"] == 1005
    session = call(dev_node, "author_rotateKeys")
    assert len(bytes.fromhex(session[2:])) == 32
    assert call(dev_node, "author_hasSessionKeys", [session]) is True
    assert call(dev_node, "author_hasKey", [session, "aura"]) is True
    assert (keystore / ("61757261" + session[2:])).is_file()


def test_state_get_pairs_equals_storage(dev_node):
    pairs = call(dev_node, "state_getPairs", [ALICE_ACCOUNT])
    assert len(pairs) >= 12 and all(k.startswith(ALICE_ACCOUNT) for k, _ in pairs)
    head = call(dev_node, "chain_getFinalizedHead")
    for key, value in call(dev_node, "state_getPairs", [ALICE_ACCOUNT, head])[:3]:
        assert call(dev_node, "state_getStorage", [key, head]) == value


def test_payment_query_info_equals_runtime_api(dev_node):
    from substrateinterface import SubstrateInterface

    client = SubstrateInterface(url=dev_node.url)
    try:
        call_ = client.compose_call("Balances", "transfer_keep_alive", {"dest": Keypair.create_from_uri("//Bob").ss58_address,
                                                                         "value": 10**9})
        ext = client.create_signed_extrinsic(call=call_, keypair=Keypair.create_from_uri("//Alice"))
        info = call(dev_node, "payment_queryInfo", ["0x" + ext.data.data.hex()])
        expected = client.get_payment_info(call_, Keypair.create_from_uri("//Alice"))
    finally:
        client.close()
    assert info["class"] == "normal" and int(info["partialFee"]) == expected["partialFee"] > 0
    assert info["weight"]["ref_time"] == expected["weight"]["ref_time"] > 0
