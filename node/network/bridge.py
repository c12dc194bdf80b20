"""The node's network: p2p's NetworkService plus sync, announcements, transactions, finality.

    bridge = NetworkBridge(node, NetworkSettings(...))
    await nursery.start(bridge.run)

Peers exchange a status (genesis, best, finalized) in the p2p handshake; a peer with
another genesis is refused.  Everything else is in the services this wires together.
"""
from __future__ import annotations

import dataclasses
import logging
import pathlib
from typing import Any

import trio

from node.network import protocol as proto
from node.network.announce import AnnounceService
from node.network.finality_service import FinalityService
from node.network.import_queue import BlockImporter
from node.network.peers import PeerSet, PeerState
from node.network.sync import SyncService
from node.network.transactions import TransactionService
from p2p import (
    HandshakeRejected, NetworkConfig, NetworkService, PeerConnected, PeerDisconnected, parse_peer_addr,
)

log = logging.getLogger("agora.network")

BLOCKED_FOR = 10**9


@dataclasses.dataclass
class NetworkSettings:
    listen_addrs: list[str]
    bootnodes: list[str] = dataclasses.field(default_factory=list)
    public_addrs: list[str] = dataclasses.field(default_factory=list)
    node_key: str | None = None
    key_dir: pathlib.Path | None = None       # <base>/chains/<id>: the key lives in network/secret_ed25519
    max_peers: int = 50
    finality: bool = True                     # vote in the finality gadget (off: instant finality by the
                                              # author; the gadget then only follows and relays commits)
    reserved_nodes: list[str] = dataclasses.field(default_factory=list)
    reserved_only: bool = False               # refuse every peer that is not reserved


