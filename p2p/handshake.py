"""The /agora/handshake/1 exchange that makes a connection a peer (roles, genesis, the node's payload)."""
from __future__ import annotations

from typing import Any

import multiaddr
import trio

from p2p import envelope as env
from p2p import keepalive
from p2p.config import (
    PeerConnected,
)
from p2p.errors import (
    HandshakeRejected, MalformedFrame, StreamClosed,
)
from p2p.framing import FramedStream
from p2p.reputation import Rep

from p2p.peer import (
    HANDSHAKE_PROTOCOL, MAX_HANDSHAKE_FRAME, _Peer, log,
)


class HandshakeMixin:
    """NetworkService's handshake (a mixin)."""

    # ------------------------------------------------------------------ handshake

    def _validate(self, peer_id: str, role: str, payload: bytes) -> Any:
        """Returns info, or raises HandshakeRejected."""
        if self._handshake_validator is None:
            return None
        try:
            return self._handshake_validator(peer_id, role, payload)
        except HandshakeRejected:
            raise
        except Exception as exc:
            log.exception("handshake validator raised for %s", peer_id)
            raise HandshakeRejected(f"validator error: {type(exc).__name__}") from exc

    def _my_handshake(self, kind: int) -> bytes:
        return env.encode_handshake(kind, self.config.role, self._advertised_addrs(),
                                    self._handshake_payload)

    def _ready_count(self) -> int:
        return sum(1 for p in self._peers.values() if p.ready.is_set() and not p.closed)

    async def _initiate_handshake(self, peer: _Peer) -> None:
        from libp2p.custom_types import TProtocol

        fs = None
        try:
            with trio.fail_after(self.config.handshake_timeout):
                fs = FramedStream(await self._host.new_stream(peer.pid, [TProtocol(HANDSHAKE_PROTOCOL)]))
                await fs.write_frame(self._my_handshake(env.HANDSHAKE))
                body = await fs.read_frame(MAX_HANDSHAKE_FRAME)
            await fs.close()
            kind, msg = env.decode(body)
            if kind == env.HANDSHAKE_REJECT:
                reason = env.parse_reject(msg)
                self.counters["handshake_rejected_by_remote"] += 1
                await self._hangup(peer, f"rejected by remote: {reason}")
                return
            if kind != env.HANDSHAKE_ACCEPT:
                raise MalformedFrame(f"unexpected kind {kind}")
            role, addrs, payload = env.parse_handshake(msg)
            info = self._validate(peer.id, role, payload)
        except HandshakeRejected as exc:
            self.counters["handshake_rejected"] += 1
            log.info("rejecting peer %s: %s", peer.id, exc.reason)
            await self._hangup(peer, f"rejected: {exc.reason}")
            return
        except MalformedFrame as exc:
            self.report_peer(peer.id, Rep.HANDSHAKE_FAILURE, f"bad handshake: {exc}")
            if fs is not None:
                await fs.reset()
            await self._hangup(peer, f"bad handshake: {exc}")
            return
        except (trio.TooSlowError, StreamClosed, Exception) as exc:
            if fs is not None:
                await fs.reset()
            reason = "handshake timeout" if isinstance(exc, trio.TooSlowError) else f"handshake failed: {exc!r}"
            log.debug("handshake with %s failed: %s", peer.id, reason)
            await self._hangup(peer, reason)
            return
        self._mark_ready(peer, role, addrs, payload, info)

    async def _serve_handshake(self, stream: Any) -> None:
        peer = self._peer_for_stream(stream)
        fs = FramedStream(stream)
        if peer is None:
            await fs.write_frame(env.encode_reject("banned"))
            await fs.close()
            return
        try:
            with trio.fail_after(self.config.handshake_timeout):
                body = await fs.read_frame(MAX_HANDSHAKE_FRAME)
            kind, msg = env.decode(body)
            if kind != env.HANDSHAKE:
                raise MalformedFrame(f"unexpected kind {kind}")
            role, addrs, payload = env.parse_handshake(msg)
        except MalformedFrame as exc:
            self.report_peer(peer.id, Rep.HANDSHAKE_FAILURE, f"bad handshake: {exc}")
            await fs.reset()
            await self._hangup(peer, f"bad handshake: {exc}")
            return
        except (trio.TooSlowError, StreamClosed):
            await fs.reset()
            return
        reason = None
        info = None
        if self.reputation.banned(peer.id) or peer.closed:
            reason = "banned"
        elif not peer.ready.is_set() and self._ready_count() >= self.config.max_peers:
            reason = "too many peers"
        else:
            try:
                info = self._validate(peer.id, role, payload)
            except HandshakeRejected as exc:
                reason = exc.reason
        try:
            with trio.fail_after(self.config.handshake_timeout):
                if reason is not None:
                    self.counters["handshake_rejected"] += 1
                    log.info("rejecting peer %s: %s", peer.id, reason)
                    await fs.write_frame(env.encode_reject(reason))
                else:
                    await fs.write_frame(self._my_handshake(env.HANDSHAKE_ACCEPT))
            await fs.close()
        except (trio.TooSlowError, StreamClosed):
            await fs.reset()
            return
        if reason is not None:
            # give the reject frame time to arrive before the connection drops
            await self._hangup(peer, f"rejected: {reason}", delay=0.2)
            return
        self._mark_ready(peer, role, addrs, payload, info)

    async def _handshake_watchdog(self, peer: _Peer) -> None:
        with trio.move_on_after(self.config.handshake_timeout + 1):
            await peer.settled.wait()
            return
        if not peer.ready.is_set() and not peer.closed and self._peers.get(peer.id) is peer:
            await self._hangup(peer, "handshake timeout")
            if not self._has_connection(peer.pid) and self._peers.get(peer.id) is peer:
                # the swarm will not report a disconnect for a connection that was
                # already gone: drop the pending entry ourselves
                del self._peers[peer.id]
                peer.close("handshake timeout")

    def _has_connection(self, pid: Any) -> bool:
        try:
            return any(not c.is_closed for c in self._host.get_network().get_connections(pid))
        except Exception:
            return False

    def _normalize_addrs(self, peer: _Peer, addrs: list[str]) -> list[str]:
        out = []
        for a in addrs[:8]:
            try:
                m = multiaddr.Multiaddr(a)
            except Exception:
                continue
            s = str(m)
            if peer.observed_ip and ("/ip4/0.0.0.0/" in s):
                s = s.replace("/ip4/0.0.0.0/", f"/ip4/{peer.observed_ip}/")
            out.append(s)
        return out

    def _mark_ready(self, peer: _Peer, role: str, addrs: list[str], payload: bytes, info: Any) -> None:
        if peer.closed or self._peers.get(peer.id) is not peer:
            return
        peer.role = role
        peer.handshake = payload
        peer.info = info
        peer.addrs = self._normalize_addrs(peer, addrs)
        if peer.ready.is_set():
            return
        peer.connected_at = trio.current_time()
        peer.ready.set()
        peer.settled.set()
        self._spawn(self._sender, peer)
        self._spawn(keepalive.ping_loop, self, peer)
        e = self._book.get(peer.id)
        if e is not None:
            e.failures = 0
            for a in peer.addrs:
                if a not in e.addrs:
                    e.addrs.append(a)
        log.info("peer %s connected (%s, %s)", peer.id, role, peer.direction)
        self._emit(PeerConnected(peer.id, role, peer.direction, payload, info))
        self._discovery_wake.set()
