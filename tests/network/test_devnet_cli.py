"""`agora devnet up / status / down` as an operator runs them (real processes)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from tools import devnet as dn

pytestmark = pytest.mark.integration
REPO = pathlib.Path(__file__).resolve().parents[2]


def agora(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools", *args], cwd=REPO, capture_output=True, text=True,
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


def _wait(pred, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (OSError, RuntimeError, KeyError):
            pass
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_devnet_lifecycle_and_chaos_commands(tmp_path):
    """kill / start / restart / logs / add-node / partition / heal on a local-process devnet."""
    base = tmp_path / "dn"
    up = agora("devnet", "up", "--validators", "3", "--no-rpc-node", "--base-dir", str(base), "--free-ports")
    try:
        assert up.returncode == 0, up.stderr + up.stdout

        def st(name):
            e = next(n for n in dn.read_state(base)["nodes"] if n["name"] == name)
            return dn.node_status(e["rpc_port"])

        _wait(lambda: all(st(n)["finalized"] >= 2 for n in ("alice", "bob", "charlie")), 60, "finality")
        r = agora("devnet", "kill", "charlie", "--base-dir", str(base))
        assert r.returncode == 0 and "killed" in r.stdout
        pid = next(n["pid"] for n in dn.read_state(base)["nodes"] if n["name"] == "charlie")
        assert not dn._alive(pid)
        assert agora("devnet", "start", "charlie", "--base-dir", str(base)).returncode == 0
        assert agora("devnet", "restart", "bob", "--base-dir", str(base)).returncode == 0
        add = agora("devnet", "add-node", "--base-dir", str(base))
        assert add.returncode == 0 and "full1 running" in add.stdout, add.stderr
        ports = [p for n in dn.read_state(base)["nodes"] for p in (n["p2p_port"], n["rpc_port"], n["prometheus_port"])]
        assert len(set(ports)) == len(ports)
        target = st("alice")["finalized"]
        _wait(lambda: st("full1")["finalized"] >= target and st("charlie")["finalized"] >= target, 90,
              "the late node to sync and finalize")
        r = agora("devnet", "partition", "alice", "/", "bob,charlie,full1", "--base-dir", str(base))
        assert r.returncode == 0, r.stderr
        _wait(lambda: st("alice")["peers"] == 0 and st("bob")["peers"] == 2, 30, "the partition")
        assert agora("devnet", "heal", "--base-dir", str(base)).returncode == 0
        _wait(lambda: st("alice")["peers"] == 3, 60, "reconnection after heal")
        logs = agora("devnet", "logs", "full1", "-n", "500", "--base-dir", str(base))
        assert logs.returncode == 0 and "Local node identity" in logs.stdout
        # -f keeps printing what the node logs after the command started
        follow = subprocess.Popen([sys.executable, "-m", "tools", "devnet", "logs", "alice", "-f", "-n", "0",
                                   "--base-dir", str(base)], stdout=subprocess.PIPE, text=True, cwd=REPO)
        try:
            first = follow.stdout.readline()          # nothing old with -n 0: this line was logged afterwards
            assert first.strip(), "logs -f printed nothing new"
        finally:
            follow.terminate()
            follow.wait(10)
        bad = agora("devnet", "netem", "alice", "--delay", "100ms", "--base-dir", str(base))
        assert bad.returncode == 1 and "--netns" in bad.stderr and "Traceback" not in bad.stderr
    finally:
        down = agora("devnet", "down", "--base-dir", str(base))
    assert down.returncode == 0 and "stopped 4" in down.stdout
