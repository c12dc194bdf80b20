"""Exceptions raised by the p2p package (no libp2p types leak through these)."""
from __future__ import annotations


class NetworkError(Exception):
    """Base class of every p2p error."""


class ListenFailed(NetworkError):
    """None of the listen addresses could be bound (port in use, address not ours): a node
    without its listener would run on with no network, so the service stops instead."""


class StreamClosed(NetworkError):
    """The underlying substream ended (EOF, reset, connection gone)."""


class MalformedFrame(NetworkError):
    """A peer sent bytes that do not parse as a frame / envelope."""


class FrameTooLarge(MalformedFrame):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"frame of {length} bytes exceeds limit {limit}")
        self.length = length
        self.limit = limit


class RequestFailed(NetworkError):
    """A request did not produce a response."""


class RequestTimeout(RequestFailed):
    pass


class RequestRefused(RequestFailed):
    """The remote answered with an error frame (``code``, ``reason``).

    A request handler may also raise this to answer with a specific error.
    """

    def __init__(self, reason: str, code: int = 1) -> None:
        super().__init__(f"refused (code {code}): {reason}")
        self.code = code
        self.reason = reason


class PeerNotConnected(NetworkError):
    pass


class HandshakeRejected(NetworkError):
    """Raised by a handshake validator to refuse a peer (e.g. other genesis)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DialFailed(NetworkError):
    pass
