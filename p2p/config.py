"""Configuration and public value types of the network service."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

# Handler signatures (peer ids are base58 strings, payloads opaque bytes).
RequestHandler = Callable[[str, bytes], Awaitable[bytes]]
NotificationHandler = Callable[[str, bytes], Any]          # sync or async
# validator(peer_id, role, handshake_payload) -> info stored on the peer;
# raise p2p.HandshakeRejected(reason) to refuse the peer.
HandshakeValidator = Callable[[str, str, bytes], Any]

KiB = 1024
MiB = 1024 * 1024

ROLES = ("full", "authority", "light")


@dataclass
class RequestProtocol:
    protocol_id: str
    handler: RequestHandler | None = None          # None: we only send requests
    max_request_size: int = 1 * MiB
    max_response_size: int = 16 * MiB
    rate: float = 100.0                            # inbound requests/s per peer
    burst: float = 200.0
    handler_timeout: float = 20.0


@dataclass
class NotificationProtocol:
    protocol_id: str
    handler: NotificationHandler | None = None
    max_size: int = 1 * MiB                        # payload limit (both directions)
    queue_size: int = 1024                         # outbound messages queued per peer
    rate: float = 2000.0                           # inbound messages/s per peer
    burst: float = 4000.0


@dataclass
class NetworkConfig:
    listen_addrs: list[str] = field(default_factory=lambda: ["/ip4/127.0.0.1/tcp/30333"])
    bootnodes: list[str] = field(default_factory=list)      # /ip4/../tcp/../p2p/<id>
    base_path: str | None = None          # key in <base>/network/secret_ed25519
    node_key: str | None = None           # --node-key hex override
    role: str = "full"
    public_addrs: list[str] = field(default_factory=list)   # advertised instead of listen addrs
    # peer set
    target_peers: int = 25                # discovery dials while below this
    max_peers: int = 50                   # handshakes beyond this are rejected
    max_concurrent_dials: int = 8
    # timeouts
    dial_timeout: float = 10.0
    handshake_timeout: float = 10.0
    stream_open_timeout: float = 10.0
    request_idle_timeout: float = 60.0    # server closes an idle request stream
    # keep-alive (libp2p ping): a peer silent for ping_timeout is dropped (0: no pings)
    ping_interval: float = 3.0
    ping_timeout: float = 5.0
    # discovery / redial
    enable_discovery: bool = True
    discovery_interval: float = 30.0
    dial_backoff_initial: float = 1.0
    dial_backoff_max: float = 60.0
    # reputation
    ban_threshold: float = -1000.0
    ban_duration: float = 300.0
    reputation_half_life: float = 60.0
    # handshake (the node layer fills these)
    handshake_payload: bytes = b""
    handshake_validator: HandshakeValidator | None = None
    # misc
    max_request_streams_per_peer: int = 32   # concurrent inbound request streams
    request_pool_size: int = 4               # idle outbound request streams kept per peer+protocol
    notification_batch_bytes: int = 256 * KiB


@dataclass(frozen=True)
class PeerConnected:
    peer_id: str
    role: str
    direction: str        # "inbound" | "outbound"
    handshake: bytes      # the peer's opaque handshake payload
    info: Any             # what the handshake validator returned


@dataclass(frozen=True)
class PeerDisconnected:
    peer_id: str
    reason: str


@dataclass(frozen=True)
class PeerView:
    peer_id: str
    role: str
    direction: str
    addrs: tuple[str, ...]
    handshake: bytes
    info: Any
    reputation: float
    connected_for: float
    queued: int           # outbound notifications waiting
    dropped: int          # outbound notifications dropped (queue full / send failure)