class NetworkBridge:
    def __init__(self, node: Any, settings: NetworkSettings) -> None:
        self.node = node
        self.chain = chain = node.chain
        self.settings = settings
        self.peers = PeerSet()
        role = "authority" if node.config.validator else "full"
        self.net = NetworkService(NetworkConfig(
            listen_addrs=list(settings.listen_addrs),
            bootnodes=list(dict.fromkeys([*settings.bootnodes, *settings.reserved_nodes])),
            base_path=None if settings.key_dir is None else str(settings.key_dir), node_key=settings.node_key,
            role=role, public_addrs=list(settings.public_addrs), max_peers=settings.max_peers,
            target_peers=min(25, settings.max_peers), dial_backoff_initial=0.5, dial_backoff_max=5.0,
            discovery_interval=5.0, handshake_payload=self._status_bytes(), handshake_validator=self._validate))
        slot_ms = node.config.slot_ms
        self.finality: FinalityService | None = None
        self.importer = BlockImporter(chain, self.net.report_peer, slot_ms=slot_ms, metrics=node.metrics,
                                      on_justification=self._on_justification)
        self.importer.on_fault = node.report_fault          # system_health reports it; no peer is blamed
        self.importer.on_recovered = node.clear_fault
        self.sync = SyncService(chain, self.net, self.importer, self.peers, node.metrics)
        self.announce = AnnounceService(chain, self.net, self.peers, self.importer, self.sync)
        self.transactions = TransactionService(node.pool, self.net, self.peers,
                                               can_accept=lambda: not self.sync.is_major_syncing())
        key = node.config.authority_key if node.config.validator and settings.finality else None
        self.finality = FinalityService(chain, self.net, self.peers, finalize=node.finalize_block, key=key,
                                        slot_ms=slot_ms, metrics=node.metrics, fetch=self.sync.fetch_chain)
        self.net.register_request_handler(proto.SYNC, self.sync.serve, max_request_size=4096,
                                          max_response_size=proto.MAX_SYNC_RESPONSE, rate=50, burst=200)
        self.net.register_notification_protocol(proto.BLOCK_ANNOUNCES, self.announce.handle,
                                                max_size=proto.MAX_ANNOUNCE, queue_size=256, rate=50, burst=200)
        self.net.register_notification_protocol(proto.TRANSACTIONS, self.transactions.handle,
                                                max_size=proto.MAX_TX_MESSAGE, queue_size=1024, rate=200, burst=1000)
        self.net.register_notification_protocol(proto.FINALITY, self._on_finality,
                                                max_size=proto.MAX_FINALITY_MESSAGE, queue_size=1024, rate=500,
                                                burst=2000)
        chain.subscribe(self._on_block)
        self.blocked: dict[str, list[str]] = {}
        self.reserved: set[str] = {parse_peer_addr(a)[0] for a in settings.reserved_nodes}
        self.reserved_only = settings.reserved_only

    # -- handshake ------------------------------------------------------------------------------------
    def _status_bytes(self) -> bytes:
        c = self.chain
        return proto.encode_status(proto.Status(c.genesis_hash, c.best_number, c.best_hash, c.finalized_number,
                                                c.finalized_hash))

    def _validate(self, peer_id: str, role: str, payload: bytes) -> PeerState:
        try:
            status = proto.decode_status(payload)
        except proto.ProtocolError as exc:
            raise HandshakeRejected(f"bad status: {exc}") from None
        if status.genesis != self.chain.genesis_hash:
            raise HandshakeRejected("different genesis")
        if self.reserved_only and peer_id not in self.reserved:
            raise HandshakeRejected("not a reserved peer")
        return PeerState.from_status(peer_id, role, status)

    # -- events -----------------------------------------------------------------------------------------
    def _on_block(self, block, is_new_best: bool) -> None:
        if is_new_best:
            self.net.set_handshake_payload(self._status_bytes())
        self.announce.on_block(block, is_new_best)
        if self.finality is not None:
            self.finality.on_block(block, is_new_best)

    def on_finalized(self) -> None:
        self.net.set_handshake_payload(self._status_bytes())
        if self.finality is not None:
            self.finality.on_finalized()

    def _on_justification(self, block, data: bytes, peer: str | None) -> None:
        if self.finality is not None:
            self.finality.on_justification(block, data, peer)

    def _on_finality(self, peer_id: str, payload: bytes) -> None:
        if self.finality is not None:
            self.finality.handle(peer_id, payload)

    def propagate_transaction(self, raw: bytes) -> None:
        self.transactions.propagate(raw)

    _directions: dict[str, str] = {}   # peer id -> "in"/"out", for the connections_closed metric

    async def _peer_events(self, events: trio.MemoryReceiveChannel) -> None:
        self._directions = {}
        async with events:
            async for ev in events:
                if isinstance(ev, PeerConnected):
                    state = ev.info if isinstance(ev.info, PeerState) else None
                    if state is None:
                        continue
                    self.peers.add(state)
                    self.node.metrics.peers.set(len(self.peers))
                    direction = "in" if ev.direction == "inbound" else "out"
                    self._directions[ev.peer_id] = direction
                    self.node.metrics.connections_opened.labels(direction).inc()
                    self.transactions.on_peer_connected(ev.peer_id)
                    if self.finality is not None:
                        self.finality.on_peer_connected(ev.peer_id)
                    self.sync.wake()
                elif isinstance(ev, PeerDisconnected):
                    self.peers.remove(ev.peer_id)
                    self.node.metrics.peers.set(len(self.peers))
                    direction = self._directions.pop(ev.peer_id, None)
                    if direction is not None:
                        self.node.metrics.connections_closed.labels(direction, ev.reason[:32]).inc()

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            events = self.net.subscribe_events()
            await nursery.start(self.net.run)
            nursery.start_soon(self._peer_events, events)
            await nursery.start(self.sync.run)
            await nursery.start(self.announce.run)
            await nursery.start(self.transactions.run)
            if self.finality is not None:
                await nursery.start(self.finality.run)
            log.info("🏷  Local node identity is: %s", self.net.peer_id)
            task_status.started()

    def stop(self) -> None:
        self.net.stop()

    # -- operator / test controls ------------------------------------------------------------------------
    def block_peer(self, peer_id: str) -> None:
        """Disconnect ``peer_id`` and refuse it until :meth:`unblock_peer` (partitions in tests)."""
        view = next((p for p in self.net.peers() if p.peer_id == peer_id), None)
        if view is not None and view.addrs:
            self.blocked[peer_id] = list(view.addrs)
        else:
            self.blocked.setdefault(peer_id, [])
        self.net.ban_peer(peer_id, "blocked by the operator", duration=BLOCKED_FOR)

    def unblock_peer(self, peer_id: str) -> None:
        addrs = self.blocked.pop(peer_id, [])
        self.net.unban_peer(peer_id)
        if addrs:
            self.net.add_known_peer(peer_id, addrs)

    def add_reserved_peer(self, addr: str) -> str:
        peer_id, transport = parse_peer_addr(addr)
        self.reserved.add(peer_id)
        self.net.add_known_peer(peer_id, [transport], bootnode=True)
        return peer_id

    def remove_reserved_peer(self, peer_id: str) -> None:
        self.reserved.discard(peer_id)
        if self.reserved_only:
            self.net.disconnect(peer_id, "no longer reserved")

    # -- status -----------------------------------------------------------------------------------------------
    def status(self) -> dict:
        peer_list = [{"peerId": p.peer_id, "roles": p.role.upper(), "bestHash": "0x" + p.best_hash.hex(),
                      "bestNumber": p.best_number} for p in self.peers.all()]
        return {"peers": len(self.peers), "is_syncing": self.sync.is_major_syncing(),
                "peer_id": self.net.peer_id, "listen_addresses": self.net.listen_addrs, "peer_list": peer_list,
                "starting_block": self.sync.starting_block, "highest_block": self.sync.target}
