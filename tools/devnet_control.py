"""Chaos and lifecycle commands of a running devnet (both modes: local processes and --netns).

    agora devnet stop|start|restart|kill NODE      one node's process (stop: SIGINT, kill: SIGKILL)
    agora devnet logs NODE [-f] [-n LINES]          its log (-f: follow)
    agora devnet add-node [--name NAME]             a full node joining late and syncing
    agora devnet partition alice,bob / charlie,dave cut every link between the groups
    agora devnet heal                               restore them
    agora devnet netem NODE --delay 100ms --loss 5% latency/loss on what NODE sends (--netns)

Partitions: under --netns packets between the groups are dropped in the kernel (silent links);
for local processes the nodes refuse each other (agora_blockPeers, started with --network-test-rpc).
"""
from __future__ import annotations

import argparse
import pathlib
import signal
import sys
import time

from tools import devnet as dn
from tools import devnet_netns


class DevnetError(RuntimeError):
    """An operator mistake or a failed step: printed as one line."""


def _entry(state: dict, name: str) -> dict:
    for n in state["nodes"]:
        if n["name"] == name:
            return n
    raise DevnetError(f"no node {name!r} in this devnet (nodes: {', '.join(n['name'] for n in state['nodes'])})")


def _running(entry: dict) -> bool:
    return bool(entry.get("pid")) and dn._alive(entry["pid"])


def stop_node(base_dir: pathlib.Path, name: str, *, kill: bool = False, timeout: float = 10.0) -> bool:
    """Stop (SIGINT, then SIGKILL after ``timeout``) or kill (SIGKILL) a node; False if it was not running."""
    state = dn.read_state(base_dir)
    entry = _entry(state, name)
    if not _running(entry):
        return False
    dn.stop_pids([entry["pid"]], timeout=0 if kill else timeout, sig=signal.SIGKILL if kill else signal.SIGINT)
    return True


def start_node(base_dir: pathlib.Path, name: str, *, wait: float = 60.0) -> dict:
    state = dn.read_state(base_dir)
    entry = _entry(state, name)
    if _running(entry):
        raise DevnetError(f"{name} is already running (pid {entry['pid']})")
    dn.launch(entry)
    dn.write_state(state)
    dn.wait_rpc(entry, time.monotonic() + wait)
    return entry


def restart_node(base_dir: pathlib.Path, name: str, *, wait: float = 60.0) -> dict:
    stop_node(base_dir, name)
    return start_node(base_dir, name, wait=wait)


def add_node(base_dir: pathlib.Path, name: str | None = None, *, wait: float = 60.0) -> dict:
    """A full node (fresh identity, empty database) that joins through the devnet's bootnodes."""
    from primitives.hashing import blake2_256

    state = dn.read_state(base_dir)
    names = {n["name"] for n in state["nodes"]}
    if name is None:
        name = next(f"full{i}" for i in range(1, 10_000) if f"full{i}" not in names)
    if name in names:
        raise DevnetError(f"there already is a node {name!r}")
    node_key = blake2_256(f"agora-devnet/{state['base_dir']}/{name}".encode()).hex()
    base = pathlib.Path(state["base_dir"])
    layout = state.get("netns")
    if layout:
        ip = devnet_netns.add_node(layout, name)["ip"]
        first = state["nodes"][0]
        host, ports = ip, (first["p2p_port"], first["rpc_port"], first["prometheus_port"])
        extra = list(dn.NETNS_NODE_FLAGS)
    else:
        alloc = dn.PortAllocator()
        alloc.reserve(p for n in state["nodes"] for p in (n["p2p_port"], n["rpc_port"], n["prometheus_port"]))
        host, ports = "127.0.0.1", (alloc.take(), alloc.take(), alloc.take())
        extra = ["--network-test-rpc"]
    plan = dn.NodePlan(name, False, None, node_key, dn._peer_id(node_key), host, *ports, base / name)
    entry = dn.node_entry(plan, dn.node_args(plan, state["spec"], state.get("bootnodes", []), extra=extra), base,
                          layout["nodes"][name]["ns"] if layout else None)
    state["nodes"].append(entry)
    dn.write_state(state)
    dn.launch(entry)
    dn.write_state(state)
    dn.wait_rpc(entry, time.monotonic() + wait)
    return entry


def parse_groups(tokens: list[str]) -> list[list[str]]:
    """``alice,bob / charlie,dave`` (as one or several argv words) -> [[alice, bob], [charlie, dave]]."""
    groups = [[n for n in part.replace(",", " ").split() if n] for part in " ".join(tokens).split("/")]
    if len(groups) < 2 or any(not g for g in groups):
        raise DevnetError("give at least two non-empty groups: alice,bob / charlie,dave")
    return groups


def _rpc_block(entry: dict, method: str, peer_ids: list[str]) -> None:
    if peer_ids and _running(entry):
        dn.rpc(entry["rpc_port"], method, [peer_ids], host=entry["host"])


def partition(base_dir: pathlib.Path, groups: list[list[str]]) -> None:
    state = dn.read_state(base_dir)
    for g in groups:
        for name in g:
            _entry(state, name)
    if state.get("netns"):
        devnet_netns.partition(state["netns"], groups)
    else:
        group_of = {name: i for i, g in enumerate(groups) for name in g}
        heal(base_dir)
        for n in state["nodes"]:
            mine = group_of.get(n["name"], 0)
            _rpc_block(n, "agora_blockPeers",
                       [o["peer_id"] for o in state["nodes"] if group_of.get(o["name"], 0) != mine])
    state["partition"] = groups
    dn.write_state(state)


