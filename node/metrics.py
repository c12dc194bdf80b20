"""Prometheus metrics with Substrate's names, and per-block import timings."""
from __future__ import annotations

import dataclasses

import time
from typing import Callable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

prometheus_client.disable_created_metrics()   # Substrate exports no `_created` series


@dataclasses.dataclass
class ImportTimings:
    """Seconds spent in each stage of building or importing one block."""

    decode: float = 0.0
    verify: float = 0.0
    execute: float = 0.0
    state_root: float = 0.0
    commit: float = 0.0
    signatures_verified: int = 0   # on import: those not already verified by this node's pool

    @property
    def total(self) -> float:
        return self.decode + self.verify + self.execute + self.state_root + self.commit


# Substrate's counters whose names carry no `_total` (Rust's prometheus client adds none);
# prometheus-client appends it to every counter, so `render` takes it off these again.
PLAIN_COUNTERS = ("substrate_import_queue_blocks_submitted", "substrate_sub_txpool_submitted_transactions",
                  "substrate_sub_txpool_validations_invalid", "substrate_sub_txpool_block_transactions_pruned",
                  "substrate_sub_txpool_block_transactions_resubmitted", "substrate_rpc_sessions_opened",
                  "substrate_rpc_sessions_closed")
# sc-network's Roles: FULL=1, LIGHT=2, AUTHORITY=4
ROLE_FULL, ROLE_AUTHORITY = 1, 4


class _ScrapeTimeValues:
    """Values read when Prometheus scrapes (they live elsewhere): leaves, sync target, network bytes."""

    def __init__(self) -> None:
        self.number_leaves: Callable[[], int] = lambda: 0
        self.network_bytes: Callable[[], tuple[int, int]] = lambda: (0, 0)

    def collect(self):
        leaves = GaugeMetricFamily("substrate_number_leaves", "Number of known chain leaves (aka forks)")
        leaves.add_metric([], self.number_leaves())
        yield leaves
        received, sent = self.network_bytes()
        family = CounterMetricFamily("substrate_sub_libp2p_network_bytes",
                                     "Total bandwidth usage (notification payloads; request/response "
                                     "traffic is not counted yet)", labels=["direction"])
        family.add_metric(["in"], received)
        family.add_metric(["out"], sent)
        yield family


class NodeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.block_height = Gauge("substrate_block_height", "Block height info of the chain", ["status"],
                                  registry=self.registry)
        self.peers = Gauge("substrate_sub_libp2p_peers_count", "Number of connected peers", registry=self.registry)
        self.ready_transactions = Gauge("substrate_ready_transactions_number",
                                        "Number of transactions in the ready queue", registry=self.registry)
        self.future_transactions = Gauge("substrate_future_transactions_number",
                                         "Number of transactions in the future queue", registry=self.registry)
        self.imported_blocks = Counter("substrate_import_queue_blocks_submitted",
                                       "Number of blocks submitted to the import queue", registry=self.registry)
        self.proposer_block_constructed = Histogram("substrate_proposer_block_constructed",
                                                    "Histogram of time taken to construct new block",
                                                    registry=self.registry)
        self.is_major_syncing = Gauge("substrate_sub_libp2p_is_major_syncing", "Whether the node is major syncing",
                                      registry=self.registry)
        self.finality_grandpa_round = Gauge("substrate_finality_grandpa_round", "Highest completed GRANDPA round",
                                            registry=self.registry)
        self.equivocations = Counter("substrate_consensus_equivocations", "Equivocations detected (and rejected)",
                                     ["kind"], registry=self.registry)
        self.reorgs = Counter("substrate_block_reorgs", "Best-chain reorganizations", registry=self.registry)
        r = self.registry
        Gauge("substrate_process_start_time_seconds",
              "Number of seconds between the UNIX epoch and the moment the process started", registry=r).set(time.time())
        self.build_info = Gauge("substrate_build_info", "A metric with a constant '1' value labeled by name, version",
                                ["name", "version"], registry=r)
        self.node_roles = Gauge("substrate_node_roles", "The roles the node is running as", registry=r)
        self.tasks_spawned = Counter("substrate_tasks_spawned", "Total number of tasks that have been spawned",
                                     ["task_name", "task_group", "kind"], registry=r)
        self.tasks_ended = Counter("substrate_tasks_ended", "Total number of tasks for which Future::poll has "
                                   "returned Ready(()) or panicked", ["task_name", "reason", "task_group", "kind"],
                                   registry=r)
        self.connections_opened = Counter("substrate_sub_libp2p_connections_opened",
                                          "Total number of connections opened by direction", ["direction"], registry=r)
        self.connections_closed = Counter("substrate_sub_libp2p_connections_closed",
                                          "Total number of connections closed, by direction and reason",
                                          ["direction", "reason"], registry=r)
        self.verification_time = Histogram("substrate_block_verification_time",
                                           "Time taken to verify blocks", ["result"], registry=r)
        self.verification_and_import_time = Histogram("substrate_block_verification_and_import_time",
                                                      "Time taken to verify and import blocks", registry=r)
        self.txpool_submitted = Counter("substrate_sub_txpool_submitted_transactions",
                                        "Total number of transactions submitted", registry=r)
        self.txpool_invalid = Counter("substrate_sub_txpool_validations_invalid",
                                      "Total number of transactions that were removed from the pool as invalid",
                                      registry=r)
        self.txpool_pruned = Counter("substrate_sub_txpool_block_transactions_pruned",
                                     "Total number of transactions that was requested to be pruned by block events",
                                     registry=r)
        self.txpool_resubmitted = Counter("substrate_sub_txpool_block_transactions_resubmitted",
                                          "Total number of transactions that was requested to be resubmitted by "
                                          "block events", registry=r)
        for direction in ("in", "out"):
            self.connections_opened.labels(direction)      # exported as 0 before the first peer
        self.verification_time.labels("success")
        # One set per registry: every RPC module built on this node (tests build several) shares it.
        self.rpc_calls = self._rpc_call_metrics()
        self.rpc_sessions = (Counter("substrate_rpc_sessions_opened", "Number of persistent RPC sessions opened",
                                     registry=r),
                             Counter("substrate_rpc_sessions_closed", "Number of persistent RPC sessions closed",
                                     registry=r))
        self.scrape_time = _ScrapeTimeValues()
        r.register(self.scrape_time)

    def _rpc_call_metrics(self):
        started = Counter("substrate_rpc_calls_started", "Number of received RPC calls (unique un-batched requests)",
                          ["method"], registry=self.registry)
        finished = Counter("substrate_rpc_calls_finished", "Number of processed RPC calls (unique un-batched "
                           "requests)", ["method", "is_error"], registry=self.registry)
        took = Histogram("substrate_rpc_calls_time", "Total time [μs] of processed RPC calls", ["method"],
                         buckets=(5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 25_000, 100_000, 1_000_000, 10_000_000),
                         registry=self.registry)
        return started, finished, took

    def rpc_session_observer(self):
        """What the RPC server calls when a WebSocket session opens or closes (Substrate's
        substrate_rpc_sessions_opened / substrate_rpc_sessions_closed counters)."""
        opened, closed = self.rpc_sessions

        def observe(event: str) -> None:
            (opened if event == "opened" else closed).inc()
        return observe

    def rpc_call_observer(self):
        """Wraps an RPC method so it counts and times its calls (substrate_rpc_calls_*; time in µs)."""
        started, finished, took = self.rpc_calls
        clock = time.perf_counter

        def wrap(name, func, is_async):
            count, ok, failed, timer = (started.labels(name), finished.labels(name, "false"),
                                        finished.labels(name, "true"), took.labels(name))
            if is_async:
                async def timed_async(params):
                    count.inc()
                    begin = clock()
                    try:
                        result = await func(params)
                    except BaseException:
                        failed.inc()
                        raise
                    finally:
                        timer.observe((clock() - begin) * 1e6)
                    ok.inc()
                    return result
                return timed_async

            def timed(params):
                count.inc()
                begin = clock()
                try:
                    result = func(params)
                except BaseException:
                    failed.inc()
                    raise
                finally:
                    timer.observe((clock() - begin) * 1e6)
                ok.inc()
                return result
            return timed

        return wrap

    def observe_import(self, timings: "ImportTimings") -> None:
        """An imported block's timings: the seal and signature checks are the verification."""
        self.verification_time.labels("success").observe(timings.verify)
        self.verification_and_import_time.observe(timings.total)

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        text = generate_latest(self.registry)
        for name in PLAIN_COUNTERS:
            raw = name.encode()
            text = text.replace(raw + b"_total", raw)
        return text
