"""NetworkService: peers, handshake, request/response, notifications, discovery.

Built on py-libp2p 0.8 (TCP, Noise, Yamux) and trio.  Everything the node
layer sees is opaque bytes and base58 peer-id strings.

Libp2p protocols spoken (all frames ``uvarint(len) || msgpack envelope``,
see :mod:`p2p.envelope`):

* ``/agora/handshake/1``  one request/answer on a fresh stream, opened by the
  dialing side after every new connection.  Until it succeeds the peer is not
  "connected" for the node: no events, no notifications, requests refused.
* ``/agora/notif/1``      one long-lived stream per direction per peer that
  carries the NOTIFICATION frames of every registered notification protocol
  in the order they were queued.
* ``/agora/pex/1``        peer exchange (an ordinary request protocol).
* every protocol registered with :meth:`NetworkService.register_request_handler`
  is its own libp2p protocol id; a stream carries sequential REQUEST/RESPONSE
  pairs and is kept in a small pool for reuse.
"""
from __future__ import annotations

import inspect
import logging
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any, Iterable

import msgpack
import multiaddr
import trio

from p2p import envelope as env
from p2p import keepalive
from p2p.config import (
    NetworkConfig, NotificationProtocol, PeerConnected, PeerDisconnected, PeerView,
    RequestProtocol,
)
from p2p.errors import (
    DialFailed, FrameTooLarge, HandshakeRejected, ListenFailed, MalformedFrame, PeerNotConnected,
    RequestFailed, RequestRefused, RequestTimeout, StreamClosed,
)
from p2p.framing import FramedStream, encode_frame
from p2p.keys import peer_id_of, resolve_keypair
from p2p.reputation import Rep, ReputationBook, TokenBucket

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


