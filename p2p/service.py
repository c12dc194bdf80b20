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

from collections import Counter
from typing import Any

import multiaddr
import trio

from p2p import envelope as env
from p2p.config import (
    NetworkConfig, NotificationProtocol, RequestProtocol,
)
from p2p.errors import (
    ListenFailed,
)
from p2p.keys import peer_id_of, resolve_keypair
from p2p.reputation import ReputationBook

from p2p.peer import (
    HANDSHAKE_PROTOCOL, NOTIFICATION_STREAM_PROTOCOL, PEX_PROTOCOL, _BookEntry, _Peer, _Notifee, parse_peer_addr, log,
)
from p2p.connections import ConnectionsMixin
from p2p.handshake import HandshakeMixin
from p2p.peer_table import PeerTableMixin
from p2p.notifications import NotificationsMixin
from p2p.requests import RequestsMixin
from p2p.dialer import DialerMixin


class NetworkService(ConnectionsMixin, HandshakeMixin, PeerTableMixin, NotificationsMixin, RequestsMixin, DialerMixin):
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

    # ------------------------------------------------------------------ stats

    def stats(self) -> dict[str, Any]:
        d: dict[str, Any] = dict(self.counters)
        d["peers"] = self._ready_count()
        d["pending_peers"] = sum(1 for p in self._peers.values() if not p.ready.is_set())
        d["known_addresses"] = len(self._book)
        d["banned"] = len(self.reputation.bans())
        return d
