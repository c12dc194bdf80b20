"""JSON-RPC 2.0 over HTTP and WebSocket on one port, on trio with h11 and wsproto.

Every connection starts as HTTP/1.1 (h11). ``POST`` carries a JSON-RPC request or
batch; a ``GET`` with ``Upgrade: websocket`` (any path) switches the connection to
WebSocket (wsproto), where requests, batches, subscriptions and notifications flow
until either side closes. ``GET /health`` answers ``system_health`` like Substrate's
health endpoint (``/health/readiness``: 500 while syncing or without peers); ``OPTIONS`` answers CORS preflights when ``cors`` allows the origin.

Start it inside a nursery::

    port = await nursery.start(partial(serve_rpc, module, "127.0.0.1", 9944))

WebSocket hot path: the reader task parses frames, runs each plain method inline
(no task per message), and appends the framed answers to a per-connection send
queue that one writer task flushes with a single ``send_all`` per batch of
answers. The queue is bounded (``send_queue_bytes``): the reader stops reading and
subscriptions stop pushing while it is full, and a peer that leaves it full for
``slow_consumer_timeout`` seconds is disconnected.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import struct
from collections.abc import Iterable
from functools import partial
from typing import Any

import h11
import trio
from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState, ConnectionType
from wsproto.events import CloseConnection, Ping
from wsproto.frame_protocol import CloseReason
from wsproto.utilities import generate_accept_token

from node.rpc.jsonrpc import (
    METHOD_NOT_FOUND,
    Dispatcher,
    RpcError,
    RpcModule,
    RpcSession,
    dumps,
    oversized_request_response,
)

log = logging.getLogger(__name__)

#: Substrate's ``--rpc-cors`` default outside ``--dev``.
SUBSTRATE_DEFAULT_CORS = ("http://localhost:*", "http://127.0.0.1:*", "https://localhost:*",
                          "https://127.0.0.1:*", "https://polkadot.js.org")

_RECEIVE_SIZE = 65536
_HTTP_HEADER_LIMIT = 64 * 1024
_JSON = b"application/json; charset=utf-8"
_TEXT = b"text/plain"


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() == b"application/json"


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


def _frame_text(payload: bytes) -> bytes:
    """A final, unmasked text frame: what wsproto emits server-side with no extension."""
    n = len(payload)
    if n < 126:
        return bytes((0x81, n)) + payload
    if n < 65536:
        return b"\x81\x7e" + struct.pack("!H", n) + payload
    return b"\x81\x7f" + struct.pack("!Q", n) + payload


class _Cors:
    """Which browser origins may call: ``None`` none, ``"all"``/``"*"`` any, else a list.

    An entry ending in ``:*`` matches that scheme and host on any port (Substrate's
    ``http://localhost:*`` style). A request without ``Origin`` is not from a browser
    page and is never refused for its origin.
    """

    def __init__(self, cors: str | Iterable[str] | None) -> None:
        self.enabled = cors is not None
        self.any = cors in ("all", "*")
        self.exact: set[bytes] = set()
        self.port_any: list[bytes] = []
        if self.enabled and not self.any:
            for origin in ([cors] if isinstance(cors, str) else cors):
                origin = origin.rstrip("/").encode()
                if origin.endswith(b":*"):
                    self.port_any.append(origin[:-2])
                else:
                    self.exact.add(origin)

    def allowed(self, origin: bytes) -> bool:
        if self.any:
            return True
        if not self.enabled:
            return False
        if origin in self.exact:
            return True
        for base in self.port_any:
            if origin == base or (origin.startswith(base + b":") and origin[len(base) + 1:].isdigit()):
                return True
        return False

    def headers(self, origin: bytes | None) -> list[tuple[bytes, bytes]]:
        if not self.enabled or origin is None or not self.allowed(origin):
            return []
        return [(b"access-control-allow-origin", b"*" if self.any else origin), (b"vary", b"origin")]


class RpcServer:
    """One listening JSON-RPC endpoint. ``serve_rpc`` is the usual way to run one."""

    def __init__(self, module: RpcModule, host: str = "127.0.0.1", port: int = 9944, *,
                 rpc_methods: str = "auto", max_connections: int = 100,
                 max_request_bytes: int = 15 * 2**20, max_response_bytes: int = 15 * 2**20,
                 max_subscriptions_per_connection: int = 1024,
                 cors: str | Iterable[str] | None = SUBSTRATE_DEFAULT_CORS,
                 send_queue_bytes: int | None = None, slow_consumer_timeout: float = 30.0,
                 http_keep_alive_timeout: float = 60.0, max_batch_len: int | None = None,
                 batches_enabled: bool = True) -> None:
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
        self.cors = _Cors(cors)
        self.max_batch_len = max_batch_len
        self.batches_enabled = batches_enabled
        self._allowed_hosts: set[bytes] | None = None  # None: any Host (CORS "all"), else set when bound
        # Room for one largest answer plus headroom; a full queue pauses producers.
        self.send_queue_bytes = send_queue_bytes if send_queue_bytes is not None else max_response_bytes + 2**20
        self.slow_consumer_timeout = slow_consumer_timeout
        self.http_keep_alive_timeout = http_keep_alive_timeout
        self.connections = 0          # open connections, HTTP and WebSocket
        self.websockets: set[_WebSocket] = set()
        self.dispatcher: Dispatcher | None = None
        self._http_session: RpcSession | None = None

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
        self._http_session = self.dispatcher.session()
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
            if not await _Http(self, stream).run():
                await _linger_close(stream)
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
                    while b"\r\n\r\n" not in head and len(head) < _HTTP_HEADER_LIMIT:
                        chunk = await stream.receive_some(_RECEIVE_SIZE)
                        if not chunk:
                            break
                        head += chunk
                await stream.send_all(b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\n"
                                      b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
                await _linger_close(stream)
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


async def _linger_close(stream: trio.SocketStream, seconds: float = 1.0) -> None:
    """Half-close, then discard what the peer still sends for a moment.

    Closing a socket with unread input makes the kernel send RST, which can destroy
    a response still on its way (a 413 or 429 sent before the request was read).
    """
    try:
        await stream.send_eof()
        with trio.move_on_after(seconds):
            received = 0
            while received < 2**20:
                chunk = await stream.receive_some(_RECEIVE_SIZE)
                if not chunk:
                    break
                received += len(chunk)
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
        pass


def _tune(stream: trio.SocketStream) -> None:
    """TCP keepalive, so a peer that vanished without FIN is found and its slot freed."""
    try:
        stream.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            if hasattr(socket, name):
                stream.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
    except OSError:  # pragma: no cover - exotic platforms
        pass


class _BodyTooLarge(Exception):
    pass


class _Http:
    """One HTTP/1.1 connection: keep-alive request loop, until it upgrades or closes."""

    def __init__(self, server: RpcServer, stream: trio.SocketStream) -> None:
        self.server = server
        self.stream = stream
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=_HTTP_HEADER_LIMIT)

    async def _next_event(self) -> Any:
        conn = self.conn
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self.stream.receive_some(_RECEIVE_SIZE))
                continue
            return event

    async def run(self) -> bool:
        """Serve requests until the connection ends; True if it became a WebSocket."""
        conn = self.conn
        while True:
            try:
                with trio.fail_after(self.server.http_keep_alive_timeout):
                    event = await self._next_event()
            except trio.TooSlowError:
                return False
            except h11.RemoteProtocolError as exc:
                await self._send_error(exc.error_status_hint, str(exc))
                return False
            if not isinstance(event, h11.Request):
                return False  # ConnectionClosed (or PAUSED after a refused upgrade)
            try:
                if await self._request(event):
                    return True  # upgraded to WebSocket and finished there
            except h11.RemoteProtocolError as exc:
                await self._send_error(exc.error_status_hint, str(exc))
                return False
            except trio.TooSlowError:
                return False
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return False
            conn.start_next_cycle()

    async def _read_body(self, limit: int) -> bytes:
        parts = []
        size = 0
        with trio.fail_after(self.server.http_keep_alive_timeout):
            while True:
                event = await self._next_event()
                if isinstance(event, h11.Data):
                    size += len(event.data)
                    if size > limit:
                        raise _BodyTooLarge
                    parts.append(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return b"".join(parts)
                else:
                    raise h11.RemoteProtocolError("connection closed inside a request body", 400)

    async def _request(self, request: h11.Request) -> bool:
        """Answer one request; True when the connection was upgraded (and is now over)."""
        server = self.server
        headers: dict[bytes, bytes] = {}
        for name, value in request.headers:
            headers[name] = value  # h11 lowercases names
        origin = headers.get(b"origin")
        method = request.method
        if not server.host_allowed(headers.get(b"host")):
            await self._drain_and_respond(403, b"Provided Host header is not whitelisted.\n", _TEXT)
            return False
        if origin is not None and not server.cors.allowed(origin):
            # Browsers send Origin; a page from elsewhere must not drive this node (nor upgrade).
            await self._drain_and_respond(403, b"Origin of the request is not whitelisted. CORS headers would "
                                               b"not be sent and any side-effects were cancelled as well.\n", _TEXT)
            return False
        if method == b"POST":
            if not _is_json(headers.get(b"content-type")):
                await self._drain_and_respond(415, b"Supplied content type is not allowed. "
                                                   b"Content-Type: application/json is required\n", _TEXT)
                return False
            length = headers.get(b"content-length")
            limit = server.max_request_bytes
            if length is not None and length.isdigit() and int(length) > limit:
                await self._respond(413, oversized_request_response(limit).encode(), _JSON,
                                    server.cors.headers(origin), close=True)
                return False
            try:
                body = await self._read_body(limit)
            except _BodyTooLarge:
                await self._respond(413, oversized_request_response(limit).encode(), _JSON,
                                    server.cors.headers(origin), close=True)
                return False
            answer = await server.dispatcher.handle(server._http_session, body)
            await self._respond(200, b"" if answer is None else answer.encode(), _JSON, server.cors.headers(origin))
            return False
        if method == b"GET" and b"websocket" in headers.get(b"upgrade", b"").lower():
            return await self._upgrade(headers)
        if method == b"OPTIONS" and server.cors.enabled:
            extra = server.cors.headers(origin)
            if extra:
                extra += [(b"access-control-allow-methods", b"POST"),
                          (b"access-control-allow-headers",
                           headers.get(b"access-control-request-headers", b"content-type")),
                          (b"access-control-max-age", b"86400")]
            await self._drain_and_respond(200, b"", _TEXT, extra)
            return False
        if method == b"GET" and request.target.split(b"?", 1)[0] in (b"/health", b"/health/readiness"):
            await self._health(origin, readiness=request.target.split(b"?", 1)[0] == b"/health/readiness")
            return False
        await self._drain_and_respond(405, b"Used HTTP Method is not allowed. POST or OPTIONS is required\n", _TEXT)
        return False

    async def _health(self, origin: bytes | None, readiness: bool = False) -> None:
        """``/health``: the node answers (200 + system_health). ``/health/readiness``, as Substrate:
        500 while it is syncing or has no peers though it should (orchestrators' readiness probes)."""
        server = self.server
        await self._read_body(_HTTP_HEADER_LIMIT)
        kind = _JSON
        try:
            result = await server.dispatcher.call_method("system_health")
            status, body = 200, dumps(result).encode()
            if readiness and (result["isSyncing"] or (result["shouldHavePeers"] and result["peers"] == 0)):
                status, body = 500, b""
        except RpcError as exc:
            if exc.code == METHOD_NOT_FOUND:
                status, body, kind = 404, b"Not Found\n", _TEXT
            else:  # the node reports itself unhealthy (cannot author or import): 500, with why
                status, body = 500, dumps(exc.to_dict()).encode()
        except Exception:
            log.exception("system_health failed for /health")
            status, body, kind = 500, b"Internal Server Error\n", _TEXT
        await self._respond(status, body, kind, server.cors.headers(origin))

    async def _drain_and_respond(self, status: int, body: bytes, content_type: bytes,
                                 extra: list[tuple[bytes, bytes]] = ()) -> None:
        try:
            await self._read_body(_HTTP_HEADER_LIMIT)
        except _BodyTooLarge:
            await self._respond(status, body, content_type, extra, close=True)
            return
        await self._respond(status, body, content_type, extra)

    async def _respond(self, status: int, body: bytes, content_type: bytes,
                       extra: Iterable[tuple[bytes, bytes]] = (), close: bool = False) -> None:
        conn = self.conn
        headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body)), *extra]
        if close:
            headers.append((b"connection", b"close"))
        data = conn.send(h11.Response(status_code=status, headers=headers))
        if body:
            data += conn.send(h11.Data(data=body))
        data += conn.send(h11.EndOfMessage())
        await self.stream.send_all(data)

    async def _send_error(self, status: int, detail: str) -> None:
        if self.conn.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        log.debug("bad HTTP request: %s", detail)
        try:
            with trio.move_on_after(5):
                await self._respond(status, b"Bad Request\n" if status == 400 else b"", _TEXT, close=True)
        except (h11.LocalProtocolError, trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    async def _upgrade(self, headers: dict[bytes, bytes]) -> bool:
        key = headers.get(b"sec-websocket-key")
        if (b"upgrade" not in headers.get(b"connection", b"").lower() or key is None
                or headers.get(b"sec-websocket-version") != b"13"):
            await self._drain_and_respond(426 if key else 400, b"WebSocket handshake needs Connection: Upgrade, "
                                          b"Sec-WebSocket-Key and Sec-WebSocket-Version: 13\n", _TEXT,
                                          [(b"sec-websocket-version", b"13")])
            return False
        await self._read_body(_HTTP_HEADER_LIMIT)
        data = self.conn.send(h11.InformationalResponse(status_code=101, headers=[
            (b"upgrade", b"websocket"), (b"connection", b"Upgrade"),
            (b"sec-websocket-accept", generate_accept_token(key))]))
        await self.stream.send_all(data)
        trailing, _closed = self.conn.trailing_data
        await _WebSocket(self.server, self.stream, trailing).run()
        return True


class _WebSocket:
    """One WebSocket connection; also the dispatcher's outbox for its subscriptions."""

    def __init__(self, server: RpcServer, stream: trio.SocketStream, trailing: bytes) -> None:
        self.server = server
        self.stream = stream
        self.ws = WsConnection(ConnectionType.SERVER)
        self._trailing = trailing
        self.closed = False
        self._out: list[bytes] = []
        self._queued = 0
        self._limit = server.send_queue_bytes
        self._writer_lot = trio.lowlevel.ParkingLot()
        self._writer_idle = False
        self._progress_lot = trio.lowlevel.ParkingLot()
        self._nursery: trio.Nursery | None = None
        self.session: RpcSession | None = None

    # outbox -----------------------------------------------------------------------------------

    def push(self, text: str) -> None:
        if self.closed:
            return
        self._push_bytes(_frame_text(text.encode()))

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

    async def _writer(self) -> None:
        stream = self.stream
        try:
            while True:
                while not self._out:
                    self._writer_idle = True
                    await self._writer_lot.park()
                out = self._out
                self._out = []
                data = out[0] if len(out) == 1 else b"".join(out)
                await stream.send_all(data)
                self._queued -= len(data)
                if self._progress_lot:
                    self._progress_lot.unpark_all()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            log.debug("RPC WebSocket peer went away while we were sending")
            self._queued = 0
            self.abort()

    async def _reader(self) -> None:
        """Read frames and answer messages until the peer closes.

        Data frames (text, binary, continuation) are decoded here: it is the hot path,
        and doing it in a few lines over one buffer costs a fraction of wsproto's
        general decoder. Control frames go to wsproto whole (ping → pong, the close
        handshake), and so does the rest of the stream at the first malformed header,
        which wsproto turns into the right close code.
        """
        ws = self.ws
        stream = self.stream
        session = self.session
        handle = self.server.dispatcher.handle
        limit = self.server.max_request_bytes
        buf = bytearray(self._trailing)
        pos = 0
        parts: list[bytes] = []   # fragments of the message being assembled
        opcode_now = 0            # its opcode (1 text, 2 binary), 0 between messages
        size = 0                  # its size so far
        dropping = False          # the rest of an oversized message is being dropped
        skip = 0                  # payload bytes of an oversized frame still to drop
        while True:
            while True:
                avail = len(buf) - pos
                if skip:
                    n = skip if skip < avail else avail
                    pos += n
                    skip -= n
                    if skip:
                        break
                    continue
                if avail < 2:
                    break
                b0 = buf[pos]
                b1 = buf[pos + 1]
                opcode = b0 & 0x0F
                length = b1 & 0x7F
                head = 6
                if length == 126:
                    if avail < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    head = 8
                    bad = length < 126
                elif length == 127:
                    if avail < 10:
                        break
                    length = struct.unpack_from("!Q", buf, pos + 2)[0]
                    head = 14
                    bad = length < 65536 or length >> 63
                else:
                    bad = False
                if bad or b0 & 0x70 or not b1 & 0x80 or (opcode > 2 and opcode not in (8, 9, 10)) \
                        or (opcode > 2 and (length > 125 or not b0 & 0x80)):
                    return self._wsproto_takes_over(bytes(buf[pos:]))
                if opcode > 2:  # ping, pong, close: wsproto
                    end = pos + head + length
                    if len(buf) < end:
                        break
                    ws.receive_data(bytes(buf[pos:end]))
                    pos = end
                    if self._control_events():
                        return
                    continue
                fin = b0 & 0x80
                if (opcode == 0) != bool(opcode_now or dropping):
                    return self._close(CloseReason.PROTOCOL_ERROR,
                                       "unexpected continuation" if opcode == 0 else "expected continuation")
                if dropping or size + length > limit:
                    if not dropping:
                        self.push(oversized_request_response(limit))
                        parts = []
                        opcode_now = 0
                        size = 0
                    dropping = not fin
                    if avail < head:
                        break
                    pos += head
                    skip = length
                    continue
                end = pos + head + length
                if len(buf) < end:
                    break  # wait for the whole frame (at most ``limit`` bytes)
                mask = buf[pos + head - 4:pos + head]
                payload = buf[pos + head:end]
                pos = end
                if mask != b"\0\0\0\0" and length:
                    payload = (int.from_bytes(payload, "little")
                               ^ int.from_bytes((mask * ((length >> 2) + 1))[:length], "little")
                               ).to_bytes(length, "little")
                if opcode:
                    opcode_now = opcode
                if not fin:
                    parts.append(payload)
                    size += length
                    continue
                if parts:
                    parts.append(payload)
                    payload = b"".join(parts)
                    parts = []
                text_frame = opcode_now == 1
                opcode_now = 0
                size = 0
                if text_frame:
                    try:
                        payload = payload.decode()
                    except UnicodeDecodeError:
                        return self._close(CloseReason.INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8 in a text message")
                answer = await handle(session, payload)
                if answer is not None:
                    self.push(answer)
                    if session._gates:
                        session.response_queued()
            if pos:
                del buf[:pos]
                pos = 0
            await self.wait_writable()
            data = await stream.receive_some(_RECEIVE_SIZE)
            if not data:
                return  # EOF without a close frame (1006)
            buf += data

    def _control_events(self) -> bool:
        """Handle what wsproto made of control frames; True once the connection is closing."""
        ws = self.ws
        for event in ws.events():
            if isinstance(event, Ping):
                self._push_bytes(ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                if ws.state is ConnectionState.REMOTE_CLOSING:
                    self._push_bytes(ws.send(event.response()))
                elif ws.state is ConnectionState.OPEN:  # a protocol error: wsproto asks us to close
                    self._close(event.code or CloseReason.PROTOCOL_ERROR, event.reason)
                return True
            # Pong and anything else: nothing to do
        return False

    def _wsproto_takes_over(self, rest: bytes) -> None:
        """A frame header this decoder does not accept: let wsproto judge it and close."""
        self.ws.receive_data(rest)
        if not self._control_events():
            self._close(CloseReason.PROTOCOL_ERROR, "malformed frame")

    def _close(self, code: int, reason: str | None = None) -> None:
        log.debug("closing RPC WebSocket: %s %s", code, reason)
        if self.ws.state is ConnectionState.OPEN:
            self._push_bytes(self.ws.send(CloseConnection(code=code, reason=reason)))


async def serve_rpc(module: RpcModule, host: str = "127.0.0.1", port: int = 9944, *,
                    rpc_methods: str = "auto", max_connections: int = 100,
                    max_request_bytes: int = 15 * 2**20, max_response_bytes: int = 15 * 2**20,
                    max_subscriptions_per_connection: int = 1024,
                 cors: str | Iterable[str] | None = SUBSTRATE_DEFAULT_CORS,
                    send_queue_bytes: int | None = None, slow_consumer_timeout: float = 30.0,
                    http_keep_alive_timeout: float = 60.0, max_batch_len: int | None = None,
                    batches_enabled: bool = True,
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
                       batches_enabled=batches_enabled)
    await server.serve(task_status=task_status)
