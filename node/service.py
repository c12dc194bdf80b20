"""The node: one trio nursery running authoring, RPC and metrics over one chain.

    async with trio.open_nursery() as nursery:
        node = Node(config)
        await nursery.start(node.run)      # started() once RPC is listening
"""
from __future__ import annotations

import dataclasses
import logging
import pathlib
import shutil
import tempfile
import time
from functools import partial
from typing import Any

import trio

from consensus import aura as aura_slots
from genesis.spec import genesis_storage
from node.chain import Block, Chain
from node.events import BlockEvent, Hub
from node.metrics import ROLE_AUTHORITY, ROLE_FULL, NodeMetrics
from node.rpc.server import SUBSTRATE_DEFAULT_CORS
from node.txpool import PoolError, TransactionPool, decode_and_preverify
from primitives.keys import Keypair
from node.db_check import FinalizedRecord, open_checked
from storage.kv import DatabaseDamaged, DatabaseError

log = logging.getLogger("agora")

IMPL_NAME = "Agora Node"
IMPL_VERSION = "0.1.0"


@dataclasses.dataclass
class NodeConfig:
    spec: dict
    base_path: pathlib.Path | None
    temporary: bool = False
    name: str = "agora-node"
    validator: bool = False
    authority_key: Keypair | None = None
    rpc_host: str = "127.0.0.1"
    rpc_port: int = 9944
    rpc_methods: str = "auto"
    rpc_cors: Any = SUBSTRATE_DEFAULT_CORS   # "all", None (no browser origin) or a list of origins
    rpc_max_connections: int = 100
    rpc_max_request_bytes: int = 15 * 2**20          # --rpc-max-request-size (MiB on the command line)
    rpc_max_response_bytes: int = 15 * 2**20         # --rpc-max-response-size
    rpc_max_subscriptions: int = 1024                # --rpc-max-subscriptions-per-connection
    force_authoring: bool = False                    # author with no peers / before sync caught up
    rpc_max_batch_len: int | None = None      # None: any length, as Substrate
    rpc_batches_enabled: bool = True
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int | None = 9615
    slot_ms: int = 2000
    instant_finality: bool | None = True     # None: only when the chain has a single authority
    # p2p (None: no networking at all)
    listen_addrs: list[str] | None = None
    bootnodes: list[str] = dataclasses.field(default_factory=list)
    public_addrs: list[str] = dataclasses.field(default_factory=list)
    node_key: str | None = None
    max_peers: int = 50
    reserved_nodes: list[str] = dataclasses.field(default_factory=list)
    reserved_only: bool = False
    keystore_path: pathlib.Path | None = None   # None: <base>/chains/<id>/keystore
    network_test_rpc: bool = False          # agora_blockPeers / agora_unblockPeers (partition tests)
    impl_name: str = IMPL_NAME
    impl_version: str = IMPL_VERSION

    @property
    def chain_name(self) -> str:
        return self.spec["name"]

    @property
    def chain_id(self) -> str:
        return self.spec.get("id", "agora")

    @property
    def chain_type(self) -> str:
        return self.spec.get("chainType", "Live")

    @property
    def properties(self) -> dict:
        return self.spec.get("properties", {})

    def chain_path(self) -> pathlib.Path:
        assert self.base_path is not None
        return self.base_path / "chains" / self.chain_id

    def database_path(self) -> pathlib.Path:
        return self.chain_path() / "db" / "full"


# A submission this large is decoded and its signature checked on a worker thread; a smaller one
# costs less inline (a transfer: ~0.2 ms) than the thread hop.
LARGE_SUBMISSION_BYTES = 16 * 1024


def short(h: bytes) -> str:
    hexed = h.hex()
    return f"0x{hexed[:4]}…{hexed[-4:]}"


class StartupError(Exception):
    """The node cannot start as configured (a port in use, ...): one line for the operator, exit 1."""


async def _bind(what: str, host: str, port: int, flag: str, start):
    """Await a server's start; a bind failure becomes one line naming the port and the flag."""
    try:
        return await start
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StartupError(f"{what} server cannot listen on {host}:{port}: {reason}; choose another port "
                           f"with {flag}") from None


