"""Garbage in: hypothesis-generated extrinsics and RPC requests get clear errors, never a crash."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

from hypothesis import HealthCheck, given, settings, strategies as st
from substrateinterface import Keypair

from tests.integration.nodeproc import rpc

ALICE = Keypair.create_from_uri("//Alice")
ALICE_ACCOUNT_KEY = ("0x26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
                     "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")


def post_raw(port: int, body: bytes) -> tuple[int, dict | list | None]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, None


def signed_prefix(payload: bytes) -> bytes:
    """Something that looks like a signed v4 extrinsic from Alice, followed by garbage."""
    body = b"\x84\x00" + ALICE.public_key + payload
    from primitives.scale import encode_compact
    return encode_compact(len(body)) + body


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
                           max_leaves=12)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.binary(max_size=200).map(signed_prefix)))
def test_garbage_extrinsics_get_clear_errors(dev_node, garbage):
    reply = rpc(dev_node.rpc_port, "author_submitExtrinsic", ["0x" + garbage.hex()])
    assert "error" in reply, reply
    assert reply["error"]["code"] in (1001, 1002, 1010, 1011, 1012, 1013, -32602), reply


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=st.sampled_from(["chain_getBlock", "chain_getBlockHash", "state_getStorage", "state_call",
                               "state_getKeysPaged", "state_queryStorageAt", "system_accountNextIndex",
                               "author_submitExtrinsic", "chain_getHeader", "state_getMetadata",
                               "state_getRuntimeVersion", "payment_queryInfo", "nonsense_method"]),
       params=json_values, rid=st.one_of(st.integers(), st.text(max_size=10)))
def test_garbage_rpc_params_get_json_rpc_errors(dev_node, method, params, rid):
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode()
    status, reply = post_raw(dev_node.rpc_port, body)
    assert status == 200 and isinstance(reply, dict)
    assert reply["id"] == rid
    assert "result" in reply or reply["error"]["code"] in (-32601, -32602, -32603, 4003, 1001, 1002, 1010, 1011, 1012, 1013)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_raw_socket_garbage_does_not_kill_the_server(dev_node, garbage):
    with socket.create_connection(("127.0.0.1", dev_node.rpc_port), timeout=5) as sock:
        sock.sendall(garbage + b"\r\n\r\n")
        sock.settimeout(2)
        try:
            answer = sock.recv(4096)
        except (socket.timeout, ConnectionResetError):
            answer = b""          # still waiting for the rest of a request, or dropped us: both fine
    # whatever it said was HTTP (an error status), and the server still answers the next client
    assert answer == b"" or answer.startswith(b"HTTP/1.1 "), answer[:200]
    assert rpc(dev_node.rpc_port, "system_health")["result"]["isSyncing"] is False


def test_node_still_healthy_and_state_intact(dev_node):
    before = rpc(dev_node.rpc_port, "state_getStorage", [ALICE_ACCOUNT_KEY])["result"]
    number = dev_node.best_number()
    dev_node.wait_ready(number + 1)
    assert rpc(dev_node.rpc_port, "state_getStorage", [ALICE_ACCOUNT_KEY])["result"] == before
    assert rpc(dev_node.rpc_port, "system_health")["result"]["isSyncing"] is False
