"""The `agora devnet` command line (the commands are listed in tools/devnet.py)."""
from __future__ import annotations

import argparse
import json
import pathlib
import sys
import tempfile
from typing import Any

from genesis.spec import load_spec, set_slot_duration, slot_duration_ms
from node.chaingen import generate
from tools.deploy import compose
from tools.deploy.cli import add_deploy_commands
from tools.devnet import chain_spec, down, load, rpc, status, up
from tools.devnet_control import add_control_commands


# -- command line -----------------------------------------------------------------------------------------------

def _default_base() -> pathlib.Path:
    return pathlib.Path(tempfile.gettempdir()) / "agora-devnet"


def _print_status(rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Agora devnet")
    for col in ("node", "role", "pid", "rpc", "peers", "best", "finalized", "syncing", "peer id"):
        table.add_column(col)

    def cell(v: Any) -> str:
        return "-" if v is None else str(v)

    for r in rows:
        state = "" if r["alive"] else " [red](down)[/red]"
        table.add_row(r["name"] + state, r["role"], cell(r["pid"]), cell(r["rpc"]), cell(r["peers"]),
                      cell(r["best"]), cell(r["finalized"]), cell(r["syncing"]), r["peer_id"][-12:])
    Console(width=max(120, Console().width)).print(table)


def cmd_up(args: argparse.Namespace) -> int:
    try:
        state = up(args.base_dir, args.validators, devnet_path=args.devnet, free_ports=args.free_ports,
                   wait=args.wait, rpc_nodes=not args.no_rpc_node, netns=args.netns)
    except (RuntimeError, TimeoutError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"devnet up in {state['base_dir']} (chain spec {state['spec']})")
    _print_status(status(args.base_dir))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    try:
        rows = status(args.base_dir)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        _print_status(rows)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    try:
        stopped = down(args.base_dir, purge=args.purge)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"stopped {stopped} node(s)")
    return 0


def cmd_spec(args: argparse.Namespace) -> int:
    text = json.dumps(chain_spec(load(args.devnet), args.validators), indent=2)
    if args.out:
        pathlib.Path(args.out).write_text(text + "\n")
    else:
        print(text)
    return 0


def cmd_compose(args: argparse.Namespace) -> int:
    text = compose.render(load(args.devnet), args.validators)
    if args.out:
        compose.write(load(args.devnet), pathlib.Path(args.out), args.validators)   # with its key files
    else:
        sys.stdout.write(text)
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    try:
        health = rpc(args.rpc_port, "system_health", timeout=3)
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    if health["peers"] < args.min_peers:
        print(f"unhealthy: {health['peers']} peers", file=sys.stderr)
        return 1
    print(json.dumps(health))
    return 0


def cmd_gen_chain(args: argparse.Namespace) -> int:
    devnet = load(args.devnet)
    if args.chain:
        spec = load_spec(args.chain)
    else:
        spec = chain_spec(devnet, args.validators)
    uris = [v["key"] for v in devnet["validators"]]
    if args.block_time:
        set_slot_duration(spec, args.block_time)
    slot_ms = slot_duration_ms(spec)
    g = generate(spec, args.base_path, args.blocks, authority_uris=uris, slot_ms=slot_ms,
                 transfers_per_block=args.transfers, finalize_every=args.finalize_every)
    print(f"built {g.blocks} blocks ({g.transactions} transfers) in {g.seconds:.1f}s: best #{g.best_number} "
          f"0x{g.best_hash.hex()}, finalized #{g.finalized_number}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("devnet", help="A local multi-validator network (genesis/devnet.yaml)")
    sub = p.add_subparsers(dest="devnet_command", metavar="DEVNET_COMMAND", required=True)

    def common(q: argparse.ArgumentParser, base: bool = True) -> None:
        q.add_argument("--devnet", default=None, help="Devnet description (default genesis/devnet.yaml)")
        if base:
            q.add_argument("--base-dir", type=pathlib.Path, default=_default_base(),
                           help="Where the nodes keep their data, logs and the run state")

    q = sub.add_parser("up", help="Start the validators (and RPC node) as local processes")
    common(q)
    q.add_argument("--validators", type=int, default=None, help="How many validators (default from the YAML)")
    q.add_argument("--free-ports", action="store_true", help="Pick free ports instead of the YAML's base ports")
    q.add_argument("--wait", type=float, default=60.0, help="Seconds to wait for every RPC to answer")
    q.add_argument("--no-rpc-node", action="store_true", help="Only the validators (no full RPC node)")
    q.add_argument("--netns", action="store_true",
                   help="Each node in its own network namespace with its own address (root; enables "
                        "partition/heal/netem on real links)")
    q.set_defaults(run=cmd_up)
    q = sub.add_parser("status", help="Best, finalized and peers of every node")
    common(q)
    q.add_argument("--json", action="store_true")
    q.set_defaults(run=cmd_status)
    q = sub.add_parser("down", help="Stop the devnet's processes")
    common(q)
    q.add_argument("--purge", action="store_true", help="Also remove the nodes' data")
    q.set_defaults(run=cmd_down)
    q = sub.add_parser("spec", help="Print the devnet chain spec")
    common(q, base=False)
    q.add_argument("--validators", type=int, default=None)
    q.add_argument("--out", default=None)
    q.set_defaults(run=cmd_spec)
    q = sub.add_parser("compose", help="Print docker-compose.yml for the devnet")
    common(q, base=False)
    q.add_argument("--validators", type=int, default=None)
    q.add_argument("--out", default=None)
    q.set_defaults(run=cmd_compose)
    q = sub.add_parser("health", help="Exit 0 when the node's RPC answers and it has peers (healthchecks)")
    q.add_argument("--rpc-port", type=int, default=9944)
    q.add_argument("--min-peers", type=int, default=1)
    q.set_defaults(run=cmd_health)
    q = sub.add_parser("gen-chain", help="Build blocks offline into a base path with a fake clock")
    common(q, base=False)
    q.add_argument("--base-path", type=pathlib.Path, required=True)
    q.add_argument("--blocks", type=int, required=True)
    q.add_argument("--validators", type=int, default=None)
    q.add_argument("--chain", default=None, help="A chain spec file instead of the devnet's")
    q.add_argument("--block-time", type=int, default=None, metavar="MS")
    q.add_argument("--transfers", type=int, default=0, help="Signed transfers per block")
    q.add_argument("--finalize-every", type=int, default=100, help="A justification every N blocks (0: none)")
    q.set_defaults(run=cmd_gen_chain)
    add_deploy_commands(sub, common)     # stack, k8s: renderers for other orchestrators
    add_control_commands(sub, common)    # stop/start/kill/logs/add-node/partition/...
