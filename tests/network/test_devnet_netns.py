"""`agora devnet up --netns`: four validators + an RPC node, each in its own network namespace.

Links are cut for real (packets dropped in the kernel, nothing answered): the keep-alive must
notice, finality must stop on both sides, and after `heal` the nodes must reorg to one chain and
finalize again, never reverting a finalized block.  Then the lifecycle commands on the same net.
Needs root and `ip netns`; skipped with one line otherwise.  Timings are printed, not asserted
(generous liveness bounds only).
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
import urllib.request

import pytest

from tools import devnet as dn
from tools import devnet_netns

pytestmark = pytest.mark.integration
REPO = pathlib.Path(__file__).resolve().parents[2]
WHY = devnet_netns.unavailable_reason()
if WHY is not None:
    pytest.skip(f"--netns devnet: {WHY}", allow_module_level=True)


def agora(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tools", "devnet", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


class Net:
    def __init__(self, base: pathlib.Path) -> None:
        self.base = base
        self.finalized_seen: dict[int, str] = {}

    def args(self, *a: str) -> list[str]:
        return [*a, "--base-dir", str(self.base)]

    def entry(self, name: str) -> dict:
        return next(n for n in dn.read_state(self.base)["nodes"] if n["name"] == name)

    def rpc(self, name: str, method: str, params=None):
        e = self.entry(name)
        return dn.rpc(e["rpc_port"], method, params, host=e["host"], timeout=5)

    def st(self, name: str) -> dict:
        e = self.entry(name)
        s = dn.node_status(e["rpc_port"], e["host"])
        number, h = s["finalized"], s["finalized_hash"]
        assert self.finalized_seen.setdefault(number, h) == h, f"two blocks finalized at #{number}"
        return s

    def check_no_revert(self, names) -> None:
        for name in names:
            fin = self.st(name)["finalized"]
            for number, h in list(self.finalized_seen.items()):
                if number <= fin:
                    assert self.rpc(name, "chain_getBlockHash", [number]) == h, f"{name}: #{number} reverted"

    def wait(self, pred, timeout: float, what: str) -> float:
        t0 = time.monotonic()
        last = None
        while time.monotonic() - t0 < timeout:
            try:
                if pred():
                    return time.monotonic() - t0
            except (OSError, RuntimeError, KeyError) as exc:
                last = exc
            time.sleep(0.25)
        logs = "\n".join(agora(*self.args("logs", n, "-n", "15")).stdout for n in ("alice", "charlie"))
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error {last!r})\n{logs}")


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    base = tmp_path_factory.mktemp("netns") / "dn"
    n = Net(base)
    up = agora(*n.args("up", "--netns", "--validators", "4"), timeout=180)
    layout = None
    try:
        assert up.returncode == 0, up.stderr + up.stdout
        layout = dn.read_state(base)["netns"]
        yield n
    finally:
        if layout is None and (base / dn.STATE_FILE).exists():
            layout = dn.read_state(base)["netns"]
        down = agora(*n.args("down"))
        assert down.returncode == 0, down.stderr
        if layout is not None:
            assert devnet_netns.leftovers(layout) == [], "namespaces or links left behind"


VALIDATORS = ["alice", "bob", "charlie", "dave"]
ALL = VALIDATORS + ["rpc"]


def test_nodes_have_their_own_addresses_and_finalize(net):
    state = dn.read_state(net.base)
    hosts = [n["host"] for n in state["nodes"]]
    assert len(set(hosts)) == 5 and all(h.startswith("10.") for h in hosts)
    assert all(n["netns"].startswith("agora-") for n in state["nodes"])
    net.wait(lambda: all(net.st(n)["peers"] >= 3 for n in ALL), 60, "peers")
    net.wait(lambda: all(net.st(n)["finalized"] >= 3 for n in ALL), 90, "finality")
    peers = net.rpc("alice", "system_peers")
    assert {p["peerId"] for p in peers} >= {net.entry(n)["peer_id"] for n in ("bob", "charlie", "dave")}


def test_partition_is_noticed_finality_stops_then_heals(net):
    r = agora(*net.args("partition", "alice,bob,rpc", "/", "charlie,dave"))
    assert r.returncode == 0, r.stderr
    noticed = net.wait(lambda: net.st("alice")["peers"] == 2 and net.st("charlie")["peers"] == 1
                       and net.st("rpc")["peers"] == 2 and net.st("dave")["peers"] == 1, 60, "peers to drop")
    e = net.entry("alice")

    with urllib.request.urlopen(f"http://{e['host']}:{e['prometheus_port']}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    assert "substrate_sub_libp2p_peers_count 2.0" in text
    time.sleep(3)                                   # votes in flight settle
    f_a, f_b = net.st("alice")["finalized"], net.st("charlie")["finalized"]
    b_a, b_b = net.st("alice")["best"], net.st("charlie")["best"]
    net.wait(lambda: net.st("alice")["best"] >= b_a + 3 and net.st("charlie")["best"] >= b_b + 3, 60,
             "both halves to author")
    assert net.st("alice")["finalized"] <= f_a + 1 and net.st("charlie")["finalized"] <= f_b + 1, \
        "finalized without a supermajority"
    top = max(net.st("alice")["best"], net.st("charlie")["best"])
    stalled = {n: net.st(n)["finalized"] for n in ALL}
    assert max(stalled.values()) < top, f"finality did not stop: {stalled}, best #{top}"
    r = agora(*net.args("heal"))
    assert r.returncode == 0, r.stderr
    healed = net.wait(lambda: all(net.st(n)["finalized"] >= top for n in ALL), 60, "finality after healing")
    fin = min(net.st(n)["finalized"] for n in ALL)
    assert len({net.rpc(n, "chain_getBlockHash", [fin]) for n in ALL}) == 1, "still forked"
    net.check_no_revert(ALL)
    print(f"\n--netns partition noticed in {noticed:.1f}s (finality stalled at {stalled}); finalized past "
          f"both forks (#{top}) {healed:.1f}s after heal")


def test_lifecycle_commands(net):
    r = agora(*net.args("kill", "dave"))
    assert r.returncode == 0 and "killed" in r.stdout
    assert not dn._alive(net.entry("dave")["pid"])
    r = agora(*net.args("start", "dave"))
    assert r.returncode == 0, r.stderr
    r = agora(*net.args("restart", "bob"))
    assert r.returncode == 0, r.stderr
    r = agora(*net.args("add-node", "--name", "late"))
    assert r.returncode == 0, r.stderr
    target = net.st("alice")["finalized"]
    net.wait(lambda: net.st("late")["finalized"] >= target and net.st("dave")["finalized"] >= target, 90,
             "the late node and dave to sync and finalize")
    logs = agora(*net.args("logs", "late", "-n", "200"))
    assert logs.returncode == 0 and "Local node identity" in logs.stdout
    net.check_no_revert(ALL + ["late"])
    bad = agora(*net.args("stop", "nobody"))
    assert bad.returncode == 1 and "no node 'nobody'" in bad.stderr and "Traceback" not in bad.stderr
    em = agora(*net.args("netem", "alice", "--delay", "100ms", "--loss", "5%"))
    if em.returncode != 0:
        assert "netem" in em.stderr and "Traceback" not in em.stderr
        print(f"\nnetem unavailable here: {em.stderr.strip()}")
    else:
        assert agora(*net.args("netem", "alice", "--clear")).returncode == 0
    state = json.loads((net.base / dn.STATE_FILE).read_text())
    assert [n["name"] for n in state["nodes"]][-1] == "late"
