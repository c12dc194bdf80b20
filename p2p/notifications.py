"""Notification protocols: one long-lived /agora/notif/1 stream per direction per peer, bounded queues."""
from __future__ import annotations

import inspect
from typing import Any, Iterable

import trio

from p2p import envelope as env
from p2p.config import (
    NotificationProtocol,
)
from p2p.errors import (
    FrameTooLarge, MalformedFrame, StreamClosed,
)
from p2p.framing import FramedStream, encode_frame
from p2p.reputation import Rep

from p2p.peer import (
    NOTIFICATION_STREAM_PROTOCOL, MAX_INBOUND_NOTIF_STREAMS, _Peer, log,
)


class NotificationsMixin:
    """NetworkService's notifications (a mixin)."""

    # ------------------------------------------------------------------ notifications

    def _frame_notification(self, protocol: str, payload: bytes) -> tuple[NotificationProtocol, bytes]:
        p = self._notif_protocols.get(protocol)
        if p is None:
            raise ValueError(f"notification protocol {protocol!r} not registered")
        if len(payload) > p.max_size:
            raise ValueError(f"{protocol}: payload {len(payload)} > max_size {p.max_size}")
        return p, encode_frame(env.encode_notification(protocol, payload))

    async def _enqueue(self, peer: _Peer, p: NotificationProtocol, frame: bytes, wait: bool) -> bool:
        proto = p.protocol_id
        if wait:
            while peer.qcount[proto] >= p.queue_size and not peer.closed:
                await peer.space.wait()
        if peer.closed:
            return False
        if peer.qcount[proto] >= p.queue_size:
            peer.dropped[proto] += 1
            self.counters["notifications_dropped"] += 1
            return False
        peer.outq.append((proto, frame))
        peer.qcount[proto] += 1
        peer.wake.set()
        return True

    async def send(self, peer_id: str, protocol: str, payload: bytes, *, wait: bool = False) -> bool:
        """Queue a notification to one peer.

        Returns False when the peer is not connected or (``wait=False``) its
        queue for this protocol is full; the drop is counted.  ``wait=True``
        waits for queue space instead (backpressure).
        """
        p, frame = self._frame_notification(protocol, payload)
        peer = self._peers.get(peer_id)
        if peer is None or peer.closed or not peer.ready.is_set():
            self.counters["notifications_no_peer"] += 1
            return False
        return await self._enqueue(peer, p, frame, wait)

    async def broadcast(self, protocol: str, payload: bytes, *, exclude: Iterable[str] = (),
                        wait: bool = False) -> int:
        """Queue a notification to every connected peer not in ``exclude``; returns how many."""
        p, frame = self._frame_notification(protocol, payload)
        skip = set(exclude)
        n = 0
        for peer in list(self._peers.values()):
            if peer.id in skip or peer.closed or not peer.ready.is_set():
                continue
            if await self._enqueue(peer, p, frame, wait):
                n += 1
        return n

    async def _sender(self, peer: _Peer) -> None:
        from libp2p.custom_types import TProtocol

        fs: FramedStream | None = None
        batch_limit = self.config.notification_batch_bytes
        batch: list[bytes] = []
        with peer.sender_scope:
            try:
                while True:
                    while not peer.outq:
                        await peer.wake.wait()
                        peer.wake = trio.Event()
                    if fs is None:
                        with trio.fail_after(self.config.stream_open_timeout):
                            fs = FramedStream(await self._host.new_stream(
                                peer.pid, [TProtocol(NOTIFICATION_STREAM_PROTOCOL)]))
                    batch = []
                    size = 0
                    while peer.outq and size < batch_limit:
                        proto, frame = peer.outq.popleft()
                        peer.qcount[proto] -= 1
                        batch.append(frame)
                        size += len(frame)
                    peer.space.set()
                    peer.space = trio.Event()
                    await fs.write_raw(batch[0] if len(batch) == 1 else b"".join(batch))
                    self.counters["notifications_sent"] += len(batch)
                    self.counters["notification_bytes_sent"] += size
                    batch = []
            except (StreamClosed, trio.TooSlowError, Exception) as exc:
                lost = len(batch) + len(peer.outq)
                self.counters["notifications_failed"] += lost
                peer.dropped["<send failed>"] += lost
                peer.outq.clear()
                peer.qcount.clear()
                if not peer.closed:
                    log.info("notification stream to %s failed: %r", peer.id, exc)
                    self._spawn(self._hangup, peer, "notification stream failed")
            finally:
                if fs is not None:
                    with trio.CancelScope(shield=True), trio.move_on_after(1):
                        await fs.close()

    async def _reject_frame(self, peer: Any, fs: FramedStream, exc: MalformedFrame, what: str,
                            oversize_counter: str) -> None:
        """A peer broke the framing of an inbound stream: count it, lower its reputation, reset the stream."""
        if isinstance(exc, FrameTooLarge):
            self.counters[oversize_counter] += 1
            self.report_peer(peer.id, Rep.OVERSIZE, f"{what} frame: {exc}")
        else:
            self.counters["malformed_frames"] += 1
            self.report_peer(peer.id, Rep.MALFORMED_FRAME, f"{what}: {exc}")
        await fs.reset()

    async def _serve_notifications(self, stream: Any) -> None:
        peer = await self._wait_ready(self._peer_for_stream(stream))
        fs = FramedStream(stream)
        if peer is None or peer.inbound_notif >= MAX_INBOUND_NOTIF_STREAMS:
            await fs.reset()
            return
        peer.inbound_notif += 1
        try:
            while not peer.closed:
                try:
                    body = await fs.read_frame(self._notif_frame_limit)
                    kind, msg = env.decode(body)
                    if kind != env.NOTIFICATION:
                        raise MalformedFrame(f"unexpected kind {kind}")
                    proto, payload = env.parse_notification(msg)
                except StreamClosed:
                    return
                except MalformedFrame as exc:   # FrameTooLarge included
                    await self._reject_frame(peer, fs, exc, "notification", "notifications_oversize")
                    return
                p = self._notif_protocols.get(proto)
                if p is None or p.handler is None:
                    self.counters["notifications_unknown"] += 1
                    self.report_peer(peer.id, Rep.UNKNOWN_PROTOCOL, f"unknown notification {proto[:64]!r}")
                    continue
                if len(payload) > p.max_size:
                    self.counters["notifications_oversize"] += 1
                    self.report_peer(peer.id, Rep.OVERSIZE, f"{proto}: {len(payload)} bytes")
                    continue
                if not peer.bucket(proto, p.rate, p.burst).take():
                    self.counters["notifications_rate_limited"] += 1
                    self.report_peer(peer.id, Rep.RATE_LIMITED, f"{proto}: rate limit")
                    continue
                self.counters["notifications_received"] += 1
                self.counters["notification_bytes_received"] += len(payload)
                try:
                    r = p.handler(peer.id, payload)
                    if inspect.isawaitable(r):
                        await r
                except Exception:
                    log.exception("notification handler %s raised", proto)
        finally:
            peer.inbound_notif -= 1
