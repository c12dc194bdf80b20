"""`agora`: the node's command line, with Substrate's flags and log lines."""
from __future__ import annotations

import argparse
import json
import logging
import pathlib
import shutil
import sys
import time

DEV_KEYS = ("alice", "bob", "charlie", "dave", "eve", "ferdie")


class SubstrateFormatter(logging.Formatter):
    """`2026-11-23 08:30:00 message`, plus the target for warnings and errors, as Substrate prints."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.created))
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            message = f"{record.levelname} {record.name}: {message}"
        text = f"{stamp} {message}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


TRACE = 5
logging.addLevelName(TRACE, "TRACE")
LOG_LEVELS = {"trace": TRACE, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
              "warning": logging.WARNING, "error": logging.ERROR, "off": logging.CRITICAL + 1}


def setup_logging(spec: str | None) -> None:
    """`--log` takes `level` or `target=level,target=level` like Substrate's `-l`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SubstrateFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        target, _, level = part.rpartition("=")
        if level.lower() not in LOG_LEVELS:
            raise SystemExit(f"error: -l/--log: unknown level '{level}' (one of {', '.join(LOG_LEVELS)})")
        logging.getLogger(target or None).setLevel(LOG_LEVELS[level.lower()])
    for noisy in ("libp2p", "multiaddr", "numba"):
        logging.getLogger(noisy).setLevel(max(logging.getLogger(noisy).level, logging.WARNING))


