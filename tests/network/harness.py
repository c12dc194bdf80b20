"""Multi-node harness: real node processes on 127.0.0.1, planned by tools.devnet.

It uses the same plan, chain spec and command line as ``agora devnet up`` (and the
compose file), only with free ports, a shorter slot and per-node control (kill,
restart, partition).
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time
from typing import Callable

from genesis.spec import set_slot_duration
from tools import devnet as dn

SLOT_MS = 1000


class NodeHandle:
    def __init__(self, plan: dn.NodePlan, args: list[str], log_path: pathlib.Path) -> None:
        self.plan = plan
        self.args = args
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return self.plan.name

    @property
    def rpc_port(self) -> int:
        return self.plan.rpc_port

    @property
    def peer_id(self) -> str:
        return self.plan.peer_id

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> "NodeHandle":
        assert not self.alive
        self.proc = dn.start_process(self.plan, self.args, self.log_path)
        return self

    def wait_rpc(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.rpc("system_health", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{self.name} RPC not up:\n{self.log_tail()}")

    def kill(self) -> None:
        if self.alive:
            self.proc.kill()  # type: ignore[union-attr]
            self.proc.wait()  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.alive:
            self.proc.send_signal(signal.SIGINT)  # type: ignore[union-attr]
            try:
                self.proc.wait(10)  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                self.kill()

    def rpc(self, method: str, params: list | None = None, timeout: float = 5.0):
        return dn.rpc(self.rpc_port, method, params, timeout=timeout)

    def status(self) -> dict:
        return dn.node_status(self.rpc_port)

    def hash_at(self, number: int) -> str | None:
        return self.rpc("chain_getBlockHash", [number])

    def best(self) -> int:
        return int(self.rpc("chain_getHeader")["number"], 16)

    def finalized(self) -> tuple[int, str]:
        h = self.rpc("chain_getFinalizedHead")
        return int(self.rpc("chain_getHeader", [h])["number"], 16), h

    def metric(self, name: str) -> float:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.plan.prometheus_port}/metrics", timeout=5) as r:
            text = r.read().decode()
        total = 0.0
        found = False
        for line in text.splitlines():
            if line.startswith(name) and not line.startswith("#"):
                key = line.split(" ")[0]
                if key == name or key.startswith(name + "{"):
                    total += float(line.rsplit(" ", 1)[1])
                    found = True
        if not found:
            raise KeyError(name)
        return total

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


class Devnet:
    """``validators`` validators (+ the rpc node when ``rpc_node``), on free ports."""

    def __init__(self, base_dir: pathlib.Path, validators: int = 4, *, rpc_node: bool = False,
                 slot_ms: int = SLOT_MS, extra: list[str] = ()) -> None:
        self.base_dir = pathlib.Path(base_dir)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        devnet = dn.load()
        spec = dn.chain_spec(devnet, validators)
        set_slot_duration(spec, slot_ms)
        self.spec = spec
        self.slot_ms = slot_ms
        self.spec_path = self.base_dir / "spec.json"
        self.spec_path.write_text(json.dumps(spec))
        plans = dn.plan(devnet, validators, self.base_dir, rpc_nodes=rpc_node,
                        ports=lambda i: (dn.free_port(), dn.free_port(), dn.free_port()))
        boot = dn.bootnodes(devnet, plans)
        extra = ["--network-test-rpc", *extra]
        self.nodes = {p.name: NodeHandle(p, dn.node_args(p, str(self.spec_path), boot, extra=list(extra)),
                                         self.base_dir / f"{p.name}.log") for p in plans}

    def __getitem__(self, name: str) -> NodeHandle:
        return self.nodes[name]

    def running(self) -> list[NodeHandle]:
        return [n for n in self.nodes.values() if n.alive]

    def start(self, *names: str) -> "Devnet":
        chosen = [self.nodes[n] for n in names] if names else list(self.nodes.values())
        for node in chosen:
            node.start()
        for node in chosen:
            node.wait_rpc()
        return self

    def stop(self) -> None:
        for node in self.nodes.values():
            if node.alive:
                node.proc.send_signal(signal.SIGINT)  # type: ignore[union-attr]
        for node in self.nodes.values():
            node.stop()

    def partition(self, group_a: list[str], group_b: list[str]) -> None:
        for a in group_a:
            self.nodes[a].rpc("agora_blockPeers", [[self.nodes[b].peer_id for b in group_b]])
        for b in group_b:
            self.nodes[b].rpc("agora_blockPeers", [[self.nodes[a].peer_id for a in group_a]])

    def heal(self, group_a: list[str], group_b: list[str]) -> None:
        for a in group_a:
            self.nodes[a].rpc("agora_unblockPeers", [[self.nodes[b].peer_id for b in group_b]])
        for b in group_b:
            self.nodes[b].rpc("agora_unblockPeers", [[self.nodes[a].peer_id for a in group_a]])

    def dump_logs(self) -> str:
        return "\n".join(f"===== {n.name} =====\n{n.log_tail(3000)}" for n in self.nodes.values())


def wait_for(pred: Callable[[], object], timeout: float, what: str, interval: float = 0.25, net: Devnet | None = None):
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = pred()
            if value:
                return value
        except (OSError, RuntimeError, KeyError) as exc:
            last_exc = exc
        time.sleep(interval)
    extra = ("\n" + net.dump_logs()) if net is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc!r}){extra}")


def common_finalized(nodes: list[NodeHandle]) -> int:
    return min(n.finalized()[0] for n in nodes)


def agree_up_to(nodes: list[NodeHandle], number: int) -> bool:
    hashes = {n.hash_at(number) for n in nodes}
    return len(hashes) == 1 and None not in hashes


def env_cpu_note() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def full_node(base_dir: pathlib.Path, name: str, spec_path: pathlib.Path, bootnodes: list[str] = (),
              extra: list[str] = ()) -> NodeHandle:
    """A non-authoring node with a fresh identity on free ports."""
    from primitives.hashing import blake2_256

    node_key = blake2_256(f"test-node/{base_dir}/{name}".encode()).hex()
    plan = dn.NodePlan(name, False, None, node_key, dn._peer_id(node_key), "127.0.0.1", dn.free_port(),
                       dn.free_port(), dn.free_port(), pathlib.Path(base_dir) / name)
    return NodeHandle(plan, dn.node_args(plan, str(spec_path), list(bootnodes), extra=list(extra)),
                      pathlib.Path(base_dir) / f"{name}.log")
