"""Peers as the network service tracks them: address book entries, connected peers, and the
libp2p notifee that reports connections to the service; protocol ids and limits."""
from __future__ import annotations

import logging
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import multiaddr
import trio

from p2p.framing import FramedStream
from p2p.reputation import TokenBucket

if TYPE_CHECKING:
    from p2p.service import NetworkService

log = logging.getLogger("agora.p2p")


HANDSHAKE_PROTOCOL = "/agora/handshake/1"
NOTIFICATION_STREAM_PROTOCOL = "/agora/notif/1"
PEX_PROTOCOL = "/agora/pex/1"

MAX_HANDSHAKE_FRAME = 64 * 1024
MAX_PEX_PEERS = 64
MAX_INBOUND_NOTIF_STREAMS = 4


def parse_peer_addr(addr: str) -> tuple[str, str]:
    """``/ip4/1.2.3.4/tcp/30333/p2p/12D3KooW..`` -> (peer_id, transport addr)."""
    from libp2p.peer.peerinfo import info_from_p2p_addr

    try:
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
    except Exception as exc:
        raise ValueError(f"bad peer multiaddr {addr!r}: {exc}") from exc
    if not info.addrs:
        raise ValueError(f"peer multiaddr {addr!r} has no transport part")
    return info.peer_id.to_base58(), str(info.addrs[0])


@dataclass
class _BookEntry:
    addrs: list[str]
    bootnode: bool = False
    backoff: float = 1.0
    next_attempt: float = 0.0
    failures: int = 0
    last_error: str = ""
    added: float = field(default_factory=time.monotonic)


class _Peer:
    """Per-peer state, created when a connection appears, dropped when the last closes."""

    def __init__(self, pid: Any, direction: str, observed_ip: str | None) -> None:
        self.pid = pid
        self.id: str = pid.to_base58()
        self.direction = direction
        self.observed_ip = observed_ip
        self.ready = trio.Event()        # handshake succeeded
        self.settled = trio.Event()      # ready, rejected or gone
        self.closed = False
        self.close_reason: str | None = None
        self.role = ""
        self.handshake = b""
        self.info: Any = None
        self.addrs: list[str] = []
        self.connected_at = 0.0
        # outbound notification queue (global FIFO, per-protocol bounds)
        self.outq: deque[tuple[str, bytes]] = deque()
        self.qcount: Counter[str] = Counter()
        self.wake = trio.Event()
        self.space = trio.Event()
        self.sender_scope = trio.CancelScope()
        self.dropped: Counter[str] = Counter()
        self.buckets: dict[str, TokenBucket] = {}
        self.pool: dict[str, list[FramedStream]] = {}
        self.inbound_notif = 0
        self.inbound_req = 0
        self.rtt: float | None = None    # last ping round trip (s)

    def bucket(self, proto: str, rate: float, burst: float) -> TokenBucket:
        b = self.buckets.get(proto)
        if b is None:
            b = self.buckets[proto] = TokenBucket(rate, burst)
        return b

    def close(self, reason: str) -> None:
        if self.close_reason is None:
            self.close_reason = reason
        self.closed = True
        self.sender_scope.cancel()
        self.settled.set()
        self.space.set()
        self.wake.set()


class _Notifee:
    """libp2p INotifee adapter (duck-typed; the swarm only calls these methods)."""

    def __init__(self, svc: "NetworkService") -> None:
        self.svc = svc

    async def opened_stream(self, network: Any, stream: Any) -> None:
        pass

    async def closed_stream(self, network: Any, stream: Any) -> None:
        pass

    async def connected(self, network: Any, conn: Any) -> None:
        self.svc._on_conn_opened(conn)

    async def disconnected(self, network: Any, conn: Any) -> None:
        self.svc._on_conn_closed(conn)

    async def listen(self, network: Any, maddr: Any) -> None:
        pass

    async def listen_close(self, network: Any, maddr: Any) -> None:
        pass
