"""Prometheus metrics with Substrate's names, and per-block import timings."""
from __future__ import annotations

import dataclasses

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


@dataclasses.dataclass
class ImportTimings:
    """Seconds spent in each stage of building or importing one block."""

    decode: float = 0.0
    verify: float = 0.0
    execute: float = 0.0
    state_root: float = 0.0
    commit: float = 0.0

    @property
    def total(self) -> float:
        return self.decode + self.verify + self.execute + self.state_root + self.commit


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

    def render(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)
