"""`agora devnet up / status / down` as an operator runs them (real processes)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from node import devnet as dn

pytestmark = pytest.mark.integration
REPO = pathlib.Path(__file__).resolve().parents[2]


def agora(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def test_devnet_up_status_down(tmp_path):
    base = tmp_path / "dn"
    up = agora("devnet", "up", "--validators", "4", "--base-dir", str(base), "--free-ports")
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        assert "alice" in up.stdout and "rpc" in up.stdout
        state = json.loads((base / "devnet.json").read_text())
        assert [n["name"] for n in state["nodes"]] == ["alice", "bob", "charlie", "dave", "rpc"]
        deadline = time.monotonic() + 60
        rows = []
        while time.monotonic() < deadline:
            st = agora("devnet", "status", "--base-dir", str(base), "--json")
            assert st.returncode == 0, st.stderr
            rows = json.loads(st.stdout)
            if all(r["alive"] and (r["finalized"] or 0) >= 1 and (r["peers"] or 0) >= 3 for r in rows):
                break
            time.sleep(1)
        else:
            pytest.fail(f"devnet did not finalize: {rows}")
        table = agora("devnet", "status", "--base-dir", str(base))
        for col in ("best", "finalized", "peers", "alice", "dave", "rpc"):
            assert col in table.stdout
        again = agora("devnet", "up", "--base-dir", str(base), "--free-ports")
        assert again.returncode == 1 and "already running" in again.stderr
    finally:
        down = agora("devnet", "down", "--base-dir", str(base))
    assert down.returncode == 0 and "stopped 5" in down.stdout
    for n in state["nodes"]:
        assert not dn._alive(n["pid"]), f"{n['name']} still running"
        with pytest.raises(ProcessLookupError):
            os.kill(n["pid"], 0)
