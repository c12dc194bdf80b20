"""JSON-RPC 2.0 over HTTP and WebSocket on one port, on trio: the listener.

Every connection starts as HTTP/1.1 (:mod:`node.rpc.http_connection`, h11); a
WebSocket upgrade hands it to :mod:`node.rpc.websocket_connection`, whose frames
are decoded by the sans-io :mod:`node.rpc.websocket_frames`. This module binds the
sockets, counts and caps connections, and holds the settings both sides read.

Start it inside a nursery::

    port = await nursery.start(partial(serve_rpc, module, "127.0.0.1", 9944))
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

import trio

from node.rpc.http_connection import HTTP_HEADER_LIMIT, RECEIVE_SIZE, Cors, HttpConnection, linger_close
from node.rpc.jsonrpc import Dispatcher, RpcModule, RpcSession

if TYPE_CHECKING:
    from node.rpc.websocket_connection import WebSocketConnection

log = logging.getLogger(__name__)

#: Substrate's ``--rpc-cors`` default outside ``--dev``.
SUBSTRATE_DEFAULT_CORS = ("http://localhost:*", "http://127.0.0.1:*", "https://localhost:*",
                          "https://127.0.0.1:*", "https://polkadot.js.org")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _local_hosts(port: int) -> set[bytes]:
    """The Host values a browser sends for this server on a loopback name, with and without port."""
    names = (b"localhost", b"127.0.0.1", b"[::1]")
    return {*names, *(b"%s:%d" % (name, port) for name in names)}

class RpcServer:
    """One listening JSON-RPC endpoint. ``serve_rpc`` is the usual way to run one."""

    def __init__(self, module: RpcModule, host: str = "127.0.0.1", port: int = 9944, *,
                 rpc_methods: str = "auto", max_connections: int = 100,
                 max_request_bytes: int = 15 * 2**20, max_response_bytes: int = 15 * 2**20,
                 max_subscriptions_per_connection: int = 1024,
                 cors: str | Iterable[str] | None = SUBSTRATE_DEFAULT_CORS,
                 send_queue_bytes: int | None = None, slow_consumer_timeout: float = 30.0,
                 http_keep_alive_timeout: float = 60.0, max_batch_len: int | None = None,
                 batches_enabled: bool = True, session_observer=None) -> None:
        if rpc_methods not in ("safe", "unsafe", "auto"):
            raise ValueError(f"rpc_methods must be 'safe', 'unsafe' or 'auto', not {rpc_methods!r}")
        self.module = module
        self.host = host
        self.port = port
        self.rpc_methods = rpc_methods
        self.max_connections = max_connections
        self.max_request_bytes = max_request_bytes
        self.max_response_bytes = max_response_bytes
        self.max_subscriptions_per_connection = max_subscriptions_per_connection
        self.cors = Cors(cors)
        self.max_batch_len = max_batch_len
        self.batches_enabled = batches_enabled
        self._allowed_hosts: set[bytes] | None = None  # None: any Host (CORS "all"), else set when bound
        # Room for one largest answer plus headroom; a full queue pauses producers.
        self.send_queue_bytes = send_queue_bytes if send_queue_bytes is not None else max_response_bytes + 2**20
        self.slow_consumer_timeout = slow_consumer_timeout
        self.http_keep_alive_timeout = http_keep_alive_timeout
        self.connections = 0          # open connections, HTTP and WebSocket
        self.websockets: set[WebSocketConnection] = set()
        # called with "opened" / "closed" for each WebSocket session (substrate_rpc_sessions_*)
        self.session_observer = session_observer or (lambda event: None)
        self.dispatcher: Dispatcher | None = None
        self.http_session: RpcSession | None = None

    async def serve(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        listeners = await _open_listeners(self.port, self.host)
        addresses = [listener.socket.getsockname() for listener in listeners]
        self.port = addresses[0][1]
        if self.rpc_methods == "auto":
            allow_unsafe = all(_is_loopback(address[0]) for address in addresses)
        else:
            allow_unsafe = self.rpc_methods == "unsafe"
        self.dispatcher = Dispatcher(self.module, allow_unsafe=allow_unsafe,
                                     max_response_bytes=self.max_response_bytes,
                                     max_subscriptions_per_connection=self.max_subscriptions_per_connection,
                                     max_batch_len=self.max_batch_len, batches_enabled=self.batches_enabled)
        if not self.cors.any:
            self._allowed_hosts = _local_hosts(self.port)
        self.http_session = self.dispatcher.session()
        log.info("JSON-RPC listening on %s (%s methods)",
                 ", ".join(f"{a[0]}:{a[1]}" for a in addresses), "unsafe" if allow_unsafe else "safe")
        async with trio.open_nursery() as nursery:
            await nursery.start(partial(trio.serve_listeners, self._handle_connection, listeners,
                                        handler_nursery=nursery))
            task_status.started(self.port)

    def host_allowed(self, host: bytes | None) -> bool:
        """Substrate's Host filter: unless CORS is "all", only localhost names (DNS rebinding)."""
        if self._allowed_hosts is None:
            return True
        return host is not None and host.lower() in self._allowed_hosts

    async def _handle_connection(self, stream: trio.SocketStream) -> None:
        if self.connections >= self.max_connections:
            await self._refuse(stream)
            return
        self.connections += 1
        try:
            _tune(stream)
            if not await HttpConnection(self, stream).run():
                await linger_close(stream)
        # A connection never takes the server down (cancellation still goes through).
        except* (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as group:
            log.debug("RPC connection dropped: %r", group.exceptions)
        except* Exception:
            log.exception("RPC connection failed")
        finally:
            self.connections -= 1
            await trio.aclose_forcefully(stream)

    async def _refuse(self, stream: trio.SocketStream) -> None:
        body = b"Too many connections. Please try again later."
        try:
            with trio.move_on_after(5):
                with trio.move_on_after(1):  # read the request head first, so closing does not reset
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < HTTP_HEADER_LIMIT:
                        chunk = await stream.receive_some(RECEIVE_SIZE)
                        if not chunk:
                            break
                        head += chunk
                await stream.send_all(b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n"
                                      b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
                await linger_close(stream)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
        finally:
            await trio.aclose_forcefully(stream)


async def _open_listeners(port: int, host: str | None) -> list[trio.SocketListener]:
    """``trio.open_tcp_listeners``, but with ``port=0`` every address gets the same port.

    (``localhost`` is 127.0.0.1 and ::1: two sockets, which would each pick a port.)
    """
    listeners = await trio.open_tcp_listeners(port, host=host)
    ports = {listener.socket.getsockname()[1] for listener in listeners}
    for _attempt in range(10):
        if len(ports) <= 1:
            return listeners
        chosen = listeners[0].socket.getsockname()[1]
        for listener in listeners:
            await listener.aclose()
        try:
            listeners = await trio.open_tcp_listeners(chosen, host=host)
        except OSError:  # taken meanwhile on one of the addresses: start over
            listeners = await trio.open_tcp_listeners(0, host=host)
        ports = {listener.socket.getsockname()[1] for listener in listeners}
    raise OSError(f"could not bind one port on every address of {host!r}")

def _tune(stream: trio.SocketStream) -> None:
    """TCP keepalive, so a peer that vanished without FIN is found and its slot freed."""
    try:
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            if hasattr(socket, name):
                stream.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    except OSError:  # pragma: no cover - exotic platforms
        pass

async def serve_rpc(module: RpcModule, host: str = "127.0.0.1", port: int = 9944, *,
                    rpc_methods: str = "auto", max_connections: int = 100,
                    max_request_bytes: int = 15 * 2**20, max_response_bytes: int = 15 * 2**20,
                    max_subscriptions_per_connection: int = 1024,
                    cors: str | Iterable[str] | None = SUBSTRATE_DEFAULT_CORS,
                    send_queue_bytes: int | None = None, slow_consumer_timeout: float = 30.0,
                    http_keep_alive_timeout: float = 60.0, max_batch_len: int | None = None,
                    batches_enabled: bool = True, session_observer=None,
                    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
    """Serve ``module`` over HTTP and WebSocket on ``host:port`` until cancelled.

    ``task_status.started(port)`` reports the bound port (useful with ``port=0``).
    ``rpc_methods``: ``"unsafe"`` allows methods registered ``unsafe=True``, ``"safe"``
    refuses them, ``"auto"`` (Substrate's default) allows them only when every listening
    address is loopback. ``cors``: a list of origins (``"http://localhost:*"`` matches any
    port; the default is Substrate's, SUBSTRATE_DEFAULT_CORS), ``"all"``, or None (no
    browser origin allowed). A
    request or WebSocket handshake carrying an ``Origin`` that is not allowed gets 403,
    and unless ``cors`` is ``"all"`` the ``Host`` header must name localhost (Substrate's
    DNS-rebinding filter). ``max_batch_len``: the longest batch served (None: any).
    """
    server = RpcServer(module, host, port, rpc_methods=rpc_methods, max_connections=max_connections,
                       max_request_bytes=max_request_bytes, max_response_bytes=max_response_bytes,
                       max_subscriptions_per_connection=max_subscriptions_per_connection, cors=cors,
                       send_queue_bytes=send_queue_bytes, slow_consumer_timeout=slow_consumer_timeout,
                       http_keep_alive_timeout=http_keep_alive_timeout, max_batch_len=max_batch_len,
                       batches_enabled=batches_enabled, session_observer=session_observer)
    await server.serve(task_status=task_status)