def heal(base_dir: pathlib.Path) -> None:
    state = dn.read_state(base_dir)
    if state.get("netns"):
        devnet_netns.heal(state["netns"])
    else:
        for n in state["nodes"]:
            _rpc_block(n, "agora_unblockPeers", [o["peer_id"] for o in state["nodes"] if o is not n])
    state["partition"] = None
    dn.write_state(state)


def netem(base_dir: pathlib.Path, name: str, delay: str | None, loss: str | None, clear: bool) -> None:
    state = dn.read_state(base_dir)
    _entry(state, name)
    if not state.get("netns"):
        raise DevnetError("latency and loss need a devnet started with `agora devnet up --netns`")
    devnet_netns.netem(state["netns"], name, delay, loss, clear)


def logs(base_dir: pathlib.Path, name: str, *, follow: bool = False, lines: int = 50, out=sys.stdout) -> None:
    entry = _entry(dn.read_state(base_dir), name)
    path = pathlib.Path(entry["log"])
    if not path.exists():
        raise DevnetError(f"{name} has no log yet ({path})")
    with open(path, "rb") as f:
        text = f.read().decode(errors="replace").splitlines(keepends=True)
        out.write("".join(text[-lines:] if lines > 0 else text))
        out.flush()
        while follow:
            chunk = f.read()
            if chunk:
                out.write(chunk.decode(errors="replace"))
                out.flush()
            else:
                time.sleep(0.2)


# -- command line -------------------------------------------------------------------------------------------

def _run(fn, *args, **kw) -> int:
    try:
        fn(*args, **kw)
    except (DevnetError, FileNotFoundError, RuntimeError, TimeoutError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def _cmd_lifecycle(args: argparse.Namespace) -> int:
    verb = args.devnet_command

    def act() -> None:
        if verb in ("stop", "kill"):
            if not stop_node(args.base_dir, args.node, kill=verb == "kill"):
                print(f"{args.node} was not running")
            else:
                print(f"{args.node} {'killed' if verb == 'kill' else 'stopped'}")
        else:
            entry = (start_node if verb == "start" else restart_node)(args.base_dir, args.node, wait=args.wait)
            print(f"{args.node} running (pid {entry['pid']}, rpc {entry['host']}:{entry['rpc_port']})")
    return _run(act)


def _cmd_add_node(args: argparse.Namespace) -> int:
    def act() -> None:
        e = add_node(args.base_dir, args.name, wait=args.wait)
        print(f"{e['name']} running (pid {e['pid']}, rpc {e['host']}:{e['rpc_port']}, peer id {e['peer_id']})")
    return _run(act)


def _cmd_partition(args: argparse.Namespace) -> int:
    def act() -> None:
        groups = parse_groups(args.groups)
        partition(args.base_dir, groups)
        print("partitioned: " + " / ".join(",".join(g) for g in groups))
    return _run(act)


def _cmd_heal(args: argparse.Namespace) -> int:
    return _run(lambda: (heal(args.base_dir), print("healed")))


def _cmd_netem(args: argparse.Namespace) -> int:
    return _run(netem, args.base_dir, args.node, args.delay, args.loss, args.clear)


def _cmd_logs(args: argparse.Namespace) -> int:
    return _run(logs, args.base_dir, args.node, follow=args.follow, lines=args.lines)


def add_control_commands(sub: argparse._SubParsersAction, common) -> None:
    for verb, text in (("stop", "Stop a node (SIGINT)"), ("start", "Start a stopped node again"),
                       ("restart", "Stop and start a node"), ("kill", "Kill a node (SIGKILL, as in a crash)")):
        q = sub.add_parser(verb, help=text)
        common(q)
        q.add_argument("node")
        q.add_argument("--wait", type=float, default=60.0, help="Seconds to wait for its RPC")
        q.set_defaults(run=_cmd_lifecycle)
    q = sub.add_parser("logs", help="Print a node's log")
    common(q)
    q.add_argument("node")
    q.add_argument("-f", "--follow", action="store_true", help="Keep printing what it logs (Ctrl-C to stop)")
    q.add_argument("-n", "--lines", type=int, default=50, help="Lines from the end (0: all)")
    q.set_defaults(run=_cmd_logs)
    q = sub.add_parser("add-node", help="Start a full node that joins late and syncs")
    common(q)
    q.add_argument("--name", default=None)
    q.add_argument("--wait", type=float, default=60.0)
    q.set_defaults(run=_cmd_add_node)
    q = sub.add_parser("partition", help="Cut the links between groups: alice,bob / charlie,dave")
    common(q)
    q.add_argument("groups", nargs="+")
    q.set_defaults(run=_cmd_partition)
    q = sub.add_parser("heal", help="Restore every link a partition cut")
    common(q)
    q.set_defaults(run=_cmd_heal)
    q = sub.add_parser("netem", help="Latency / loss on what a node sends (tc netem; --netns only)")
    common(q)
    q.add_argument("node")
    q.add_argument("--delay", default=None, help="e.g. 100ms")
    q.add_argument("--loss", default=None, help="e.g. 5%%")
    q.add_argument("--clear", action="store_true", help="Remove the node's latency and loss")
    q.set_defaults(run=_cmd_netem)
