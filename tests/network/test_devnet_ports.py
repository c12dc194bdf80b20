"""The devnet's port allocator and a failed `devnet up` (real processes)."""
from __future__ import annotations

import contextlib

import pathlib
import socket
import subprocess
import sys

import pytest
import yaml

from tools import devnet as dn

REPO = pathlib.Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def _busy_port_before_a_free_one():
    """A port held open here whose successor is free (ephemeral ports are shared with every other
    process on the machine: pick a pair where the next port is not someone else's right now)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            busy = s.getsockname()[1]
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", busy + 1))
                except OSError:
                    continue
            yield busy
            return
    raise RuntimeError("no busy/free port pair found")


def test_allocator_never_hands_out_a_port_twice():
    alloc = dn.PortAllocator()
    alloc.reserve([alloc.low + i for i in range(0, 12000, 3)])
    reserved = set(alloc.taken)
    ports = [alloc.take() for _ in range(3 * 64)]     # rpc, p2p and prometheus of 64 nodes
    assert len(set(ports)) == len(ports)
    assert not reserved & set(ports)
    assert all(alloc.low <= p < alloc.high for p in ports)
    with _busy_port_before_a_free_one() as busy:         # a port in use is skipped
        a2 = dn.PortAllocator(low=busy, high=busy + 2)
        a2._next = busy
        assert a2.take() == busy + 1
        with pytest.raises(RuntimeError, match="no free TCP port"):
            a2.take()
    assert len({dn.free_port() for _ in range(200)}) == 200


@pytest.mark.integration
def test_failed_up_stops_what_it_started(tmp_path):
    devnet = dn.load()
    port = dn.free_port()
    devnet["ports"] = {"p2p": port, "rpc": port + 1, "prometheus": port}   # the 1st node's ports clash
    path = tmp_path / "devnet.yaml"
    path.write_text(yaml.safe_dump(devnet))
    base = tmp_path / "dn"
    up = subprocess.run([sys.executable, "-m", "tools", "devnet", "up", "--devnet", str(path), "--base-dir",
                         str(base), "--validators", "2", "--wait", "60"], cwd=REPO, capture_output=True,
                        text=True, timeout=180)
    assert up.returncode == 1 and "error:" in up.stderr and "Traceback" not in up.stderr, up.stderr
    assert not (base / dn.STATE_FILE).exists()
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    assert str(base) not in ps, "a node of the failed devnet is still running"
