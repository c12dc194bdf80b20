"""Helpers for the crash and corruption tests: real node processes and a full chain check over RPC."""
from __future__ import annotations

import subprocess
import sys
import time

from storage.trie import verify_proof
from tests.integration.nodeproc import REPO, NodeProcess, rpc

BLOCK_MS = 500
# System.Account of //Alice: a key the proof of the head's state must reach
ALICE_ACCOUNT = bytes.fromhex("26aa394eea5630e07c48ae0c9558cef7b99d880ec681799c0cf30e8886371da9"
                              "de1e86a9a8c739864cf3cc5ec2bea59fd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d")


def finalized_chain(port: int) -> dict[int, str]:
    """Every finalized block, number -> hash, checked: hashes, parent links, down to genesis."""
    fin_hash = rpc(port, "chain_getFinalizedHead")["result"]
    header = rpc(port, "chain_getHeader", [fin_hash])["result"]
    blocks: dict[int, str] = {}
    block_hash = fin_hash
    while True:
        number = int(header["number"], 16)
        assert rpc(port, "chain_getBlockHash", [number])["result"] == block_hash, f"#{number} not canonical"
        assert rpc(port, "chain_getBlock", [block_hash])["result"] is not None, f"#{number} has no body"
        blocks[number] = block_hash
        if number == 0:
            return blocks
        parent = rpc(port, "chain_getHeader", [header["parentHash"]])["result"]
        assert parent is not None, f"the parent of #{number} is missing (a hole)"
        assert int(parent["number"], 16) == number - 1
        block_hash, header = header["parentHash"], parent


def check_head_state(port: int) -> None:
    """The best block's state root is present and answers a proof for Alice's account."""
    best = rpc(port, "chain_getBlockHash")["result"]
    header = rpc(port, "chain_getHeader", [best])["result"]
    proof = rpc(port, "state_getReadProof", [["0x" + ALICE_ACCOUNT.hex()], best])["result"]
    values = verify_proof(bytes.fromhex(header["stateRoot"][2:]), [bytes.fromhex(p[2:]) for p in proof["proof"]],
                          [ALICE_ACCOUNT])
    stored = rpc(port, "state_getStorage", ["0x" + ALICE_ACCOUNT.hex(), best])["result"]
    assert values[ALICE_ACCOUNT] is not None and "0x" + values[ALICE_ACCOUNT].hex() == stored


def assert_no_rollback(before: dict[int, str], after: dict[int, str]) -> None:
    assert max(after) >= max(before), f"finalized #{max(before)} rolled back to #{max(after)}"
    for number, block_hash in before.items():
        assert after[number] == block_hash, f"finalized block #{number} was replaced"


def start_or_refusal(node: NodeProcess, timeout: float = 90.0) -> str | None:
    """Start the node; None once it serves RPC, or its log if it exited (a refusal)."""
    try:
        node.start(wait_blocks=0)
        return None
    except RuntimeError:
        return node.log_path.read_text()


def purge(base_path) -> None:
    subprocess.run([sys.executable, "-m", "tools", "purge-chain", "--chain", "dev", "-d", str(base_path), "-y"],
                   cwd=REPO, check=True, capture_output=True, timeout=60)


def wait_finalized(node: NodeProcess, number: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fin = rpc(node.rpc_port, "chain_getHeader", [rpc(node.rpc_port, "chain_getFinalizedHead")["result"]])
        if int(fin["result"]["number"], 16) >= number:
            return
        time.sleep(0.2)
    raise TimeoutError(f"block #{number} not finalized")

