"""The WebSocket side of an RPC connection, after the HTTP upgrade.

The reader task feeds the socket's bytes to the sans-io decoder
(:mod:`node.rpc.websocket_frames`), runs each plain method inline (no task per
message), and appends the framed answers to a per-connection send queue that one
writer task flushes with a single ``send_all`` per batch of answers. The queue is
bounded (``send_queue_bytes``): the reader stops reading and subscriptions stop
pushing while it is full, and a peer that leaves it full for ``slow_consumer_timeout``
seconds is disconnected. The connection is also the dispatcher's outbox for its
subscriptions.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import trio

from node.rpc.heap import RELEASE_AFTER, release_free_memory
from node.rpc.jsonrpc import RpcSession
from node.rpc.jsonrpc_wire import BatchAnswer, oversized_request_response
from node.rpc.websocket_frames import (
    CLOSE_NO_STATUS,
    OP_PONG,
    BinaryMessage,
    Close,
    FrameDecoder,
    MessageTooLarge,
    Ping,
    TextMessage,
    WebSocketProtocolError,
    encode_close,
    encode_frame,
    encode_text,
    text_header,
)

if TYPE_CHECKING:
    from node.rpc.server import RpcServer

log = logging.getLogger(__name__)

_RECEIVE_SIZE = 65536
_BIG = 65536  # a queued piece this long is sent as it is; shorter ones are joined into one send


def _coalesce(pieces: list[bytes]) -> Iterator[bytes]:
    """The queued pieces as few sends: each run of small pieces joined, big ones as they are
    (a big batch answer is not copied once more to be sent)."""
    if len(pieces) == 1:
        yield pieces[0]
        return
    run: list[bytes] = []
    for piece in pieces:
        if len(piece) < _BIG:
            run.append(piece)
            continue
        if run:
            yield run[0] if len(run) == 1 else b"".join(run)
            run = []
        yield piece
    if run:
        yield run[0] if len(run) == 1 else b"".join(run)


class WebSocketConnection:
    """One WebSocket connection; also the dispatcher's outbox for its subscriptions."""

    def __init__(self, server: RpcServer, stream: trio.SocketStream, trailing: bytes) -> None:
        self.server = server
        self.stream = stream
        self._trailing = trailing
        self.closed = False
        self._close_sent = False
        self._out: list[bytes] = []
        self._queued = 0
        self._limit = server.send_queue_bytes
        self._writer_lot = trio.lowlevel.ParkingLot()
        self._writer_idle = False
        self._progress_lot = trio.lowlevel.ParkingLot()
        self._nursery: trio.Nursery | None = None
        self.session: RpcSession | None = None

    # outbox -----------------------------------------------------------------------------------

    def push(self, text: str | BatchAnswer) -> None:
        if self.closed:
            return
        if type(text) is str:
            self._push_bytes(encode_text(text.encode()))
            return
        # A batch answer: the frame header, then its pieces as they are (never joined here;
        # the writer only joins runs of small ones).
        self._push_bytes(text_header(text.size))
        for chunk in text.drain():
            self._push_bytes(chunk)

    def _push_bytes(self, data: bytes) -> None:
        self._out.append(data)
        self._queued += len(data)
        if self._writer_idle:
            self._writer_idle = False
            self._writer_lot.unpark()

    async def wait_writable(self) -> None:
        if self._queued <= self._limit or self.closed:
            return
        with trio.move_on_after(self.server.slow_consumer_timeout):
            while self._queued > self._limit and not self.closed:
                await self._progress_lot.park()
            return
        log.info("RPC WebSocket peer did not read %d queued bytes for %.0f s: disconnecting",
                 self._queued, self.server.slow_consumer_timeout)
        self.abort()
        await trio.lowlevel.checkpoint()  # raises Cancelled: the whole connection is going

    def abort(self) -> None:
        self.closed = True
        if self.session is not None:
            self.session.close()
        if self._nursery is not None:
            self._nursery.cancel_scope.cancel()

    # tasks ------------------------------------------------------------------------------------

    async def run(self) -> None:
        server = self.server
        server.websockets.add(self)
        server.session_observer("opened")
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                self.session = server.dispatcher.session(self, nursery)
                nursery.start_soon(self._writer)
                try:
                    await self._reader()
                    self.closed = True
                    self.session.close()
                    with trio.move_on_after(5):
                        while self._queued and self._nursery is not None:
                            await self._progress_lot.park()
                finally:
                    self.abort()
        finally:
            server.websockets.discard(self)
            server.session_observer("closed")

    async def _writer(self) -> None:
        stream = self.stream
        try:
            while True:
                while not self._out:
                    self._writer_idle = True
                    await self._writer_lot.park()
                out = self._out
                self._out = []
                sent = 0
                for data in _coalesce(out):
                    await stream.send_all(data)
                    self._queued -= len(data)
                    sent += len(data)
                    if self._progress_lot:
                        self._progress_lot.unpark_all()
                out = data = None
                if sent >= RELEASE_AFTER:
                    release_free_memory()  # a big answer's pages, not kept resident for the next
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            log.debug("RPC WebSocket peer went away while we were sending")
            self._queued = 0
            self.abort()

    async def _reader(self) -> None:
        """Read frames and answer messages until the peer closes (or breaks the protocol)."""
        stream = self.stream
        session = self.session
        handle = self.server.dispatcher.handle
        decoder = FrameDecoder(self.server.max_request_bytes, self._trailing)
        while True:
            try:
                events = decoder.events()
            except WebSocketProtocolError as exc:
                return self._close(exc.code, exc.reason)
            for event in events:
                kind = type(event)
                if kind is TextMessage or kind is BinaryMessage:
                    answer = await handle(session, event.data)
                    if answer is not None:
                        self.push(answer)
                        session.response_queued()
                elif kind is Ping:
                    self._push_bytes(encode_frame(OP_PONG, event.payload))
                elif kind is Close:
                    # Echo the peer's code (none if it sent none) and stop reading.
                    self._close(event.code if event.code != CLOSE_NO_STATUS else None, event.reason or None)
                    return
                elif kind is MessageTooLarge:
                    self.push(oversized_request_response(event.limit))
                # Pong: nothing to do
            await self.wait_writable()
            data = await stream.receive_some(_RECEIVE_SIZE)
            if not data:
                return  # EOF without a close frame (1006)
            decoder.feed(data)

    def _close(self, code: int | None, reason: str | None = None) -> None:
        log.debug("closing RPC WebSocket: %s %s", code, reason)
        if not self._close_sent:
            self._close_sent = True
            self._push_bytes(encode_close(code, reason))
