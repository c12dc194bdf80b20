"""Connections opening and closing, hang-ups, and which peer a stream belongs to."""
from __future__ import annotations

from typing import Any

import trio

from p2p.config import (
    PeerDisconnected,
)

from p2p.peer import (
    _Peer, log,
)


class ConnectionsMixin:
    """NetworkService's connection bookkeeping (a mixin: the service's state lives on the service)."""

    # ------------------------------------------------------------------ connections

    def _on_conn_opened(self, conn: Any) -> None:
        pid = conn.muxed_conn.peer_id
        s = pid.to_base58()
        if self.reputation.banned(s):
            self.counters["refused_banned"] += 1
            log.debug("refusing connection from banned peer %s", s)
            self._spawn(self._hangup_now, pid)
            return
        direction = getattr(getattr(conn, "direction", None), "name", "unknown").lower()
        peer = self._peers.get(s)
        if peer is None or peer.closed:
            ip = None
            try:
                ra = conn.muxed_conn.get_remote_address()
                ip = ra[0] if ra else None
            except Exception:
                pass
            peer = self._peers[s] = _Peer(pid, direction, ip)
        if direction == "outbound" and not peer.ready.is_set():
            self._spawn(self._initiate_handshake, peer)
        else:
            self._spawn(self._handshake_watchdog, peer)

    def _on_conn_closed(self, conn: Any) -> None:
        pid = conn.muxed_conn.peer_id
        s = pid.to_base58()
        try:
            others = [c for c in self._host.get_network().get_connections(pid)
                      if c is not conn and not c.is_closed]
        except Exception:
            others = []
        if others:
            return
        peer = self._peers.pop(s, None)
        if peer is not None:
            self._forget(peer)

    def _drop_unresponsive(self, peer: _Peer, reason: str) -> None:
        """The keep-alive gave up on ``peer``: forget it now, then close the connection.

        Closing a connection over a dead link may take a while (or never be
        reported by the swarm), so the node must not wait for it to see the peer gone.
        """
        if peer.closed or self._peers.get(peer.id) is not peer:
            return
        self.counters["peers_unresponsive"] += 1
        log.info("peer %s unresponsive (%s): dropping it", peer.id, reason)
        peer.close(reason)
        del self._peers[peer.id]
        self._forget(peer)
        self._spawn(self._hangup_now, peer.pid)

    def _forget(self, peer: _Peer) -> None:
        """Bookkeeping for a peer that is gone: queues, pooled streams, redial time, event."""
        s = peer.id
        was_ready = peer.ready.is_set()
        peer.close(peer.close_reason or "connection closed")
        lost = len(peer.outq)
        if lost:
            self.counters["notifications_dropped"] += lost
            peer.outq.clear()
        for streams in peer.pool.values():
            for fs in streams:
                self._spawn(fs.reset)
        peer.pool.clear()
        e = self._book.get(s)
        if e is not None:
            now = trio.current_time()
            if was_ready and now - peer.connected_at > 60:
                e.backoff = self.config.dial_backoff_initial
            e.next_attempt = now + e.backoff
            e.backoff = min(e.backoff * 2, self.config.dial_backoff_max)
        if was_ready:
            log.info("peer %s disconnected: %s", s, peer.close_reason)
            self._emit(PeerDisconnected(s, peer.close_reason or "connection closed"))
        self._dial_wake.set()

    async def _hangup_now(self, pid: Any) -> None:
        with trio.CancelScope(shield=True), trio.move_on_after(5):
            try:
                await self._host.disconnect(pid)
            except Exception as exc:
                log.debug("disconnect %s: %r", pid, exc)

    async def _hangup(self, peer: _Peer, reason: str, delay: float = 0.0) -> None:
        if peer.close_reason is None:
            peer.close_reason = reason
        if delay:
            await trio.sleep(delay)
        await self._hangup_now(peer.pid)

    def disconnect(self, peer_id: str, reason: str = "requested") -> None:
        peer = self._peers.get(peer_id)
        if peer is not None:
            self._spawn(self._hangup, peer, reason)

    def _peer_for_stream(self, stream: Any) -> _Peer | None:
        pid = stream.muxed_conn.peer_id
        s = pid.to_base58()
        peer = self._peers.get(s)
        if peer is None and not self.reputation.banned(s):
            # a stream raced ahead of the swarm's "connected" notification
            peer = self._peers[s] = _Peer(pid, "inbound", None)
            self._spawn(self._handshake_watchdog, peer)
        return peer

    async def _wait_ready(self, peer: _Peer | None) -> _Peer | None:
        if peer is None:
            return None
        if not peer.settled.is_set():
            with trio.move_on_after(self.config.handshake_timeout):
                await peer.settled.wait()
        return peer if peer.ready.is_set() and not peer.closed else None
