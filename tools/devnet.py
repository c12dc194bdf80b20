"""`agora devnet`: a local multi-validator network, from genesis/devnet.yaml.

    agora devnet up --validators 4 [--base-dir DIR]   start the nodes as local processes
    agora devnet status [--base-dir DIR]              best / finalized / peers per node
    agora devnet down [--base-dir DIR] [--purge]      stop them (and remove their data)
    agora devnet spec --validators 4 [--out FILE]     the devnet chain spec (JSON)
    agora devnet compose [--out FILE]                 docker-compose.yml for the same topology
    agora devnet stack [--out FILE]                   the same as a Docker Swarm stack
    agora devnet k8s [--out DIR]                      the same as Kubernetes manifests
    agora devnet health --rpc-port 9944               exit 0 when a node is up and has peers
    agora devnet gen-chain --blocks 2000 --base-path DIR   build blocks offline (fake clock)
    agora devnet up --netns                           each node in its own network namespace (root)
    agora devnet stop|start|restart|kill|logs|add-node|partition|heal|netem   see tools/devnet_control.py

The process runner and the compose file (tools/deploy) are both planned from the same YAML, so
the topology the tests exercise is the one compose runs. The command line is tools/devnet_cli.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any, Callable

import yaml

from tools import devnet_netns

REPO = pathlib.Path(__file__).resolve().parents[1]
DEVNET_YAML = REPO / "genesis" / "devnet.yaml"
STATE_FILE = "devnet.json"
SPEC_FILE = "spec.json"


# -- the plan ---------------------------------------------------------------------------------------

@dataclasses.dataclass
class NodePlan:
    name: str
    validator: bool
    key: str | None
    node_key: str
    peer_id: str
    host: str
    p2p_port: int
    rpc_port: int
    prometheus_port: int
    base_path: pathlib.Path

    @property
    def multiaddr(self) -> str:
        return f"/ip4/{self.host}/tcp/{self.p2p_port}/p2p/{self.peer_id}"


def load(path: str | os.PathLike | None = None) -> dict:
    with open(path or DEVNET_YAML) as f:
        devnet = yaml.safe_load(f)
    if not isinstance(devnet, dict) or "validators" not in devnet:
        raise ValueError(f"{path or DEVNET_YAML}: not a devnet description")
    return devnet


def _count(devnet: dict, validators: int | None) -> int:
    n = devnet["chain"]["validators"] if validators is None else validators
    if not 1 <= n <= len(devnet["validators"]):
        raise ValueError(f"--validators must be between 1 and {len(devnet['validators'])}")
    return n


def chain_spec(devnet: dict, validators: int | None = None) -> dict:
    """The chain spec every devnet node runs: the local testnet with the first N validators."""
    from genesis.spec import local_spec
    from primitives.keys import Keypair

    n = _count(devnet, validators)
    spec = local_spec(validators=n, slot_ms=devnet["chain"]["slot_ms"])
    spec["name"] = devnet["chain"]["name"]
    spec["id"] = devnet["chain"]["id"]
    spec["genesis"]["runtimeGenesis"]["config"]["aura"]["authorities"] = [
        Keypair.from_uri(v["key"]).ss58_address for v in devnet["validators"][:n]]
    return spec


def _peer_id(node_key: str) -> str:
    from p2p import keypair_from_hex, peer_id_of

    return peer_id_of(keypair_from_hex(node_key))


PortFn = Callable[[int], "tuple[int, int, int]"]


def plan(devnet: dict, validators: int | None, base_dir: pathlib.Path, *, host: str = "127.0.0.1",
         ports: PortFn | None = None, rpc_nodes: bool = True) -> list[NodePlan]:
    """One NodePlan per process: the first N validators, then the rpc nodes."""
    n = _count(devnet, validators)
    base = devnet["ports"]
    if ports is None:
        def ports(i: int) -> tuple[int, int, int]:
            return base["p2p"] + i, base["rpc"] + i, base["prometheus"] + i
    entries = [(v, True) for v in devnet["validators"][:n]]
    if rpc_nodes:
        entries += [(r, False) for r in devnet.get("rpc_nodes", [])]
    out = []
    for i, (entry, is_validator) in enumerate(entries):
        p2p, rpc, prom = ports(i)
        out.append(NodePlan(entry["name"], is_validator, entry.get("key") if is_validator else None,
                            entry["node_key"], _peer_id(entry["node_key"]), host, p2p, rpc, prom,
                            pathlib.Path(base_dir) / entry["name"]))
    return out


def bootnodes(devnet: dict, nodes: list[NodePlan]) -> list[str]:
    return [n.multiaddr for n in nodes if n.validator][:devnet.get("bootnodes", 2)]


def node_args(node: NodePlan, spec_path: str, boot: list[str], *, listen_host: str | None = None,
              public: bool = False, extra: list[str] = ()) -> list[str]:
    """The `agora` arguments that run ``node``."""
    args = ["node", "--chain", spec_path, "--base-path", str(node.base_path), "--name", node.name,
            "--node-key", node.node_key,
            "--listen-addr", f"/ip4/{listen_host or node.host}/tcp/{node.p2p_port}",
            "--rpc-port", str(node.rpc_port), "--prometheus-port", str(node.prometheus_port)]
    if public:
        args += ["--public-addr", f"/ip4/{node.host}/tcp/{node.p2p_port}"]
    if node.validator:
        args += ["--validator", "--key", node.key]  # type: ignore[list-item]
    others = [b for b in boot if not b.endswith("/p2p/" + node.peer_id)]
    if others:
        args += ["--bootnodes", *others]
    return args + list(extra)


# -- RPC helpers ---------------------------------------------------------------------------------------------

def rpc(port: int, method: str, params: list | None = None, timeout: float = 3.0, host: str = "127.0.0.1") -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(f"http://{host}:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        reply = json.loads(resp.read())
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def node_status(port: int, host: str = "127.0.0.1") -> dict:
    """best / finalized / peers / syncing of the node at RPC ``port`` (raises OSError when down)."""
    health = rpc(port, "system_health", host=host)
    best = rpc(port, "chain_getHeader", host=host)
    fin_hash = rpc(port, "chain_getFinalizedHead", host=host)
    fin = rpc(port, "chain_getHeader", [fin_hash], host=host)
    return {"peers": health["peers"], "syncing": health["isSyncing"], "best": int(best["number"], 16),
            "finalized": int(fin["number"], 16), "finalized_hash": fin_hash}


# -- process runner -------------------------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:   # a zombie child of ours is not alive
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:   # not our child: a zombie nobody reaped yet is dead too
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True


class PortAllocator:
    """Free TCP ports, never the same one twice (RPC, p2p and Prometheus ports of every node).

    Ports come from below the kernel's ephemeral range, so the nodes' own outgoing connections
    cannot take one between its allocation and the node binding it."""

    def __init__(self, host: str = "127.0.0.1", low: int = 20000, high: int = 32000) -> None:
        self.host = host
        self.low, self.high = low, high
        self.taken: set[int] = set()
        self._next = low + int.from_bytes(os.urandom(2), "little") % (high - low)

    def reserve(self, ports) -> None:
        self.taken.update(int(p) for p in ports)

    def take(self) -> int:
        for _ in range(self.high - self.low):
            port = self._next
            self._next = self.low if port + 1 >= self.high else port + 1
            if port in self.taken:
                continue
            with socket.socket() as s:
                try:
                    s.bind((self.host, port))
                except OSError:
                    continue
            self.taken.add(port)
            return port
        raise RuntimeError(f"no free TCP port in {self.low}-{self.high}")

    def release(self, ports) -> None:
        """Ports whose user is gone may be handed out again (a long-running provider's services)."""
        self.taken.difference_update(int(p) for p in ports)


_PORTS = PortAllocator()
# RPC and metrics on the node's own address (reached from the host over the devnet's private
# bridge); Host filtering off, since callers name the node by its IP, not "localhost"
NETNS_NODE_FLAGS = ("--unsafe-rpc-external", "--rpc-cors", "all", "--prometheus-external")


def free_port() -> int:
    """A free port this process has not handed out before."""
    return _PORTS.take()


def start_process(node: NodePlan, args: list[str], log_path: pathlib.Path, wrap: list[str] = ()) -> subprocess.Popen:
    """``agora <args>`` in the background (``wrap``: e.g. ``ip netns exec NS``, which execs in place)."""
    node.base_path.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    try:
        return subprocess.Popen([*wrap, sys.executable, "-m", "tools", *args], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(REPO),
                                start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    finally:
        log.close()


def node_entry(node: NodePlan, args: list[str], base_dir: pathlib.Path, netns: str | None = None) -> dict:
    """What the state file keeps about a node: enough to stop, start and reach it again."""
    return {"name": node.name, "validator": node.validator, "pid": None, "peer_id": node.peer_id,
            "host": node.host, "p2p_port": node.p2p_port, "rpc_port": node.rpc_port,
            "prometheus_port": node.prometheus_port, "log": str(base_dir / f"{node.name}.log"),
            "base_path": str(node.base_path), "args": args, "netns": netns}


def launch(entry: dict) -> int:
    """Start the node of a state entry; returns (and records) its pid."""
    plan_ = NodePlan(entry["name"], entry["validator"], None, "", entry["peer_id"], entry["host"],
                     entry["p2p_port"], entry["rpc_port"], entry["prometheus_port"], pathlib.Path(entry["base_path"]))
    wrap = ["ip", "netns", "exec", entry["netns"]] if entry.get("netns") else []
    entry["pid"] = start_process(plan_, entry["args"], pathlib.Path(entry["log"]), wrap).pid
    return entry["pid"]


def wait_rpc(entry: dict, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            rpc(entry["rpc_port"], "system_health", timeout=1, host=entry["host"])
            return
        except OSError:
            if not _alive(entry["pid"]):
                raise RuntimeError(f"{entry['name']} exited; see {entry['log']}") from None
            time.sleep(0.2)
    raise TimeoutError(f"{entry['name']} did not answer RPC in time; see {entry['log']}")


def write_state(state: dict) -> None:
    path = pathlib.Path(state["base_dir"]) / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(path)


def up(base_dir: pathlib.Path, validators: int | None = None, *, devnet_path: str | None = None,
       free_ports: bool = False, wait: float = 60.0, rpc_nodes: bool = True, extra: list[str] = (),
       netns: bool = False) -> dict:
    """Start the devnet; on any failure stop what was started (processes, namespaces) and re-raise."""
    devnet = load(devnet_path)
    base_dir = pathlib.Path(base_dir).resolve()
    base_dir.mkdir(parents=True, exist_ok=True)
    state_path = base_dir / STATE_FILE
    if state_path.exists():
        old = json.loads(state_path.read_text())
        if any(n.get("pid") and _alive(n["pid"]) for n in old["nodes"]) or old.get("netns"):
            raise RuntimeError(f"a devnet is already running from {base_dir} (agora devnet down --base-dir ...)")
    if netns:
        reason = devnet_netns.unavailable_reason()
        if reason is not None:
            raise RuntimeError(f"--netns: {reason}")
    spec_path = base_dir / SPEC_FILE
    spec_path.write_text(json.dumps(chain_spec(devnet, validators), indent=2))
    base = devnet["ports"]
    if netns:   # every node has its own address: the YAML's ports for all, as in compose
        ports = lambda i: (base["p2p"], base["rpc"], base["prometheus"])  # noqa: E731
    elif free_ports:
        alloc = PortAllocator()
        ports = lambda i: (alloc.take(), alloc.take(), alloc.take())  # noqa: E731
    else:
        ports = None
    nodes = plan(devnet, validators, base_dir, ports=ports, rpc_nodes=rpc_nodes)
    state: dict = {"base_dir": str(base_dir), "spec": str(spec_path), "started": time.time(), "nodes": [],
                   "netns": None, "bootnodes": []}
    try:
        if netns:
            state["netns"] = devnet_netns.create(str(base_dir), [n.name for n in nodes])
            for node in nodes:
                node.host = state["netns"]["nodes"][node.name]["ip"]
            extra = [*extra, *NETNS_NODE_FLAGS]
        else:
            extra = [*extra, "--network-test-rpc"]     # `devnet partition` cuts links by RPC here
        boot = state["bootnodes"] = bootnodes(devnet, nodes)
        for node in nodes:
            ns = state["netns"]["nodes"][node.name]["ns"] if netns else None
            state["nodes"].append(node_entry(node, node_args(node, str(spec_path), boot, extra=extra),
                                             base_dir, ns))
        write_state(state)
        for entry in state["nodes"]:
            launch(entry)
            write_state(state)
        deadline = time.monotonic() + wait
        for entry in state["nodes"]:
            wait_rpc(entry, deadline)
    except BaseException:
        if state_path.exists():
            down(base_dir)
        elif state["netns"]:
            devnet_netns.teardown(state["netns"])
        raise
    return state


def read_state(base_dir: pathlib.Path) -> dict:
    path = pathlib.Path(base_dir) / STATE_FILE
    if not path.exists():
        raise FileNotFoundError(f"no devnet in {base_dir} (agora devnet up --base-dir ...)")
    return json.loads(path.read_text())


def status(base_dir: pathlib.Path) -> list[dict]:
    rows = []
    for n in read_state(base_dir)["nodes"]:
        row = {"name": n["name"], "role": "validator" if n["validator"] else "full", "pid": n["pid"],
               "alive": bool(n.get("pid")) and _alive(n["pid"]), "rpc": n["rpc_port"], "peer_id": n["peer_id"],
               "host": n.get("host", "127.0.0.1")}
        try:
            row.update(node_status(n["rpc_port"], n.get("host", "127.0.0.1")))
        except (OSError, RuntimeError, KeyError, ValueError):
            row.update({"peers": None, "best": None, "finalized": None, "syncing": None})
        rows.append(row)
    return rows


def stop_pids(pids: list[int], timeout: float = 10.0, sig: int = signal.SIGINT) -> None:
    """Signal the processes, wait for them, SIGKILL the ones still running after ``timeout``."""
    pids = [p for p in pids if p and _alive(p)]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    deadline = time.monotonic() + 5     # SIGKILL is not instant, and init reaps the orphans a moment later
    while time.monotonic() < deadline and any(_exists(p) for p in pids):
        time.sleep(0.05)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == 0
    except ChildProcessError:
        return True


def down(base_dir: pathlib.Path, *, purge: bool = False, timeout: float = 10.0) -> int:
    """Stop every node, then delete the namespaces and links a --netns devnet made."""
    state = read_state(base_dir)
    pids = [n["pid"] for n in state["nodes"] if n.get("pid") and _alive(n["pid"])]
    stop_pids(pids, timeout)
    if state.get("netns"):
            devnet_netns.teardown(state["netns"])
    (pathlib.Path(base_dir) / STATE_FILE).unlink(missing_ok=True)
    if purge:
        import shutil

        for n in state["nodes"]:
            shutil.rmtree(n["base_path"], ignore_errors=True)
    return len(pids)
