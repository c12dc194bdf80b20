"""A fresh node joins a 2,000-block chain (built offline with a fake clock) and catches up."""
from __future__ import annotations

import json
import time

import pytest

from genesis.spec import slot_duration_ms
from tools import devnet as dn
from node.chaingen import generate
from tests.network.harness import full_node, wait_for

pytestmark = pytest.mark.integration

BLOCKS = 2000


def test_fresh_node_syncs_2000_blocks(tmp_path):
    devnet = dn.load()
    spec = dn.chain_spec(devnet, 4)
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))
    server = full_node(tmp_path, "server", spec_path)
    g = generate(spec, server.plan.base_path, BLOCKS, authority_uris=[v["key"] for v in devnet["validators"]],
                 slot_ms=slot_duration_ms(spec), finalize_every=100)
    assert g.best_number == BLOCKS and g.finalized_number == BLOCKS
    fresh = full_node(tmp_path, "fresh", spec_path, [server.plan.multiaddr])
    try:
        server.start().wait_rpc()
        assert server.best() == BLOCKS
        started = time.monotonic()
        fresh.start().wait_rpc()
        wait_for(lambda: fresh.best() >= BLOCKS, 90, "the fresh node to catch up")
        elapsed = time.monotonic() - started
        assert fresh.hash_at(BLOCKS) == "0x" + g.best_hash.hex()
        wait_for(lambda: fresh.finalized()[0] == BLOCKS, 20, "finality from the synced justifications")
        block = fresh.rpc("chain_getBlock", [fresh.hash_at(1000)])
        assert block["justifications"][0][0] == "FRNK"
        health = fresh.rpc("system_health")
        assert health["isSyncing"] is False and health["peers"] == 1
        state = fresh.rpc("system_syncState")
        assert state["currentBlock"] == BLOCKS and state["highestBlock"] == BLOCKS
        log = fresh.log_text()
        assert "⚙️  Syncing" in log and "target=#2000" in log, log[-3000:]
        print(f"synced {BLOCKS} blocks in {elapsed:.1f}s including start-up ({BLOCKS / elapsed:.0f} blocks/s)")
    finally:
        fresh.stop()
        server.stop()