class NetworkService:
    """The node's p2p network.  Start with ``await nursery.start(service.run)``."""

    def __init__(self, config: NetworkConfig | None = None, *, keypair: Any = None) -> None:
        self.config = cfg = config or NetworkConfig()
        self._keypair = keypair or resolve_keypair(cfg.base_path, cfg.node_key)
        self.peer_id: str = peer_id_of(self._keypair)
        self.reputation = ReputationBook(ban_threshold=cfg.ban_threshold,
                                         ban_duration=cfg.ban_duration,
                                         half_life=cfg.reputation_half_life)
        self._req_protocols: dict[str, RequestProtocol] = {}
        self._notif_protocols: dict[str, NotificationProtocol] = {}
        self._notif_frame_limit = env.OVERHEAD
        self._peers: dict[str, _Peer] = {}
        self._book: dict[str, _BookEntry] = {}
        self._dialing: set[str] = set()
        self._subscribers: list[trio.MemorySendChannel] = []
        self._host: Any = None
        self._nursery: trio.Nursery | None = None
        self._running = False
        self._stop = trio.Event()
        self._dial_wake = trio.Event()
        self._discovery_wake = trio.Event()
        self._handshake_payload = cfg.handshake_payload
        self._handshake_validator = cfg.handshake_validator
        self.counters: Counter[str] = Counter()
        for addr in cfg.bootnodes:
            pid, transport = parse_peer_addr(addr)
            if pid == self.peer_id:
                continue
            e = self._book.setdefault(pid, _BookEntry([], bootnode=True,
                                                      backoff=cfg.dial_backoff_initial))
            e.bootnode = True
            if transport not in e.addrs:
                e.addrs.append(transport)
        self.register_request_handler(PEX_PROTOCOL, self._pex_handler,
                                      max_request_size=1024, max_response_size=256 * 1024,
                                      rate=2.0, burst=10.0)

    # ------------------------------------------------------------------ config API

    def register_request_handler(self, protocol_id: str, handler: Any, *,
                                 max_request_size: int | None = None,
                                 max_response_size: int | None = None,
                                 rate: float | None = None, burst: float | None = None,
                                 handler_timeout: float | None = None) -> RequestProtocol:
        """Serve ``protocol_id``: ``async handler(peer_id, request) -> response``.

        ``handler=None`` only records the limits used when *we* send requests.
        May be called before or after the service started.
        """
        p = RequestProtocol(protocol_id, handler)
        for k, v in (("max_request_size", max_request_size), ("max_response_size", max_response_size),
                     ("rate", rate), ("burst", burst), ("handler_timeout", handler_timeout)):
            if v is not None:
                setattr(p, k, v)
        self._req_protocols[protocol_id] = p
        if self._host is not None and handler is not None:
            self._install_request_handler(p)
        return p

    def register_notification_protocol(self, protocol_id: str, handler: Any = None, *,
                                       max_size: int | None = None, queue_size: int | None = None,
                                       rate: float | None = None,
                                       burst: float | None = None) -> NotificationProtocol:
        """``handler(peer_id, payload)`` (sync or async) is called in arrival order per peer."""
        p = NotificationProtocol(protocol_id, handler)
        for k, v in (("max_size", max_size), ("queue_size", queue_size), ("rate", rate),
                     ("burst", burst)):
            if v is not None:
                setattr(p, k, v)
        self._notif_protocols[protocol_id] = p
        self._notif_frame_limit = max(q.max_size for q in self._notif_protocols.values()) + env.OVERHEAD
        return p

    def set_handshake_payload(self, payload: bytes) -> None:
        """Opaque bytes sent to every new peer (genesis hash, best block, ...)."""
        self._handshake_payload = bytes(payload)

    def set_handshake_validator(self, validator: Any) -> None:
        self._handshake_validator = validator

    def subscribe_events(self, max_buffer: int = 1024) -> trio.MemoryReceiveChannel:
        """Channel of :class:`PeerConnected` / :class:`PeerDisconnected`.

        A subscriber that lets ``max_buffer`` events pile up loses the newest
        ones (counted in ``counters['events_dropped']``); close the channel to
        unsubscribe.
        """
        send, recv = trio.open_memory_channel(max_buffer)
        self._subscribers.append(send)
        return recv

    # ------------------------------------------------------------------ lifecycle

    @property
    def listen_addrs(self) -> list[str]:
        """Full ``/ip4/../tcp/../p2p/<id>`` addresses (valid once started)."""
        if self._host is None:
            return []
        return [str(a) for a in self._host.get_addrs()]

    def _advertised_addrs(self) -> list[str]:
        if self.config.public_addrs:
            return list(self.config.public_addrs)
        if self._host is None:
            return []
        return [str(a) for a in self._host.get_transport_addrs()]

    def _make_host(self) -> Any:
        from libp2p import new_host
        from libp2p.network.config import ConnectionConfig, RetryConfig

        cfg = self.config
        cc = ConnectionConfig(max_connections_per_peer=1, dial_timeout=cfg.dial_timeout,
                              max_connections=max(300, cfg.max_peers * 2))
        host = new_host(key_pair=self._keypair, connection_config=cc)
        net = host.get_network()
        # We redial with our own backoff: no libp2p retries, no libp2p auto-dialer
        # (it would redial banned peers from the peerstore).
        net.retry_config = RetryConfig(max_retries=0)

        async def _no_auto_connect() -> None:
            return None

        auto = getattr(net, "auto_connector", None)
        if auto is not None:
            auto.maybe_connect = _no_auto_connect
        return host

    def _install_request_handler(self, p: RequestProtocol) -> None:
        from libp2p.custom_types import TProtocol

        async def _h(stream: Any, _p: RequestProtocol = p) -> None:
            await self._serve_request_stream(_p, stream)

        self._host.set_stream_handler(TProtocol(p.protocol_id), _h)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        from libp2p.custom_types import TProtocol

        if self._running:
            raise RuntimeError("NetworkService already running")
        self._stop = trio.Event()
        host = self._host = self._make_host()
        listen = [multiaddr.Multiaddr(a) for a in self.config.listen_addrs]
        try:
            async with host.run(listen_addrs=listen):
                if listen and not self._host.get_addrs():   # py-libp2p logs a failed bind and runs on
                    raise ListenFailed(f"cannot listen on {', '.join(str(a) for a in listen)} "
                                       "(address in use or not local)")
                host.set_stream_handler(TProtocol(HANDSHAKE_PROTOCOL), self._serve_handshake)
                host.set_stream_handler(TProtocol(NOTIFICATION_STREAM_PROTOCOL), self._serve_notifications)
                for p in self._req_protocols.values():
                    if p.handler is not None:
                        self._install_request_handler(p)
                host.get_network().register_notifee(_Notifee(self))
                async with trio.open_nursery() as nursery:
                    self._nursery = nursery
                    self._running = True
                    async with trio.open_nursery() as background:
                        background.start_soon(self._dialer)
                        if self.config.enable_discovery:
                            background.start_soon(self._discovery_loop)
                        log.info("Local node identity is: %s", self.peer_id)
                        log.info("p2p listening on %s", ", ".join(self.listen_addrs))
                        task_status.started()
                        await self._stop.wait()
                        background.cancel_scope.cancel()
                    await self._disconnect_all()
                    nursery.cancel_scope.cancel()
                await self._close_host(host)
        finally:
            # also on cancellation: py-libp2p keeps TCP listeners open in a system
            # task unless the host is closed explicitly
            await self._close_host(host)
            self._running = False
            self._nursery = None
            for peer in list(self._peers.values()):
                peer.close("shutdown")
            self._peers.clear()
            for ch in self._subscribers:
                ch.close()
            self._subscribers.clear()
            self._host = None

    @staticmethod
    async def _close_host(host: Any) -> None:
        with trio.CancelScope(shield=True), trio.move_on_after(3):
            try:
                await host.close()
            except Exception as exc:
                log.debug("host close: %r", exc)

    def stop(self) -> None:
        """Ask :meth:`run` to disconnect everyone and return."""
        self._stop.set()

    async def _disconnect_all(self) -> None:
        with trio.move_on_after(2):
            async with trio.open_nursery() as n:
                for peer in list(self._peers.values()):
                    peer.close("shutdown")
                    n.start_soon(self._hangup_now, peer.pid)

    def _spawn(self, fn: Any, *args: Any) -> bool:
        if self._nursery is None:
            return False
        try:
            self._nursery.start_soon(fn, *args)
            return True
        except RuntimeError:
            return False

    # ------------------------------------------------------------------ events

    def _emit(self, ev: Any) -> None:
        for ch in list(self._subscribers):
            try:
                ch.send_nowait(ev)
            except trio.WouldBlock:
                self.counters["events_dropped"] += 1
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                self._subscribers.remove(ch)

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

    # ------------------------------------------------------------------ peers / reputation

    def peers(self) -> list[PeerView]:
        now = trio.current_time() if self._running else 0.0
        return [PeerView(p.id, p.role, p.direction, tuple(p.addrs), p.handshake, p.info,
                         self.reputation.get(p.id), now - p.connected_at, len(p.outq),
                         sum(p.dropped.values()))
                for p in self._peers.values() if p.ready.is_set() and not p.closed]

    def peer_ids(self) -> list[str]:
        return [p.id for p in self._peers.values() if p.ready.is_set() and not p.closed]

    def is_connected(self, peer_id: str) -> bool:
        p = self._peers.get(peer_id)
        return p is not None and p.ready.is_set() and not p.closed

    def peer_info(self, peer_id: str) -> Any:
        p = self._peers.get(peer_id)
        return None if p is None else p.info

    def set_peer_info(self, peer_id: str, info: Any) -> None:
        """The node updates what it knows about a peer (e.g. best block from announces)."""
        p = self._peers.get(peer_id)
        if p is not None:
            p.info = info

    def report_peer(self, peer_id: str, delta: float, reason: str) -> None:
        """Change a peer's reputation; under the threshold it is disconnected and banned."""
        if self.reputation.banned(peer_id):
            return
        if delta < 0:
            self.counters["reputation_reports"] += 1
            log.debug("peer %s %+d: %s", peer_id, delta, reason)
        if self.reputation.report(peer_id, delta):
            self.ban_peer(peer_id, reason)

    def ban_peer(self, peer_id: str, reason: str, duration: float | None = None) -> None:
        """Disconnect ``peer_id`` now and refuse it for ``duration`` (default config.ban_duration)."""
        already = self.reputation.banned(peer_id)
        self.reputation.ban(peer_id, reason, duration)
        if not already:
            self.counters["bans"] += 1
            log.warning("banning peer %s: %s", peer_id, reason)
        peer = self._peers.get(peer_id)
        if peer is not None and not peer.closed:
            # stop processing its messages at once; the connection is closed next
            peer.close(f"banned: {reason}")
            self._spawn(self._hangup, peer, f"banned: {reason}")

    def unban_peer(self, peer_id: str) -> None:
        self.reputation.unban(peer_id)

    def is_banned(self, peer_id: str) -> bool:
        return self.reputation.banned(peer_id)

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

    # ------------------------------------------------------------------ request / response

    async def _serve_request_stream(self, p: RequestProtocol, stream: Any) -> None:
        peer = await self._wait_ready(self._peer_for_stream(stream))
        fs = FramedStream(stream)
        if peer is None or peer.inbound_req >= self.config.max_request_streams_per_peer:
            await fs.reset()
            return
        peer.inbound_req += 1
        limit = p.max_request_size + env.OVERHEAD
        try:
            while not peer.closed:
                body = None
                with trio.move_on_after(self.config.request_idle_timeout):
                    try:
                        body = await fs.read_frame(limit)
                        kind, msg = env.decode(body)
                        if kind != env.REQUEST:
                            raise MalformedFrame(f"unexpected kind {kind}")
                        payload = env.parse_payload(msg)
                    except StreamClosed:
                        await fs.close()
                        return
                    except MalformedFrame as exc:   # FrameTooLarge included
                        await self._reject_frame(peer, fs, exc, f"{p.protocol_id} request", "requests_oversize")
                        return
                if body is None:   # idle
                    await fs.close()
                    return
                self.counters["requests_in"] += 1
                if len(payload) > p.max_request_size:
                    self.report_peer(peer.id, Rep.OVERSIZE, f"{p.protocol_id} request payload")
                    out = env.encode_error(env.ERR_TOO_LARGE, "request too large")
                elif not peer.bucket(p.protocol_id, p.rate, p.burst).take():
                    self.counters["requests_rate_limited"] += 1
                    self.report_peer(peer.id, Rep.RATE_LIMITED, f"{p.protocol_id}: rate limit")
                    out = env.encode_error(env.ERR_RATE_LIMITED, "rate limited")
                else:
                    out = await self._call_handler(p, peer.id, payload)
                try:
                    await fs.write_frame(out)
                except StreamClosed:
                    return
        finally:
            peer.inbound_req -= 1

    async def _call_handler(self, p: RequestProtocol, peer_id: str, payload: bytes) -> bytes:
        if p.handler is None:
            return env.encode_error(env.ERR_UNAVAILABLE, "no handler")
        try:
            with trio.fail_after(p.handler_timeout):
                resp = await p.handler(peer_id, payload)
        except RequestRefused as exc:
            return env.encode_error(exc.code, exc.reason)
        except trio.TooSlowError:
            return env.encode_error(env.ERR_TIMEOUT, "handler timeout")
        except Exception as exc:
            log.exception("request handler %s raised", p.protocol_id)
            return env.encode_error(env.ERR_HANDLER, f"handler error: {type(exc).__name__}")
        if not isinstance(resp, (bytes, bytearray, memoryview)):
            log.error("request handler %s returned %s, not bytes", p.protocol_id, type(resp).__name__)
            return env.encode_error(env.ERR_HANDLER, "handler returned non-bytes")
        if len(resp) > p.max_response_size:
            log.error("request handler %s: response %d > %d", p.protocol_id, len(resp), p.max_response_size)
            return env.encode_error(env.ERR_TOO_LARGE, "response too large")
        return env.encode_response(bytes(resp))

    async def request(self, peer_id: str, protocol: str, payload: bytes, timeout: float = 10.0, *,
                      reuse_stream: bool = True, max_response_size: int | None = None) -> bytes:
        """Send one request and wait for its response bytes.

        Raises :class:`PeerNotConnected`, :class:`RequestTimeout`,
        :class:`RequestRefused` (the remote answered with an error) or
        :class:`RequestFailed`.
        """
        from libp2p.custom_types import TProtocol

        peer = self._peers.get(peer_id)
        if peer is None or peer.closed or not peer.ready.is_set():
            raise PeerNotConnected(peer_id)
        p = self._req_protocols.get(protocol)
        if max_response_size is None:
            max_response_size = p.max_response_size if p is not None else RequestProtocol(protocol).max_response_size
        if p is not None and len(payload) > p.max_request_size:
            raise ValueError(f"{protocol}: request {len(payload)} > max_request_size {p.max_request_size}")
        frame = encode_frame(env.encode_request(payload))
        self.counters["requests_out"] += 1
        fs: FramedStream | None = None
        body = b""
        try:
            with trio.fail_after(timeout):
                for attempt in (0, 1):
                    pooled = False
                    fs = None
                    if reuse_stream:
                        pool = peer.pool.get(protocol)
                        if pool:
                            fs = pool.pop()
                            pooled = True
                    if fs is None:
                        try:
                            fs = FramedStream(await self._host.new_stream(peer.pid, [TProtocol(protocol)]))
                        except trio.TooSlowError:
                            raise
                        except Exception as exc:
                            raise RequestFailed(f"cannot open {protocol} stream: {exc!r}") from exc
                    try:
                        await fs.write_raw(frame)
                        body = await fs.read_frame(max_response_size + env.OVERHEAD)
                        break
                    except StreamClosed as exc:
                        await fs.reset()
                        fs = None
                        if pooled and attempt == 0 and not peer.closed:
                            continue   # the server closed an idle pooled stream: retry fresh
                        raise RequestFailed(f"stream closed: {exc}") from exc
        except trio.TooSlowError:
            if fs is not None:
                with trio.CancelScope(shield=True):
                    await fs.reset()
            self.counters["requests_timeout"] += 1
            raise RequestTimeout(f"{protocol} to {peer_id} timed out after {timeout}s") from None
        except MalformedFrame as exc:
            if fs is not None:
                await fs.reset()
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"{protocol} response: {exc}")
            raise RequestFailed(f"bad response: {exc}") from exc
        assert fs is not None
        try:
            kind, msg = env.decode(body)
            if kind == env.RESPONSE:
                result = env.parse_payload(msg)
                if len(result) > max_response_size:
                    raise MalformedFrame("response payload over limit")
                refused = None
            elif kind == env.ERROR:
                code, reason = env.parse_error(msg)
                refused = RequestRefused(reason, code)
            else:
                raise MalformedFrame(f"unexpected kind {kind}")
        except MalformedFrame as exc:
            await fs.reset()
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"{protocol} response: {exc}")
            raise RequestFailed(f"bad response: {exc}") from exc
        if reuse_stream and not peer.closed and len(peer.pool.setdefault(protocol, [])) < self.config.request_pool_size:
            peer.pool[protocol].append(fs)
        else:
            await fs.close()
        if refused is not None:
            raise refused
        return result

    # ------------------------------------------------------------------ dialing / discovery

    def add_known_peer(self, peer_id: str, addrs: list[str], *, bootnode: bool = False) -> None:
        if peer_id == self.peer_id:
            return
        e = self._book.get(peer_id)
        if e is None:
            if len(self._book) >= 1000:
                victim = next((k for k, v in self._book.items() if not v.bootnode and k not in self._peers), None)
                if victim is None:
                    return
                del self._book[victim]
            e = self._book[peer_id] = _BookEntry([], bootnode=bootnode, backoff=self.config.dial_backoff_initial)
        e.bootnode = e.bootnode or bootnode
        for a in reversed(addrs[:8]):       # newest first
            if a in e.addrs:
                e.addrs.remove(a)
            e.addrs.insert(0, a)
        del e.addrs[8:]
        self._dial_wake.set()

    async def connect(self, addr: str) -> str:
        """Dial ``/ip4/../tcp/../p2p/<id>`` and wait for the handshake; returns the peer id."""
        pid, transport = parse_peer_addr(addr)
        self.add_known_peer(pid, [transport])
        await self._dial(pid, [transport])
        return pid

    async def _dial(self, pid_str: str, addrs: list[str]) -> None:
        from libp2p.peer.id import ID
        from libp2p.peer.peerinfo import PeerInfo

        if pid_str == self.peer_id:
            raise DialFailed("refusing to dial ourselves")
        if self.reputation.banned(pid_str):
            raise DialFailed("peer is banned")
        peer = self._peers.get(pid_str)
        if peer is None or peer.closed:
            pid = ID.from_base58(pid_str)
            net = self._host.get_network()
            cache = getattr(net, "_negative_peer_cache", None)
            errors = []
            # py-libp2p dials only one TCP address out of the peerstore's list, so
            # we feed it one address at a time, newest first.
            for a in addrs:
                if cache is not None:
                    cache.evict(pid_str)
                try:
                    self._host.get_peerstore().clear_addrs(pid)
                except Exception:
                    pass
                try:
                    with trio.fail_after(self.config.dial_timeout):
                        await self._host.connect(PeerInfo(pid, [multiaddr.Multiaddr(a)]))
                    break
                except trio.TooSlowError:
                    errors.append(f"{a}: timeout")
                except Exception as exc:
                    errors.append(f"{a}: {type(exc).__name__}")
            else:
                raise DialFailed(("dial failed: " + "; ".join(errors)) if errors else "no addresses")
            peer = self._peers.get(pid_str)
            if peer is None:
                raise DialFailed("connection closed before handshake")
        with trio.move_on_after(self.config.handshake_timeout + 1):
            await peer.settled.wait()
        if not peer.ready.is_set() or peer.closed:
            raise DialFailed(peer.close_reason or "handshake failed")

    async def _dial_task(self, pid: str, e: _BookEntry) -> None:
        try:
            await self._dial(pid, list(e.addrs))
        except DialFailed as exc:
            e.failures += 1
            e.last_error = str(exc)
            now = trio.current_time()
            e.next_attempt = now + e.backoff * random.uniform(0.8, 1.2)
            e.backoff = min(e.backoff * 2, self.config.dial_backoff_max)
            log.debug("dial %s failed (%d): %s", pid, e.failures, exc)
            if not e.bootnode and e.failures >= 5 and self._book.get(pid) is e:
                del self._book[pid]
        except Exception:
            log.exception("dial task for %s crashed", pid)
        finally:
            self._dialing.discard(pid)

    async def _dialer(self) -> None:
        cfg = self.config
        next_due = 0.0
        while True:
            now = trio.current_time()
            with trio.move_on_at(min(now + 1.0, max(next_due, now + 0.01))):
                await self._dial_wake.wait()
            self._dial_wake = trio.Event()
            now = trio.current_time()
            next_due = now + 1.0
            for pid, e in list(self._book.items()):
                if len(self._dialing) >= cfg.max_concurrent_dials:
                    break
                if pid in self._dialing or pid in self._peers or not e.addrs:
                    continue
                if self.reputation.banned(pid):
                    continue
                busy = len(self._peers) + len(self._dialing)
                if busy >= cfg.max_peers or (not e.bootnode and busy >= cfg.target_peers):
                    continue
                if now < e.next_attempt:
                    next_due = min(next_due, e.next_attempt)
                    continue
                self._dialing.add(pid)
                self._spawn(self._dial_task, pid, e)

    async def _discovery_loop(self) -> None:
        while True:
            with trio.move_on_after(self.config.discovery_interval):
                await self._discovery_wake.wait()
            self._discovery_wake = trio.Event()
            if self._ready_count() >= self.config.target_peers:
                continue
            ready = [p for p in self._peers.values() if p.ready.is_set() and not p.closed]
            for peer in random.sample(ready, min(3, len(ready))):
                self._spawn(self._discover_from, peer.id)

    async def _discover_from(self, peer_id: str) -> None:
        try:
            resp = await self.request(peer_id, PEX_PROTOCOL, msgpack.packb({"max": 32}), timeout=5.0)
        except Exception as exc:
            log.debug("pex with %s failed: %r", peer_id, exc)
            return
        try:
            entries = msgpack.unpackb(resp, raw=False)
            if not isinstance(entries, list):
                raise ValueError("not a list")
            found = 0
            for item in entries[:MAX_PEX_PEERS]:
                pid, addrs = item
                if not isinstance(pid, str) or not isinstance(addrs, list):
                    raise ValueError("bad entry")
                addrs = [a for a in addrs[:8] if isinstance(a, str)]
                if pid == self.peer_id or pid in self._peers or self.reputation.banned(pid):
                    continue
                from libp2p.peer.id import ID
                ID.from_base58(pid)
                good = []
                for a in addrs:
                    try:
                        good.append(str(multiaddr.Multiaddr(a)))
                    except Exception:
                        pass
                if good:
                    self.add_known_peer(pid, good)
                    found += 1
            self.counters["pex_peers_learned"] += found
        except Exception as exc:
            self.report_peer(peer_id, Rep.BAD_RESPONSE, f"bad pex response: {exc!r}")

    async def _pex_handler(self, peer_id: str, payload: bytes) -> bytes:
        try:
            req = msgpack.unpackb(payload, raw=False)
            n = max(0, min(int(req.get("max", 32)), MAX_PEX_PEERS))
        except Exception:
            raise RequestRefused("bad pex request")
        out = [[p.id, p.addrs] for p in self._peers.values()
               if p.id != peer_id and p.ready.is_set() and not p.closed and p.addrs]
        random.shuffle(out)
        return msgpack.packb(out[:n])

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.counters)
        d["peers"] = self._ready_count()
        d["pending_peers"] = sum(1 for p in self._peers.values() if not p.ready.is_set())
        d["known_addresses"] = len(self._book)
        d["banned"] = len(self.reputation.bans())
        return d
