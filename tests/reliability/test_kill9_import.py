"""Issue 12, items 5 and 9: kill -9 while blocks are being built and committed, again and
again; after each restart every finalized block is still there, unchanged and linked to
its parent, and the head's state answers a proof against its state root."""
from __future__ import annotations

import random
import time

import pytest
from substrateinterface import Keypair, SubstrateInterface

from tests.integration.nodeproc import NodeProcess
from tests.reliability.chaincheck import (
    BLOCK_MS, assert_no_rollback, check_head_state, finalized_chain, start_or_refusal, wait_finalized,
)

pytestmark = pytest.mark.integration
CYCLES = 4


def _submit_transfer(url: str, amount: int) -> None:
    """A state change in flight when the node dies (not waited for)."""
    s = SubstrateInterface(url=url)
    try:
        call = s.compose_call("Balances", "transfer_keep_alive",
                              {"dest": Keypair.create_from_uri("//Bob").ss58_address, "value": amount})
        s.submit_extrinsic(s.create_signed_extrinsic(call=call, keypair=Keypair.create_from_uri("//Alice")))
    finally:
        s.close()


def test_kill9_cycles_keep_every_finalized_block(tmp_path):
    rng = random.Random(12)
    seen: dict[int, str] = {}
    for cycle in range(CYCLES):
        node = NodeProcess(tmp_path, block_time_ms=BLOCK_MS)
        try:
            refusal = start_or_refusal(node)
            assert refusal is None, f"cycle {cycle}: a kill -9 must not damage the database:\n{refusal[-3000:]}"
            chain = finalized_chain(node.rpc_port)
            if seen:
                assert_no_rollback(seen, chain)
            check_head_state(node.rpc_port)
            wait_finalized(node, max(chain) + 2)
            _submit_transfer(node.url, 1_000 + cycle)
            seen = finalized_chain(node.rpc_port)
            time.sleep(rng.uniform(0, BLOCK_MS / 1000))   # die at some point of a slot
        finally:
            node.kill9()
    node = NodeProcess(tmp_path, block_time_ms=BLOCK_MS)
    try:
        assert start_or_refusal(node) is None
        assert_no_rollback(seen, finalized_chain(node.rpc_port))
        check_head_state(node.rpc_port)
    finally:
        node.stop()
