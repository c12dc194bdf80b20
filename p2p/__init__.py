"""Agora p2p: libp2p (TCP + Noise + Yamux) networking carrying opaque bytes.

This package imports nothing from the rest of the project; the node layer
decodes blocks / extrinsics / votes itself.  See :mod:`p2p.service`.
"""
from p2p.config import (
    NetworkConfig, NotificationProtocol, PeerConnected, PeerDisconnected, PeerView,
    RequestProtocol,
)
from p2p.errors import (
    DialFailed, FrameTooLarge, HandshakeRejected, ListenFailed, MalformedFrame, NetworkError,
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



def quiet_libp2p_logging(level: int | None = None) -> None:
    """py-libp2p logs routine disconnect races (a stream opened while a peer
    leaves) at ERROR; call this from the node to raise its loggers' threshold."""
    import logging

    lvl = logging.CRITICAL if level is None else level
    logging.getLogger("libp2p").setLevel(lvl)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("libp2p"):
            logging.getLogger(name).setLevel(lvl)


__all__ = [
    "quiet_libp2p_logging",
    "NetworkService", "NetworkConfig", "RequestProtocol", "NotificationProtocol",
    "PeerConnected", "PeerDisconnected", "PeerView", "Rep",
    "NetworkError", "StreamClosed", "MalformedFrame", "FrameTooLarge", "RequestFailed",
    "RequestTimeout", "RequestRefused", "PeerNotConnected", "HandshakeRejected", "DialFailed", "ListenFailed",
    "keypair_from_hex", "load_or_generate_keypair", "node_key_path", "peer_id_of",
    "resolve_keypair", "parse_peer_addr",
    "HANDSHAKE_PROTOCOL", "NOTIFICATION_STREAM_PROTOCOL", "PEX_PROTOCOL",
]
