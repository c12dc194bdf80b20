"""A full node following a single-authority dev chain finalizes what the author finalizes.

The `--dev` author finalizes its blocks at once (instant finality); its own precommit is
a complete justification, which reaches a follower with synced blocks (catching up)
and as commits (following the head).
"""
from __future__ import annotations

import pathlib

import pytest

from tools import devnet as dn
from primitives.hashing import blake2_256
from tests.network.harness import NodeHandle, wait_for

pytestmark = pytest.mark.integration


def _node(base: pathlib.Path, name: str, args: list[str]) -> NodeHandle:
    key = blake2_256(f"dev-follower/{base}/{name}".encode()).hex()
    plan = dn.NodePlan(name, False, None, key, dn._peer_id(key), "127.0.0.1", dn.free_port(), dn.free_port(),
                       dn.free_port(), base / name)
    common = ["node", "--base-path", str(plan.base_path), "--node-key", key, "--block-time", "1000",
              "--listen-addr", f"/ip4/127.0.0.1/tcp/{plan.p2p_port}", "--rpc-port", str(plan.rpc_port),
              "--prometheus-port", str(plan.prometheus_port)]
    return NodeHandle(plan, common + args, base / f"{name}.log")


def test_full_node_follows_dev_chain_finality(tmp_path):
    author = _node(tmp_path, "author", ["--dev"])
    follower = None
    try:
        author.start().wait_rpc()
        wait_for(lambda: author.finalized()[0] >= 4, 60, "the dev node to author and finalize")
        follower = _node(tmp_path, "follower", ["--chain", "dev", "--bootnodes", author.plan.multiaddr])
        follower.start().wait_rpc()
        # catching up: finality arrives with the synced blocks' justifications
        wait_for(lambda: follower.finalized()[0] >= 4, 60, "the follower to finalize synced blocks")
        # following the head: finality arrives as commits
        f0 = follower.finalized()[0]
        wait_for(lambda: follower.finalized()[0] >= f0 + 5, 60, "the follower's finality to advance")
        number, fin_hash = follower.finalized()
        assert author.hash_at(number) == fin_hash
        lag = author.finalized()[0] - number
        print(f"\nfollower finalized #{number}, {lag} behind the author")
        block = follower.rpc("chain_getBlock", [fin_hash])
        assert block["justifications"] and block["justifications"][0][0] == "FRNK"
        assert follower.metric('substrate_block_height{status="finalized"}') >= number
    finally:
        if follower is not None:
            follower.stop()
        author.stop()