def _first(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


class Node:
    def __init__(self, config: NodeConfig):
        self.config = config
        self.metrics = NodeMetrics()
        self._submit_threads: trio.CapacityLimiter | None = None   # made in trio, on first use
        self._best_gauge = self.metrics.block_height.labels("best")
        self._finalized_gauge = self.metrics.block_height.labels("finalized")
        self._sync_target_gauge = self.metrics.block_height.labels("sync_target")
        self.metrics.build_info.labels(config.name, config.impl_version).set(1)
        self.metrics.node_roles.set(ROLE_AUTHORITY if config.validator else ROLE_FULL)
        self.metrics.scrape_time.number_leaves = lambda: len(self.chain.leaves())
        self.metrics.scrape_time.network_bytes = self._network_bytes
        self.hub = Hub()
        self._tmpdir: str | None = None
        if config.base_path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="agora-")
            config.base_path = pathlib.Path(self._tmpdir)
        db_path = config.database_path()
        db_path.mkdir(parents=True, exist_ok=True)
        log.info("💾 Database: LevelDb at %s", db_path)
        self.finalized_record = FinalizedRecord(db_path.parent / "finalized.json")
        try:
            self.store = open_checked(db_path, self.finalized_record)
        except DatabaseDamaged as exc:
            self._remove_tmpdir()
            raise DatabaseDamaged(
                f"The database at {db_path} is damaged: {exc}. The node cannot start on it. Recover by syncing "
                f"again: remove it with `agora purge-chain --chain {config.spec.get('id', 'dev')} "
                f"--base-path {config.base_path} -y`, then start the node (it re-syncs from its peers; "
                f"a single-node chain starts over from genesis).") from None
        self.fault: str | None = None   # why the node cannot author or import now (reported by health)
        self.chain = Chain(self.store, genesis_storage(config.spec))
        genesis = self.chain.header(self.chain.genesis_hash)
        log.info("🔨 Initializing Genesis block/state (state: %s, header-hash: %s)",
                 short(genesis["state_root"]), short(self.chain.genesis_hash))
        if config.instant_finality is None:
            config.instant_finality = len(self._authorities()) <= 1
        self.pool = TransactionPool(self.chain)
        self.rpc_port: int | None = None
        self.prometheus_port: int | None = None
        self.network = None
        self._pending_route = None
        self.chain.subscribe_reorg(self._on_reorg)
        self.chain.subscribe(self._on_block)
        self._last_idle = 0.0
        self._started = time.monotonic()
        self._update_metrics()
        if config.listen_addrs is not None:
            from node.network.bridge import NetworkBridge, NetworkSettings

            self.network = NetworkBridge(self, NetworkSettings(
                listen_addrs=config.listen_addrs, bootnodes=config.bootnodes, public_addrs=config.public_addrs,
                node_key=config.node_key, key_dir=config.chain_path(), max_peers=config.max_peers,
                finality=not config.instant_finality, reserved_nodes=config.reserved_nodes,
                reserved_only=config.reserved_only))

    # -- what the RPC layer uses ---------------------------------------------------------------
    def _network_bytes(self) -> tuple[int, int]:
        if self.network is None:
            return 0, 0
        counters = self.network.net.counters
        return counters.get("notification_bytes_received", 0), counters.get("notification_bytes_sent", 0)

    async def submit_transaction_async(self, raw: bytes, watcher=None) -> bytes:
        """As `submit_transaction`; a large submission is decoded and its signature verified on a
        worker thread first, so the event loop keeps serving blocks and other clients meanwhile."""
        decoded = None
        if len(raw) >= LARGE_SUBMISSION_BYTES:
            if self._submit_threads is None:
                self._submit_threads = trio.CapacityLimiter(2)
            decoded = await trio.to_thread.run_sync(decode_and_preverify, self.chain, raw,
                                                    limiter=self._submit_threads)
        return self.submit_transaction(raw, watcher, decoded=decoded)

    def submit_transaction(self, raw: bytes, watcher=None, *, decoded=None) -> bytes:
        tx_hash = self.pool.submit(raw, watcher, decoded=decoded)
        self.metrics.txpool_submitted.inc()
        if self.network is not None:
            self.network.propagate_transaction(raw)
        self._update_metrics()
        return tx_hash

    def network_status(self) -> dict:
        should = self.config.chain_type != "Development"
        if self.network is None:
            return {"peers": 0, "is_syncing": False, "should_have_peers": should, "peer_id": "",
                    "listen_addresses": [], "peer_list": [], "starting_block": 0,
                    "highest_block": self.chain.best_number}
        return {**self.network.status(), "should_have_peers": should}

    def is_major_syncing(self) -> bool:
        return self.network is not None and self.network.sync.is_major_syncing()

    def report_fault(self, reason: str) -> None:
        """The node cannot author or import (a database fault): health says so until it can again."""
        if self.fault is None:
            log.error("❌ %s. The node cannot author or import blocks; /health and system_health report it. "
                      "If this persists, stop the node and run `agora purge-chain` to re-sync.", reason)
        self.fault = reason
        kv = self.store.kv
        if hasattr(kv, "damaged"):
            kv.damaged = True   # the next start verifies every table

    def clear_fault(self) -> None:
        """The node authored or imported a block again: the fault is over."""
        self.fault = None

    # -- chain events --------------------------------------------------------------------------
    def _on_reorg(self, route) -> None:
        self._pending_route = route
        self.metrics.reorgs.inc()

    def _on_block(self, block: Block, is_new_best: bool) -> None:
        route, self._pending_route = self._pending_route, None
        if not is_new_best:
            self.hub.publish(BlockEvent("imported", block.hash, block.number, block.header, False, None))
            self._update_metrics()
            return
        if route is None:
            changes = self.store.changes(block.hash) if len(self.hub) else None   # only state subscribers use them
            self.pool.on_new_best(block.hash, block.extrinsics)
            self.metrics.txpool_pruned.inc(len(block.extrinsics) - 1)   # all but the timestamp inherent
        else:
            changes = self._apply_route_to_pool(route)
        self.hub.publish(BlockEvent("imported", block.hash, block.number, block.header, True, changes))
        self.pool.prune_expired(block.number)
        self._update_metrics()

    def _apply_route_to_pool(self, route) -> dict:
        """After a reorg: enacted blocks leave the pool, retracted transactions return to it."""
        keys: set[bytes] = set()
        retracted_txs: list[bytes] = []
        for block_hash, _ in route.retracted:
            keys.update(self.store.changes(block_hash))
            old = self.chain.block(block_hash)
            if old is not None:
                retracted_txs += [raw for raw in old.extrinsics[1:]]
        for block_hash, _ in route.enacted:
            keys.update(self.store.changes(block_hash))
            new = self.chain.block(block_hash)
            if new is not None:
                self.pool.on_new_best(block_hash, new.extrinsics)
        returned = 0
        for raw in retracted_txs:
            try:
                self.pool.submit(raw)
                returned += 1
            except PoolError:
                pass   # now invalid, already included on the new branch, or the pool is full: dropped
        self.metrics.txpool_resubmitted.inc(returned)
        if retracted_txs:
            log.info("♻️  %d of %d retracted transactions returned to the pool", returned, len(retracted_txs))
        best = self.store.best_state
        return {key: best.get(key) for key in keys}

    def finalize_block(self, block_hash: bytes, justification: bytes | None = None) -> list[tuple[bytes, int]]:
        """Finalize a block (and its ancestors); returns what was newly finalized."""
        newly = self.chain.finalize(block_hash, justification)
        if not newly:
            return newly
        if self.pool.watchers:
            for h, _ in newly:
                block = self.chain.block(h)
                if block is not None:
                    self.pool.on_finalized(h, block.extrinsics)
        self.finalized_record.write(newly[-1][1], block_hash)
        head = self.chain.header(block_hash)
        self.hub.publish(BlockEvent("finalized", block_hash, newly[-1][1], head))
        if self.network is not None:
            self.network.on_finalized()
        self._update_metrics()
        return newly

    def finalize(self, block: Block) -> None:
        """Instant finality of a block we authored."""
        self.finalize_block(block.hash, self._sole_authority_justification(block))

    def _sole_authority_justification(self, block: Block) -> bytes | None:
        """On a single-authority chain our own precommit is a complete justification: stored with
        the block and sent as a commit, it lets full nodes following this chain finalize it too."""
        from consensus import finality as fin
        from consensus.justification import build
        from node.network.finality_service import SET_ID

        key = self.config.authority_key
        if key is None or self._authorities() != [key.public_key]:
            return None
        sig = key.sign(fin.vote_payload(block.number, SET_ID, block.hash, block.number))
        vote = fin.Vote(block.number, block.hash, block.number, key.public_key, sig)
        return build(block.number, (block.hash, block.number), [vote], self.chain.store.header).encode()

    def _update_metrics(self) -> None:
        self._best_gauge.set(self.chain.best_number)
        self._finalized_gauge.set(self.chain.finalized_number)
        ready, future = self.pool.counts()   # kept incrementally: O(1)
        self.metrics.ready_transactions.set(ready)
        self.metrics.future_transactions.set(future)

    # -- authoring (Aura slots) ----------------------------------------------------------------
    def _is_our_slot(self, slot: int) -> bool:
        key = self.config.authority_key
        if key is None or not self.config.validator:
            return False
        return aura_slots.expected_author(self._authorities(), slot) == key.public_key

    def author_block(self, slot: int, now_ms: int) -> Block | None:
        """Author on this thread (tests, tools); the slot loop uses `author_block_async`."""
        key, parent, started, deadline = self._start_authoring()
        built = self.chain.build_block(parent, now_ms=now_ms, slot=slot, transactions=self.pool.ready(), author=key,
                                       deadline=deadline)
        return self._finish_authoring(built, parent, started)

    async def author_block_async(self, slot: int, now_ms: int) -> Block | None:
        """Author with the block's execution on the chain's worker thread (the loop keeps serving RPC)."""
        key, parent, started, deadline = self._start_authoring()
        built = await self.chain.build_block_off_loop(None, now_ms=now_ms, slot=slot,
                                                      transactions=list(self.pool.ready()), author=key,
                                                      deadline=deadline)
        return self._finish_authoring(built, built.block.parent_hash, started)

    def _start_authoring(self):
        key = self.config.authority_key
        assert key is not None
        parent = self.chain.best_hash
        log.info("🙌 Starting consensus session on top of parent %s (#%d)", short(parent), self.chain.best_number)
        return key, parent, time.perf_counter(), time.monotonic() + self.config.slot_ms / 1000 / 3

    def _finish_authoring(self, built, parent: bytes, started: float) -> Block | None:
        for ext, err in built.invalid:
            self.pool.report_invalid(ext, err)
        self.metrics.txpool_invalid.inc(len(built.invalid))
        block = built.block
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.metrics.proposer_block_constructed.observe(elapsed_ms / 1000)
        log.info("🎁 Prepared block for proposing at %d (%d ms) [hash: 0x%s; parent_hash: %s; extrinsics (%d)]",
                 block.number, elapsed_ms, block.hash.hex(), short(parent), len(block.extrinsics))
        log.info("🔖 Pre-sealed block for proposal at %d. Hash now 0x%s", block.number, block.hash.hex())
        log.info("✨ Imported #%d (%s)", block.number, short(block.hash))
        if self.config.instant_finality:
            self.finalize(block)
        return block

    def _may_author(self) -> bool:
        if self.network is None or self.config.force_authoring:
            return True
        if self.network.sync.is_major_syncing():
            return False
        # just started with bootnodes and no peer yet: give the network a moment to tell us the head
        return bool(len(self.network.peers)) or not self.config.bootnodes or \
            time.monotonic() - self._started > 3 * self.config.slot_ms / 1000

    async def _authoring_loop(self) -> None:
        slot_ms = self.config.slot_ms
        while True:
            slot = aura_slots.slot_at(int(time.time() * 1000), slot_ms)
            if self._is_our_slot(slot) and self._may_author():
                try:
                    # the block's timestamp is its slot's start: strictly increasing, one slot apart at least
                    await self.author_block_async(slot, aura_slots.slot_start_ms(slot, slot_ms))
                except (DatabaseError, OSError, MemoryError) as exc:
                    self.report_fault(f"block authoring failed at slot {slot}: {type(exc).__name__}: {exc}")
                except Exception:  # any other fault abandons this slot's block (nothing is committed before the seal)
                    log.exception("block authoring failed at slot %d", slot)
                else:
                    self.fault = None
            await trio.sleep(aura_slots.ms_until_slot(slot + 1, int(time.time() * 1000), slot_ms) / 1000)

    async def _informant(self) -> None:
        last_idle = time.monotonic()
        while True:
            await trio.sleep(1)
            best = self.chain.best_hash
            fin = self.chain.finalized_hash
            status = self.network_status()
            self._sync_target_gauge.set(max(status["highest_block"], self.chain.best_number))
            if self.is_major_syncing():
                bps = self.network.importer.blocks_per_second()  # type: ignore[union-attr]
                log.info("⚙️  Syncing %.1f bps, target=#%d (%d peers), best: #%d (%s), finalized #%d (%s)",
                         bps, status["highest_block"], status["peers"], self.chain.best_number, short(best),
                         self.chain.finalized_number, short(fin))
            elif time.monotonic() - last_idle >= 5:
                last_idle = time.monotonic()
                log.info("💤 Idle (%d peers), best: #%d (%s), finalized #%d (%s), ⬇ %s ⬆ %s",
                         status["peers"], self.chain.best_number, short(best), self.chain.finalized_number,
                         short(fin), *self._bandwidth())

    def _bandwidth(self) -> tuple[str, str]:
        if self.network is None:
            return "0", "0"
        counters = self.network.net.counters
        sent = counters.get("notification_bytes_sent", 0)
        prev = getattr(self, "_bw_prev", (time.monotonic(), sent))
        now = time.monotonic()
        self._bw_prev = (now, sent)
        rate = (sent - prev[1]) / max(now - prev[0], 1e-3)
        return "-", f"{rate / 1024:.1f}kiB/s"

    # -- lifecycle -------------------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        from node.prometheus import serve_metrics
        from node.rpc.api import build_module
        from node.rpc.server import serve_rpc

        config = self.config
        try:
            async with trio.open_nursery() as nursery:
                module = build_module(self)
                self.rpc_port = await _bind("JSON-RPC", config.rpc_host, config.rpc_port, "--rpc-port", nursery.start(partial(
                    serve_rpc, module, config.rpc_host, config.rpc_port, rpc_methods=config.rpc_methods,
                    cors=config.rpc_cors, max_connections=config.rpc_max_connections,
                    max_request_bytes=config.rpc_max_request_bytes, max_response_bytes=config.rpc_max_response_bytes,
                    max_subscriptions_per_connection=config.rpc_max_subscriptions,
                    max_batch_len=config.rpc_max_batch_len, batches_enabled=config.rpc_batches_enabled,
                    session_observer=self.metrics.rpc_session_observer())))
                origins = config.rpc_cors
                log.info("Running JSON-RPC server: addr=%s:%d, allowed origins=%s", config.rpc_host, self.rpc_port,
                         origins if isinstance(origins, str) else list(origins or []) or "none")
                if config.prometheus_port is not None:
                    self.prometheus_port = await _bind(
                        "Prometheus", config.prometheus_host, config.prometheus_port, "--prometheus-port",
                        nursery.start(serve_metrics, self.metrics, config.prometheus_host, config.prometheus_port))
                    log.info("〽️ Prometheus exporter started at %s:%d", config.prometheus_host, self.prometheus_port)
                if self.network is not None:
                    from p2p import ListenFailed

                    try:
                        await nursery.start(self.network.run)
                    except (ListenFailed, BaseExceptionGroup) as exc:
                        failed = exc if isinstance(exc, ListenFailed) else exc.split(ListenFailed)[0]
                        if failed is None:
                            raise
                        raise StartupError(f"p2p: {_first(failed)}; choose another address with --port or "
                                           "--listen-addr") from None
                if config.validator:
                    if config.authority_key is None:
                        raise StartupError("--validator needs an authority key (--alice, --bob, ... or --key)")
                    if config.authority_key.public_key not in self._authorities():
                        log.warning("⚠️  The authority key 0x%s is not in this chain's authority set",
                                    config.authority_key.public_key.hex()[:16])
                    nursery.start_soon(self._task, "aura", self._authoring_loop)
                nursery.start_soon(self._task, "informant", self._informant)
                nursery.start_soon(self._warm_up_runtime)
                task_status.started(self)
        finally:
            self.close()

    async def _warm_up_runtime(self) -> None:
        """The Yuma kernel's first load or compile takes seconds: in a worker thread, not in a slot."""
        from runtime.block_execution import warm_up

        started = time.monotonic()
        await trio.to_thread.run_sync(warm_up, abandon_on_cancel=True)
        # info: on a cold numba cache this is a ~30 s compile, and operators ask when it ends
        log.info("🔥 Runtime warmed up in %.1f s (Yuma kernel loaded, metadata encoded)", time.monotonic() - started)

    async def _task(self, name: str, fn) -> None:
        """Run a long-lived task, counted as Substrate's task manager counts them (substrate_tasks_*)."""
        self.metrics.tasks_spawned.labels(name, "default", "async").inc()
        reason = "panic"
        try:
            await fn()
            reason = "finished"
        except trio.Cancelled:
            reason = "finished"    # shutdown
            raise
        finally:
            self.metrics.tasks_ended.labels(name, reason, "default", "async").inc()

    def _authorities(self) -> list[bytes]:
        from runtime import api as runtime_api

        return runtime_api.aura_authorities(self.store.best_state)

    def close(self) -> None:
        self.store.close()
        self._remove_tmpdir()

    def _remove_tmpdir(self) -> None:
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

