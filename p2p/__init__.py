"""Agora p2p: libp2p (TCP + Noise + Yamux) networking carrying opaque bytes.

This package imports nothing from the rest of the project; the node layer
decodes blocks / extrinsics / votes itself.  See :mod:`p2p.service`.
"""
from p2p.config import (
    NetworkConfig, NotificationProtocol, PeerConnected, PeerDisconnected, PeerView,
    RequestProtocol,
)
from p2p.errors import (
    DialFailed, FrameTooLarge, HandshakeRejected, MalformedFrame, NetworkError,
    PeerNotConnected, RequestFailed, RequestRefused, RequestTimeout, StreamClosed,
)
from p2p.keys import (
    keypair_from_hex, load_or_generate_keypair, node_key_path, peer_id_of, resolve_keypair,
)
from p2p.reputation import Rep
from p2p.service import (
    HANDSHAKE_PROTOCOL, NOTIFICATION_STREAM_PROTOCOL, PEX_PROTOCOL, NetworkService,
    parse_peer_addr,
)

__all__ = [
    "NetworkService", "NetworkConfig", "RequestProtocol", "NotificationProtocol",
    "PeerConnected", "PeerDisconnected", "PeerView", "Rep",
    "NetworkError", "StreamClosed", "MalformedFrame", "FrameTooLarge", "RequestFailed",
    "RequestTimeout", "RequestRefused", "PeerNotConnected", "HandshakeRejected", "DialFailed",
    "keypair_from_hex", "load_or_generate_keypair", "node_key_path", "peer_id_of",
    "resolve_keypair", "parse_peer_addr",
    "HANDSHAKE_PROTOCOL", "NOTIFICATION_STREAM_PROTOCOL", "PEX_PROTOCOL",
]