def port_number(text: str) -> int:
    """A TCP port (0 = any free one); argparse reports anything else as one line."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port '{text}'") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range 0-65535")
    return port


def lower(text: str) -> str:
    return text.lower()   # Substrate's enum values are case-insensitive (`--rpc-methods Unsafe`)


def _add_substrate_compat_args(p: argparse.ArgumentParser) -> None:
    """Flags of polkadot/node-template that scripts and zombienet pass. Those marked 'no effect' are
    accepted so such command lines start the node; what they configure does not exist here."""
    p.add_argument("--one", dest="alice", action="store_true", help="Same as --alice (Substrate's --one)")
    p.add_argument("--two", dest="bob", action="store_true", help="Same as --bob (Substrate's --two)")
    p.add_argument("--force-authoring", action="store_true",
                   help="Author blocks even with no peers and while syncing has not caught up")
    p.add_argument("--in-peers", type=int, default=None, metavar="N",
                   help="Maximum inbound peers; with --out-peers it sets --max-peers to their sum")
    p.add_argument("--out-peers", type=int, default=None, metavar="N", help="Maximum outbound peers (see --in-peers)")
    p.add_argument("--rpc-max-request-size", type=int, default=15, metavar="MB",
                   help="Maximum RPC request payload in megabytes (default 15)")
    p.add_argument("--rpc-max-response-size", type=int, default=15, metavar="MB",
                   help="Maximum RPC response payload in megabytes (default 15)")
    p.add_argument("--rpc-max-subscriptions-per-connection", type=int, default=1024, metavar="N",
                   help="Maximum concurrent subscriptions per RPC connection (default 1024)")
    no_effect = [
        ("--no-mdns", {"action": "store_true"}, "no mDNS discovery exists here"),
        ("--no-telemetry", {"action": "store_true"}, "no telemetry is ever sent"),
        ("--telemetry-url", {"action": "append", "default": [], "metavar": "URL VERBOSITY"}, "no telemetry client"),
        ("--pruning", {"metavar": "MODE"}, "alias of --state-pruning; every state is kept (archive)"),
        ("--state-pruning", {"metavar": "MODE"}, "every block's state is kept (archive)"),
        ("--blocks-pruning", {"metavar": "MODE"}, "every block body is kept (archive-canonical and more)"),
        ("--sync", {"type": lower, "metavar": "MODE"}, "sync is always full"),
        ("--db-cache", {"type": int, "metavar": "MiB"}, "LevelDB's own cache is used"),
        ("--allow-private-ip", {"action": "store_true"}, "private addresses are never filtered here"),
        ("--disable-log-color", {"action": "store_true"}, "logs are never coloured"),
        ("--rpc-rate-limit", {"type": int, "metavar": "CALLS_PER_MIN"}, "RPC calls are not rate-limited"),
    ]
    for flag, kwargs, why in no_effect:
        p.add_argument(flag, help=f"Accepted for Substrate compatibility, no effect: {why}", **kwargs)


def _add_node_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dev", action="store_true",
                   help="Development chain: --chain dev, --alice, --validator, a temporary database unless "
                        "--base-path is given, instant finality, RPC CORS open")
    p.add_argument("--chain", default=None, help="Chain spec: 'dev', 'local' or a path to a JSON spec")
    p.add_argument("-d", "--base-path", type=pathlib.Path, default=None,
                   help="Where the chain database lives (<base>/chains/<id>/db/full)")
    p.add_argument("--tmp", action="store_true", help="Use a temporary base path, removed on exit")
    p.add_argument("--name", default=None, help="The human-readable name for this node")
    p.add_argument("--validator", action="store_true", help="Author blocks (needs an authority key)")
    for name in DEV_KEYS:
        p.add_argument(f"--{name}", action="store_true",
                       help=f"Shortcut for `--name {name.capitalize()} --validator` with //{name.capitalize()}'s key")
    p.add_argument("--key", default=None, metavar="SURI", help="Authority key secret URI (sr25519), e.g. '//Alice'")
    p.add_argument("--keystore-path", type=pathlib.Path, default=None, metavar="DIR",
                   help="Substrate keystore holding the authority (aura) key, so it is not on the command line "
                        "(default for a validator without --key: <base>/chains/<id>/keystore, when it exists)")
    p.add_argument("--rpc-port", type=port_number, default=9944, help="JSON-RPC port, HTTP and WebSocket (default 9944)")
    p.add_argument("--rpc-external", action="store_true",
                   help="Listen on all interfaces; only safe RPC methods unless --rpc-methods unsafe")
    p.add_argument("--unsafe-rpc-external", action="store_true",
                   help="Listen on all interfaces and allow unsafe RPC methods")
    p.add_argument("--rpc-methods", type=lower, choices=("auto", "safe", "unsafe"), default="auto",
                   help="Which RPC methods to expose: auto = unsafe only when listening on localhost")
    p.add_argument("--rpc-cors", default=None,
                   help="Comma-separated origins allowed to call RPC from a browser, or 'all'")
    p.add_argument("--rpc-max-connections", type=int, default=100, help="Maximum RPC connections (default 100)")
    batches = p.add_mutually_exclusive_group()
    batches.add_argument("--rpc-max-batch-request-len", type=int, default=None, metavar="LEN",
                         help="Limit the max length per RPC batch request (default: no limit)")
    batches.add_argument("--rpc-disable-batch-requests", action="store_true", help="Disable RPC batch requests")
    p.add_argument("--port", type=port_number, default=None,
                   help="p2p TCP port (default 30333; --dev: an ephemeral port on 127.0.0.1)")
    p.add_argument("--listen-addr", action="append", default=[], metavar="MULTIADDR",
                   help="Listen on this multiaddr, e.g. /ip4/0.0.0.0/tcp/30333 (repeatable; overrides --port)")
    p.add_argument("--public-addr", action="append", default=[], metavar="MULTIADDR",
                   help="Advertise this multiaddr to peers instead of the listen addresses (repeatable)")
    p.add_argument("--bootnodes", nargs="+", action="extend", default=[], metavar="MULTIADDR",
                   help="Peers to connect to first: /ip4/1.2.3.4/tcp/30333/p2p/12D3KooW...")
    p.add_argument("--node-key", default=None, metavar="HEX",
                   help="The 32-byte Ed25519 secret of the node's libp2p identity, as hex (default: "
                        "<base>/chains/<id>/network/secret_ed25519, created on first start)")
    p.add_argument("--node-key-file", type=pathlib.Path, default=None, metavar="FILE",
                   help="Read the node key from FILE (hex or raw 32 bytes) instead of --node-key")
    p.add_argument("--reserved-nodes", nargs="+", action="extend", default=[], metavar="MULTIADDR",
                   help="Peers to stay connected to (dialed like bootnodes)")
    p.add_argument("--reserved-only", action="store_true",
                   help="Refuse every peer that is not a reserved node (private or partitioned networks)")
    p.add_argument("--max-peers", type=int, default=50, help="Maximum number of connected peers (default 50)")
    p.add_argument("--network-test-rpc", action="store_true",
                   help="Expose the unsafe RPC methods agora_blockPeers / agora_unblockPeers (partition tests)")
    p.add_argument("--no-network", action="store_true", help="Do not start the p2p network")
    p.add_argument("--prometheus-port", type=port_number, default=9615, help="Prometheus exporter port (default 9615)")
    p.add_argument("--prometheus-external", action="store_true", help="Expose Prometheus on all interfaces")
    p.add_argument("--no-prometheus", action="store_true", help="Do not start the Prometheus exporter")
    p.add_argument("--block-time", type=int, default=None, metavar="MS",
                   help="Slot duration in milliseconds (100-60000; default: the chain spec genesis's, 2000 for "
                        "dev). It is part of the genesis (Aura.SlotDuration), so it changes the genesis hash")
    p.add_argument("-l", "--log", action="append", default=None,
                   help="Log filter, e.g. 'debug', 'trace' or 'agora.txpool=debug' (repeatable, as Substrate's -l)")
    _add_substrate_compat_args(p)


class OneLineErrors(argparse.ArgumentParser):
    """A bad flag is one line on stderr and exit status 2 (not argparse's usage block)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(add_commands=None) -> argparse.ArgumentParser:
    """The node's own commands (node, build-spec, purge-chain, key); `add_commands(subparsers)` adds
    others (the `agora` entry point in tools/cli.py adds the client tools: the node imports none)."""
    from node.service import IMPL_VERSION

    parser = OneLineErrors(prog="agora", description="Agora: a Substrate-compatible node for decentralized AI")
    parser.add_argument("-V", "--version", action="version", version=f"agora {IMPL_VERSION}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrors)
    node = sub.add_parser("node", help="Run a node")
    node.add_argument("-V", "--version", action="version", version=f"agora {IMPL_VERSION}")
    _add_node_args(node)
    spec = sub.add_parser("build-spec", help="Print a chain spec as JSON")
    spec.add_argument("--chain", default="dev", help="'dev', 'local' or a path to a JSON spec")
    spec.add_argument("--raw", action="store_true", help="Print the genesis storage itself (hex key -> value)")
    spec.add_argument("--disable-default-bootnode", action="store_true",
                      help="Leave bootNodes empty (as Substrate's flag; the built-in specs name none anyway)")
    purge = sub.add_parser("purge-chain", help="Remove a chain's database")
    purge.add_argument("--chain", default="dev")
    purge.add_argument("-d", "--base-path", type=pathlib.Path, required=True)
    purge.add_argument("-y", action="store_true", help="Do not ask for confirmation")
    from node.keys_cli import add_key_commands

    add_key_commands(sub)
    if add_commands is not None:
        add_commands(sub)
    return parser


def _keystore_key(args: argparse.Namespace, spec: dict):
    """The authority key from --keystore-path, or from the base path's keystore when there is one."""
    from node.keystore import KeystoreError, authority_key

    directory = args.keystore_path
    if directory is None and args.base_path is not None:
        directory = args.base_path / "chains" / spec.get("id", "agora") / "keystore"
        if not directory.is_dir():
            return None
    if directory is None:
        return None
    try:
        return authority_key(directory)
    except KeystoreError as exc:
        raise SystemExit(f"error: {exc}") from None


def _node_config(args: argparse.Namespace):
    from genesis.spec import ChainSpecError, load_spec
    from node.service import NodeConfig
    from primitives.keys import Keypair

    chain = args.chain or ("dev" if args.dev else None)
    if chain is None:
        raise SystemExit("error: give --chain SPEC or --dev")
    try:
        spec = load_spec(chain)
    except ChainSpecError as exc:
        raise SystemExit(f"error: {exc}") from None
    dev_key = next((name for name in DEV_KEYS if getattr(args, name)), None)
    if args.dev and dev_key is None and args.key is None:
        dev_key = "alice"
    key = None
    if args.key:
        try:
            key = Keypair.from_uri(args.key)
        except ValueError as exc:
            raise SystemExit(f"error: --key: not a valid secret URI ({exc})") from None
    elif dev_key:
        key = Keypair.from_uri(f"//{dev_key.capitalize()}")
    validator = args.validator or args.dev or dev_key is not None
    if key is None and validator:
        key = _keystore_key(args, spec)
    if key is None and validator:
        raise SystemExit("error: --validator needs an authority key: --alice (or another dev key), --key SURI, "
                         "or an aura key in --keystore-path (see `agora key insert`)")
    from genesis.spec import set_slot_duration, slot_duration_ms

    if args.block_time is not None:
        if not 100 <= args.block_time <= 60_000:
            raise SystemExit("error: --block-time must be between 100 and 60000 ms")
        try:
            set_slot_duration(spec, args.block_time)   # the slot is the runtime's: a chain with another genesis
        except ChainSpecError as exc:
            raise SystemExit(f"error: --block-time: {exc}") from None
    slot_ms = slot_duration_ms(spec)
    external = args.rpc_external or args.unsafe_rpc_external
    rpc_methods = "unsafe" if args.unsafe_rpc_external else args.rpc_methods
    cors = args.rpc_cors
    if cors is None:  # Substrate: everything in --dev, else localhost pages and polkadot.js.org
        from node.rpc.server import SUBSTRATE_DEFAULT_CORS

        cors = "all" if args.dev else list(SUBSTRATE_DEFAULT_CORS)
    elif cors != "all":
        cors = [c.strip() for c in cors.split(",") if c.strip()]
    if args.rpc_max_batch_request_len is not None and args.rpc_max_batch_request_len < 1:
        raise SystemExit("error: --rpc-max-batch-request-len must be at least 1")
    if args.no_network:
        listen = None
    elif args.listen_addr:
        # Substrate's `/ws` suffix asks for a WebSocket transport; peers here speak TCP on the same address
        listen = [a[:-len("/ws")] if a.endswith("/ws") else a for a in args.listen_addr]
    elif args.port is not None:
        listen = [f"/ip4/0.0.0.0/tcp/{args.port}"]
    elif args.dev:
        listen = ["/ip4/127.0.0.1/tcp/0"]
    else:
        listen = ["/ip4/0.0.0.0/tcp/30333"]
    if args.node_key_file is not None:
        from node.keystore import KeystoreError, read_node_key

        if args.node_key is not None:
            raise SystemExit("error: give --node-key or --node-key-file, not both")
        try:
            args.node_key = read_node_key(args.node_key_file)
        except KeystoreError as exc:
            raise SystemExit(f"error: {exc}") from None
    if args.node_key is not None:
        from p2p import keypair_from_hex

        try:
            keypair_from_hex(args.node_key)
        except ValueError as exc:
            raise SystemExit(f"error: --node-key: {exc}") from None
    bootnodes = list(dict.fromkeys([*args.bootnodes, *spec.get("bootNodes", [])]))
    if listen is not None:
        import multiaddr

        from p2p import parse_peer_addr

        for addr in [*bootnodes, *args.reserved_nodes]:
            try:
                parse_peer_addr(addr)
            except ValueError as exc:
                raise SystemExit(f"error: bootnode: {exc}") from None
        for addr in [*listen, *args.public_addr]:
            try:
                multiaddr.Multiaddr(addr)
            except Exception as exc:  # operator input: any parse failure is one clear message
                raise SystemExit(f"error: bad multiaddr {addr!r}: {exc}") from None
    base_path = None if args.tmp or (args.dev and args.base_path is None) else args.base_path
    if base_path is None and not (args.tmp or args.dev):
        base_path = pathlib.Path.home() / ".local" / "share" / "agora"
    return NodeConfig(
        spec=spec, base_path=base_path, temporary=base_path is None,
        name=args.name or (dev_key.capitalize() if dev_key else "agora-node"),
        validator=validator, authority_key=key,
        rpc_host="0.0.0.0" if external else "127.0.0.1", rpc_port=args.rpc_port, rpc_methods=rpc_methods,
        rpc_cors=cors, rpc_max_connections=args.rpc_max_connections,
        rpc_max_request_bytes=args.rpc_max_request_size * 2**20, rpc_max_response_bytes=args.rpc_max_response_size * 2**20,
        rpc_max_subscriptions=args.rpc_max_subscriptions_per_connection, force_authoring=args.force_authoring,
        rpc_max_batch_len=args.rpc_max_batch_request_len, rpc_batches_enabled=not args.rpc_disable_batch_requests,
        prometheus_host="0.0.0.0" if args.prometheus_external else "127.0.0.1",
        prometheus_port=None if args.no_prometheus else args.prometheus_port,
        slot_ms=slot_ms, instant_finality=None,
        listen_addrs=listen, bootnodes=bootnodes, public_addrs=list(args.public_addr), node_key=args.node_key,
        max_peers=(args.in_peers or 0) + (args.out_peers or 0) if args.in_peers or args.out_peers else args.max_peers, reserved_nodes=list(args.reserved_nodes), reserved_only=args.reserved_only,
        network_test_rpc=args.network_test_rpc, keystore_path=args.keystore_path,
    )


def run_node(args: argparse.Namespace) -> int:
    import trio

    from node.chain import DatabaseMismatch
    from node.service import IMPL_NAME, IMPL_VERSION, Node, StartupError
    from storage.kv import DatabaseDamaged

    setup_logging(",".join(args.log or []))
    log = logging.getLogger("agora")
    config = _node_config(args)
    log.info(IMPL_NAME)
    log.info("✌️  version %s", IMPL_VERSION)
    log.info("❤️  by Agora, 2026")
    log.info("📋 Chain specification: %s", config.chain_name)
    log.info("🏷  Node name: %s", config.name)
    log.info("👤 Role: %s", "AUTHORITY" if config.validator else "FULL")
    try:
        node = Node(config)
    except (DatabaseMismatch, DatabaseDamaged) as exc:
        log.error("%s", exc)
        return 1
    except OSError as exc:
        log.error("Cannot open the database: %s", exc)
        return 1
    tune_garbage_collector()

    async def main() -> None:
        import signal

        # SIGINT (Ctrl-C) and SIGTERM (docker stop): cancel everything, close the database cleanly
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async with trio.open_nursery() as nursery:
                await nursery.start(node.run)
                async for signum in signals:
                    log.info("Shutting down (%s)", signal.Signals(signum).name)
                    nursery.cancel_scope.cancel()
                    break

    try:
        trio.run(main)
    except KeyboardInterrupt:
        log.info("Shutting down")
    except (StartupError, OSError, BaseExceptionGroup) as exc:
        cause = _startup_cause(exc)
        if cause is None:
            raise
        log.error("%s", cause)
        return 1
    return 0


# A node under load allocates millions of short-lived objects a block (extrinsics, overlays, RPC
# messages), nearly none in a reference cycle: refcounting frees them. With CPython's default
# thresholds (a young collection every 700 allocations, a full one every ~100 young ones) the cyclic
# collector took about a fifth of each node's CPU on a 4-validator devnet under 1,300 tx/s, in full
# collections of ~250 ms that also stalled the event loop. 50,000 makes young collections ~70x rarer.
GC_THRESHOLDS = (50_000, 10, 10)


def tune_garbage_collector() -> None:
    import gc

    gc.set_threshold(*GC_THRESHOLDS)


def _startup_cause(exc: BaseException):
    """The operator-facing error inside `exc` (trio wraps task errors in exception groups), or None."""
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _startup_cause(inner)
            if found is not None:
                return found
        return None
    from node.service import StartupError

    return exc if isinstance(exc, (StartupError, OSError)) else None


def run_build_spec(args: argparse.Namespace) -> int:
    from genesis.spec import ChainSpecError, load_spec, to_raw

    try:
        spec = load_spec(args.chain)
        if args.disable_default_bootnode:
            spec["bootNodes"] = []
        print(json.dumps(to_raw(spec) if args.raw else spec, indent=2))
    except ChainSpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def run_purge_chain(args: argparse.Namespace) -> int:
    from genesis.spec import load_spec

    spec = load_spec(args.chain)
    path = args.base_path / "chains" / spec["id"] / "db"
    if not path.exists():
        print(f"{path} does not exist")
        return 0
    if not args.y:
        answer = input(f"Are you sure to remove {path}? [y/N]: ")
        if answer.strip().lower() != "y":
            print("Aborted")
            return 0
    shutil.rmtree(path)
    print(f"{path} removed.")
    return 0


def main(argv: list[str] | None = None, add_commands=None) -> int:
    parser = build_parser(add_commands)
    args = parser.parse_args(argv)
    if args.command == "node":
        return run_node(args)
    if args.command == "build-spec":
        return run_build_spec(args)
    if args.command == "purge-chain":
        return run_purge_chain(args)
    if args.command == "key":
        from node.keys_cli import run_key_command

        return run_key_command(args)
    if args.command is not None and hasattr(args, "run"):
        return args.run(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
