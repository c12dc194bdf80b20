"""Issue 12, items 2, 3 and 8 against a real dev node: while one connection's batch of
100,000 calls is served, blocks keep being authored and another client keeps getting
answers; malformed parameters are a clean -32602. (Latency figures: make bench.)"""
from __future__ import annotations

import pytest

from tests.integration.nodeproc import NodeProcess, rpc
from tests.reliability.flood import post_batch, well_behaved_during

pytestmark = pytest.mark.integration
BATCH = 100_000


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    node = NodeProcess(tmp_path_factory.mktemp("flood"), "--no-prometheus", block_time_ms=500).start(wait_blocks=1)
    yield node
    node.stop()


def test_blocks_and_other_clients_go_on_during_a_huge_batch(node):
    seen = well_behaved_during(node.rpc_port, lambda: post_batch(node.rpc_port, BATCH))
    answers = seen["result"]
    assert len(answers) == BATCH and all("result" in a for a in answers[:: BATCH // 100])
    assert len(seen["latencies"]) >= 3, "the other client got no answer while the batch ran"
    assert seen["heads"][-1] > seen["heads"][0], "no block was authored while the batch ran"


def test_read_proof_with_bad_keys_is_invalid_params(node):
    proof = rpc(node.rpc_port, "state_getReadProof", ["0x26aa", None])
    assert proof["error"]["code"] == -32602
    proof = rpc(node.rpc_port, "state_getReadProof", [{"key": "0x26aa"}])
    assert proof["error"]["code"] == -32602
    assert "Traceback" not in node.log_path.read_text()


def test_max_batch_request_len_flag(tmp_path):
    limited = NodeProcess(tmp_path, "--no-prometheus", "--rpc-max-batch-request-len", "5", block_time_ms=500)
    limited.start(wait_blocks=0)
    try:
        assert len(post_batch(limited.rpc_port, 5)) == 5
        assert post_batch(limited.rpc_port, 6)["error"]["code"] == -32010
    finally:
        limited.stop()
