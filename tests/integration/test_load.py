"""`agora load` against a real dev node: what it reports matches what the chain holds."""
from __future__ import annotations

import json
import subprocess
import sys

from substrateinterface import Keypair

from tests.integration.nodeproc import REPO, rpc
from tools.load import DEV_SENDERS


def _nonces(port: int) -> dict[str, int]:
    return {uri: rpc(port, "system_accountNextIndex", [Keypair.create_from_uri(uri).ss58_address])["result"]
            for uri in DEV_SENDERS}


def test_load_reports_what_the_chain_finalized(dev_node, tmp_path):
    before = _nonces(dev_node.rpc_port)
    out = tmp_path / "load.json"
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--url", dev_node.url, "--seconds", "8",
                           "--rate", "150", "--connections", "3", "--drain", "60", "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "finalized" in proc.stdout and "latency p50" in proc.stdout   # the table
    summary = json.loads(out.read_text())
    assert summary["submitted"] > 100
    assert summary["accepted"] == summary["submitted"] and summary["rejected"] == {}
    assert summary["finalized"] == summary["included"] == summary["accepted"] and summary["pending"] == 0
    assert summary["accepted_per_s"] > 0 and summary["finalized_per_s"] > 0
    lat = summary["latency_finalized_s"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    # every transfer it counted as finalized is one nonce step of a sender on chain
    after = _nonces(dev_node.rpc_port)
    assert sum(after[u] - before[u] for u in DEV_SENDERS) == summary["finalized"]


def test_load_refuses_bad_arguments(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--seconds", "0"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "must be positive" in proc.stderr and "Traceback" not in proc.stderr


def test_load_against_no_node_is_one_error_line():
    proc = subprocess.run([sys.executable, "-m", "tools", "load", "--url", "ws://127.0.0.1:1", "--seconds", "1"],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "cannot reach ws://127.0.0.1:1" in proc.stderr
    assert "Traceback" not in proc.stderr
