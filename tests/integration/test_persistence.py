"""Restart and crash safety of a dev node on a base path (real processes, LevelDB)."""
from __future__ import annotations

import time

from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import NodeProcess, rpc

ALICE = Keypair.create_from_uri("//Alice")
BOB = Keypair.create_from_uri("//Bob")


def _state(port):
    best = rpc(port, "chain_getHeader")["result"]
    best_hash = rpc(port, "chain_getBlockHash", [int(best["number"], 16)])["result"]
    return int(best["number"], 16), best_hash


def test_restart_resumes_same_chain_and_balances(tmp_path):
    node = NodeProcess(tmp_path).start()
    try:
        s = SubstrateInterface(url=node.url)
        call = s.compose_call("Balances", "transfer_keep_alive", {"dest": BOB.ss58_address, "value": 777_000})
        receipt = s.submit_extrinsic(s.create_signed_extrinsic(call=call, keypair=ALICE), wait_for_inclusion=True)
        assert receipt.is_success
        bob_before = s.query("System", "Account", [BOB.ss58_address]).value["data"]["free"]
        s.close()
        last_number, last_hash = _state(node.rpc_port)
    finally:
        node.stop()
    # restart on the same base path and slot time (the slot is part of the genesis); blocks authored
    # meanwhile only add to what is compared
    node2 = NodeProcess(tmp_path, "--no-prometheus").start(wait_blocks=0)
    try:
        number, _ = _state(node2.rpc_port)
        assert number >= last_number
        assert rpc(node2.rpc_port, "chain_getBlockHash", [last_number])["result"] == last_hash
        included = rpc(node2.rpc_port, "chain_getHeader", [receipt.block_hash])["result"]
        assert rpc(node2.rpc_port, "chain_getBlockHash", [int(included["number"], 16)])["result"] == receipt.block_hash
        s = SubstrateInterface(url=node2.url)
        assert s.query("System", "Account", [BOB.ss58_address]).value["data"]["free"] == bob_before
        s.close()
    finally:
        node2.stop()


def test_kill9_loses_no_committed_block(tmp_path):
    node = NodeProcess(tmp_path, block_time_ms=300).start(wait_blocks=3)
    seen = {}
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:  # remember blocks the node reported as committed
        number, best_hash = _state(node.rpc_port)
        seen[number] = best_hash
        time.sleep(0.05)
    node.kill9()
    node2 = NodeProcess(tmp_path, block_time_ms=300).start(wait_blocks=0)
    try:
        best_number, _ = _state(node2.rpc_port)
        assert best_number >= max(seen)
        for number, block_hash in seen.items():
            assert rpc(node2.rpc_port, "chain_getBlockHash", [number])["result"] == block_hash
            assert rpc(node2.rpc_port, "chain_getHeader", [block_hash])["result"] is not None
    finally:
        node2.stop()
